"""Load the shipped reference geography: 21 counties, 290 municipalities, population 2024."""

from django.db import migrations


def load(apps, schema_editor):
    from brygga.core.reference import load_reference_geography

    load_reference_geography(apps.get_model("core", "County"), apps.get_model("core", "Municipality"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
