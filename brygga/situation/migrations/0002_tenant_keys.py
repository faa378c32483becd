"""Keys that distribute, second half for the lägesbild's tables (PostgreSQL only; nothing to do
on SQLite): the primary key (municipality_id, id) and composite foreign keys to the other tenant
tables (brygga/core/tenant_keys.py)."""

from django.db import migrations

from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_area_layer_keys"),
        ("situation", "0001_initial"),
    ]

    operations = [
        TenantPrimaryKey("situation_situationreport"),
        TenantPrimaryKey("situation_reportcomment"),
        TenantPrimaryKey("situation_areaassessment"),
        TenantPrimaryKey("situation_digestsubscription"),
        CompositeForeignKey("situation_situationreport", "forum_id", "core_forum"),
        CompositeForeignKey(
            "situation_situationreport", "supersedes_id", "situation_situationreport"
        ),
        CompositeForeignKey("situation_reportcomment", "report_id", "situation_situationreport"),
        CompositeForeignKey("situation_areaassessment", "forum_id", "core_forum"),
        CompositeForeignKey("situation_areaassessment", "area_id", "core_area"),
        CompositeForeignKey("situation_areaassessment", "organisation_id", "core_organisation"),
        CompositeForeignKey("situation_digestsubscription", "forum_id", "core_forum"),
    ]
