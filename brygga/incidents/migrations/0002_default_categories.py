"""The national default categories (EST-style, two levels) and the police type mapping."""

from django.db import migrations


def load(apps, schema_editor):
    from brygga.incidents.reference import load_default_categories

    load_default_categories(apps.get_model("incidents", "Category"),
                            apps.get_model("incidents", "PoliceTypeMapping"))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
