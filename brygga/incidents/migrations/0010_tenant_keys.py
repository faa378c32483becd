"""Keys that distribute, second half for the incident tables (PostgreSQL only; nothing to do
on SQLite): the primary key (municipality_id, id) and composite foreign keys to the other
tenant tables (brygga/core/tenant_keys.py). Import jobs and disposed source ids are shared
tables on a Citus cluster (brygga/incidents/apps.py) and keep their keys."""

from django.db import migrations

from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_tenant_keys"),
        ("incidents", "0009_tenant_fields"),
    ]

    operations = [
        TenantPrimaryKey("incidents_incident"),
        TenantPrimaryKey("incidents_importprofile"),
        TenantPrimaryKey("incidents_nilreport"),
        TenantPrimaryKey("incidents_open311key"),
        TenantPrimaryKey("incidents_open311contact", unique=("incident_id",)),
        TenantPrimaryKey("incidents_open311request", unique=("incident_id",)),
        CompositeForeignKey("incidents_incident", "area_id", "core_area"),
        CompositeForeignKey("incidents_incident", "reporting_organisation_id", "core_organisation"),
        CompositeForeignKey("incidents_nilreport", "forum_id", "core_forum"),
        CompositeForeignKey("incidents_nilreport", "organisation_id", "core_organisation"),
        CompositeForeignKey("incidents_open311key", "reporting_organisation_id", "core_organisation"),
        CompositeForeignKey("incidents_open311contact", "incident_id", "incidents_incident"),
        CompositeForeignKey("incidents_open311request", "incident_id", "incidents_incident"),
    ]
