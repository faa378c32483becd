"""Keys that distribute, second half (PostgreSQL only; nothing to do on SQLite): core's tenant
tables get the primary key (municipality_id, id) and composite foreign keys between them
(brygga/core/tenant_keys.py). Apps whose tables point at these tables drop their
single-column foreign keys in a migration that runs before this one."""

from django.db import migrations

from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey

TABLES = (
    "core_organisation",
    "core_area",
    "core_forum",
    "core_membership",
    "core_rolesecuritypolicy",
    "core_retentionperiod",
    "core_forum_organisations",
    "core_forum_areas",
)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_forum_links_and_tenant_fields"),
    ]

    operations = [
        *(TenantPrimaryKey(table) for table in TABLES),
        CompositeForeignKey("core_organisation", "parent_id", "core_organisation"),
        CompositeForeignKey("core_membership", "organisation_id", "core_organisation"),
        CompositeForeignKey("core_forum", "convener_id", "core_organisation"),
        CompositeForeignKey("core_forum_organisations", "forum_id", "core_forum"),
        CompositeForeignKey("core_forum_organisations", "organisation_id", "core_organisation"),
        CompositeForeignKey("core_forum_areas", "forum_id", "core_forum"),
        CompositeForeignKey("core_forum_areas", "area_id", "core_area"),
    ]
