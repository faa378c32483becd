"""Placements of incidents in the areas of every layer (``IncidentPlacement``). Existing
incidents are placed where they were before: in their one ``area``, in that area's layer. The
other layers (and a layer changed later) are computed by ``brygga place-incidents`` (see
docs/ADMIN.md, "Upgrading") and, from then on, by the worker whenever a layer's areas change."""

import django.db.models.deletion
from django.db import migrations, models

import brygga.core.tenant_keys

COPY_AREAS = """
INSERT INTO incidents_incidentplacement (municipality_id, incident_id, layer_id, area_id)
SELECT i.municipality_id, i.id, a.layer_id, i.area_id
FROM incidents_incident i
JOIN core_area a ON a.id = i.area_id AND a.municipality_id = i.municipality_id
"""


def copy_areas(apps, schema_editor):
    schema_editor.execute(COPY_AREAS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_area_layer_keys"),
        ("incidents", "0011_register_extracts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("police", "Police events"),
                    ("tabular", "CSV/Excel"),
                    ("placement", "Placement in a layer"),
                ],
                max_length=10,
            ),
        ),
        migrations.CreateModel(
            name="IncidentPlacement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "area",
                    brygga.core.tenant_keys.TenantForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="placements",
                        to="core.area",
                    ),
                ),
                (
                    "incident",
                    brygga.core.tenant_keys.TenantForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="placements",
                        to="incidents.incident",
                    ),
                ),
                (
                    "layer",
                    brygga.core.tenant_keys.TenantForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.arealayer",
                    ),
                ),
                (
                    "municipality",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.municipality",
                    ),
                ),
            ],
            options={
                "verbose_name": "placement of an incident",
                "verbose_name_plural": "placements of incidents",
                "indexes": [
                    models.Index(
                        fields=["municipality", "area", "incident"],
                        name="incidents_i_municip_1e3201_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("municipality", "incident", "layer"),
                        name="incident_placement_unique",
                    )
                ],
            },
            bases=(brygga.core.tenant_keys.TenantRow, models.Model),
        ),
        migrations.RunPython(copy_areas, migrations.RunPython.noop, elidable=True),
    ]
