"""Keys that distribute (brygga/core/tenant_keys.py) for the incident counts, then the counts
of the incidents already stored (PostgreSQL keys only; the counting runs on both)."""

from django.db import migrations

from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey


def count_stored_incidents(apps, schema_editor):
    """Count what is stored. The live writer is used (the one place counting is defined); on a
    database without incidents (every new installation) it writes nothing."""
    Incident = apps.get_model("incidents", "Incident")
    municipalities = (
        Incident.objects.exclude(municipality_id=None)
        .values_list("municipality_id", flat=True)
        .distinct()
        .order_by()
    )
    if not municipalities:
        return
    from brygga.incidents.services.rollups import rebuild_counts

    for municipality_id in list(municipalities):
        rebuild_counts(municipality_id=municipality_id)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0014_incident_counts"),
    ]

    operations = [
        TenantPrimaryKey("incidents_incidentcount"),
        CompositeForeignKey("incidents_incidentcount", "layer_id", "core_arealayer"),
        CompositeForeignKey("incidents_incidentcount", "area_id", "core_area"),
        migrations.RunPython(count_stored_incidents, migrations.RunPython.noop, elidable=True),
    ]
