"""County-level police events (no municipality) are stored once per municipality of their
county from now on (``Incident.county_event``); a migration of its own, so that the rows it
writes are checked before 0009 changes the table."""

from django.db import migrations, models


def copy_county_events(apps, schema_editor):
    """Each county-level police event (no municipality) becomes one row per municipality of
    its county: the row itself goes to the first, copies to the others."""
    Incident = apps.get_model("incidents", "Incident")
    Municipality = apps.get_model("core", "Municipality")
    by_county: dict[int, list[int]] = {}
    for pk, county in Municipality.objects.order_by("pk").values_list("pk", "county_id"):
        by_county.setdefault(county, []).append(pk)
    fields = [f.attname for f in Incident._meta.concrete_fields if f.attname != "id"]
    copies = []
    for incident in Incident.objects.filter(municipality__isnull=True).iterator():
        first, *others = by_county.get(incident.county_id) or [None]
        if first is None:
            continue  # a county without municipalities: left for the not-null step to refuse
        values = {f: getattr(incident, f) for f in fields}
        values["county_event"] = True
        for municipality in others:
            copies.append(Incident(**{**values, "municipality_id": municipality}))
        Incident.objects.filter(pk=incident.pk).update(municipality_id=first, county_event=True)
    Incident.objects.bulk_create(copies, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_retentionperiod"),
        ("incidents", "0007_disposed_source"),
    ]

    operations = [
        # a police id is unique per municipality now (0009 adds that constraint)
        migrations.RemoveConstraint(model_name="incident", name="incident_unique_police_id"),
        migrations.AddField(
            model_name="incident",
            name="county_event",
            field=models.BooleanField(default=False, verbose_name="county-level police event"),
        ),
        migrations.RunPython(copy_county_events, migrations.RunPython.noop),
    ]
