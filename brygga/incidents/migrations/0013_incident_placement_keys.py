"""Keys that distribute (brygga/core/tenant_keys.py) for the placements of incidents: the
primary key (municipality_id, id) and composite foreign keys to the incident, the layer and
the area (PostgreSQL only; nothing to do on SQLite)."""

from django.db import migrations

from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0012_incident_placements"),
    ]

    operations = [
        TenantPrimaryKey("incidents_incidentplacement"),
        CompositeForeignKey("incidents_incidentplacement", "incident_id", "incidents_incident"),
        CompositeForeignKey("incidents_incidentplacement", "layer_id", "core_arealayer"),
        CompositeForeignKey("incidents_incidentplacement", "area_id", "core_area"),
    ]
