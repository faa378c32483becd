"""Register extracts: the columns of an imported row that no field was chosen for are kept
(``Incident.attributes``), and an imported id is unique per register (``source_register``: the
import profile's register), not across every file of the municipality. Existing rows keep
the empty register, so importing their files again still finds them."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_tenant_keys"),
        ("incidents", "0010_tenant_keys"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="incident",
            name="incident_unique_source_id_per_municipality",
        ),
        migrations.AddField(
            model_name="incident",
            name="attributes",
            field=models.JSONField(
                blank=True, default=dict, verbose_name="details from the source"
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="source_register",
            field=models.CharField(blank=True, max_length=100, verbose_name="source register"),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("source_id", ""), _negated=True),
                    models.Q(("source", "police"), _negated=True),
                ),
                fields=("municipality", "source", "source_register", "source_id"),
                name="incident_unique_source_id_per_municipality",
            ),
        ),
    ]
