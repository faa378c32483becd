"""PostgreSQL: tell the planner that an incident's municipality determines its county.

Without it the planner multiplies the selectivities of ``county_id = C`` and
``municipality_id = M`` as if they were independent and underestimates a municipality's
incidents about 30-fold (measured with bench/bench_endpoints.py). SQLite has no such
statistics; the migration does nothing there.
"""

from django.db import migrations

CREATE = (
    "CREATE STATISTICS IF NOT EXISTS incident_county_municipality (dependencies) "
    "ON county_id, municipality_id FROM incidents_incident"
)
DROP = "DROP STATISTICS IF EXISTS incident_county_municipality"


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_incident_scope_time_index")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
