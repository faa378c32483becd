"""Keys that distribute (brygga/core/tenant_keys.py) for the day counts, then the day counts of
what the hourly counts hold (PostgreSQL keys only; the filling runs on both)."""

from django.db import migrations

from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey


def sum_hourly_counts(apps, schema_editor):
    """The hourly rows summed per day, in one grouped INSERT … SELECT (the live writer does the
    same for the days it recounts; this copy stays as it is when that code changes)."""
    quote = schema_editor.connection.ops.quote_name
    hourly = quote(apps.get_model("incidents", "IncidentCount")._meta.db_table)
    daily = quote(apps.get_model("incidents", "IncidentDayCount")._meta.db_table)
    columns = "municipality_id, day, category_id, stream, layer_id, area_id"
    sql = (
        f"INSERT INTO {daily} ({columns}, incidents, events) "  # noqa: S608 (quoted table names)
        f"SELECT {columns}, SUM(incidents), SUM(events) FROM {hourly} GROUP BY {columns}"
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0017_incident_day_counts"),
    ]

    operations = [
        TenantPrimaryKey("incidents_incidentdaycount"),
        CompositeForeignKey("incidents_incidentdaycount", "layer_id", "core_arealayer"),
        CompositeForeignKey("incidents_incidentdaycount", "area_id", "core_area"),
        migrations.RunPython(sum_hourly_counts, migrations.RunPython.noop, elidable=True),
    ]
