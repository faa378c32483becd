"""Area layers: every area belongs to a layer of its municipality (its own districts, DeSO,
RegSO, school catchments…). Each municipality's areas of one former kind become one layer; a
statistical area may have no boundary yet (known by its code)."""

import django.db.models.deletion
from django.db import migrations, models

import brygga.core.tenant_keys

# The former kinds of area, each becoming a layer of that kind with this name.
LAYERS = {
    "district": ("own", "Egna områden"),
    "housing_area": ("housing_area", "Bostadsområden"),
    "school_catchment": ("school_catchment", "Skolupptagningsområden"),
    "deso": ("deso", "DeSO"),
    "regso": ("regso", "RegSO"),
    "other": ("other", "Övriga områden"),
}


def kinds_to_layers(apps, schema_editor):
    Area = apps.get_model("core", "Area")
    AreaLayer = apps.get_model("core", "AreaLayer")
    pairs = Area.objects.values_list("municipality_id", "kind").distinct()
    for municipality_id, old_kind in pairs:
        kind, name = LAYERS.get(old_kind, LAYERS["other"])
        layer, _ = AreaLayer.objects.get_or_create(
            municipality_id=municipality_id, name=name, defaults={"kind": kind}
        )
        Area.objects.filter(municipality_id=municipality_id, kind=old_kind).update(
            layer_id=layer.pk
        )


def layers_to_kinds(apps, schema_editor):
    Area = apps.get_model("core", "Area")
    back = {kind: old for old, (kind, _) in LAYERS.items()}
    for area in Area.objects.select_related("layer"):
        Area.objects.filter(pk=area.pk).update(kind=back.get(area.layer.kind, "other"))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_tenant_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="AreaLayer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("own", "The municipality's own areas"),
                            ("deso", "Statistical areas (DeSO)"),
                            ("regso", "Statistical areas (RegSO)"),
                            ("police", "Police-designated areas"),
                            ("school_catchment", "School catchments"),
                            ("housing_area", "Housing areas"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                ("description", models.TextField(blank=True, verbose_name="description")),
            ],
            options={
                "verbose_name": "area layer",
                "verbose_name_plural": "area layers",
                "ordering": ["name"],
            },
            bases=(brygga.core.tenant_keys.TenantRow, models.Model),
        ),
        migrations.AlterField(
            model_name="area",
            name="geometry",
            field=models.JSONField(blank=True, null=True, verbose_name="geometry (GeoJSON)"),
        ),
        migrations.AddField(
            model_name="arealayer",
            name="municipality",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="area_layers",
                to="core.municipality",
                verbose_name="municipality",
            ),
        ),
        migrations.AddField(
            model_name="area",
            name="layer",
            field=brygga.core.tenant_keys.TenantForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="areas",
                to="core.arealayer",
                verbose_name="layer",
            ),
        ),
        migrations.RunPython(kinds_to_layers, layers_to_kinds),
        migrations.RemoveConstraint(
            model_name="area",
            name="area_unique_name_per_kind",
        ),
        migrations.RemoveIndex(
            model_name="area",
            name="core_area_municip_0067a0_idx",
        ),
        migrations.RemoveField(
            model_name="area",
            name="kind",
        ),
        migrations.AlterField(
            model_name="area",
            name="layer",
            field=brygga.core.tenant_keys.TenantForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="areas",
                to="core.arealayer",
                verbose_name="layer",
            ),
        ),
        migrations.AddIndex(
            model_name="area",
            index=models.Index(
                fields=["municipality", "layer"], name="core_area_municip_aa1979_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="area",
            constraint=models.UniqueConstraint(
                fields=("municipality", "layer", "name"), name="area_unique_name_per_layer"
            ),
        ),
        migrations.AddConstraint(
            model_name="area",
            constraint=models.UniqueConstraint(
                condition=models.Q(("official_code", ""), _negated=True),
                fields=("municipality", "layer", "official_code"),
                name="area_unique_code_per_layer",
            ),
        ),
        migrations.AddConstraint(
            model_name="arealayer",
            constraint=models.UniqueConstraint(
                fields=("municipality", "name"), name="area_layer_unique_name"
            ),
        ),
        migrations.AddConstraint(
            model_name="arealayer",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind__in", ["deso", "regso"])),
                fields=("municipality", "kind"),
                name="area_layer_one_statistical_layer_per_kind",
            ),
        ),
    ]
