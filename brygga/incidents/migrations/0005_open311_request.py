"""Public tips (Open311) become personal data with a public id of their own.

* ``Open311Request``: the tip's public id (``token``, 128 random bits, the GeoReport
  ``service_request_id`` instead of the sequential incident id) and the moderated text that is
  published on the public lists. Every existing tip gets a row with a fresh token; none is
  published (publication is now an explicit moderation step).
* Existing tips are marked as containing personal data (``has_personal_data``), as new tips
  are from now on, so need-to-know applies and every read of their text is logged.
"""

import secrets

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import brygga.incidents.models


def forwards(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    Open311Request = apps.get_model("incidents", "Open311Request")
    tips = Incident.objects.filter(source="open311")
    have = set(Open311Request.objects.values_list("incident_id", flat=True))
    rows = [
        Open311Request(
            incident_id=pk, municipality_id=municipality_id, token=secrets.token_urlsafe(16)
        )
        for pk, municipality_id in tips.values_list("pk", "municipality_id")
        if pk not in have and municipality_id is not None
    ]
    Open311Request.objects.bulk_create(rows, batch_size=500)
    tips.filter(has_personal_data=False).update(has_personal_data=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("incidents", "0004_incident_county_municipality_statistics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Open311Request",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "token",
                    models.CharField(
                        default=brygga.incidents.models.new_public_token,
                        editable=False,
                        max_length=32,
                        unique=True,
                        verbose_name="public id",
                    ),
                ),
                ("published_text", models.TextField(blank=True, verbose_name="published text")),
                (
                    "published_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="published"),
                ),
                (
                    "incident",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="open311_request",
                        to="incidents.incident",
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
                (
                    "published_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="published by",
                    ),
                ),
            ],
            options={
                "verbose_name": "public Open311 request",
                "verbose_name_plural": "public Open311 requests",
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
