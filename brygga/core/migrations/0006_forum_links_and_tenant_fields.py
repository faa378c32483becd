"""Keys that distribute (brygga/core/tenant_keys.py), first half: the forums' many-to-many
tables become models of their own that carry the municipality; the links between tenant
tables lose Django's single-column foreign keys (their composite ones come in 0007); the
membership's unique constraint includes the municipality."""

import django.db.models.deletion
from django.db import migrations, models

import brygga.core.tenant_keys


def fill_municipality(apps, schema_editor):
    Forum = apps.get_model("core", "Forum")
    for name in ("ForumOrganisation", "ForumArea"):
        Link = apps.get_model("core", name)
        for forum_id, municipality_id in Forum.objects.values_list("pk", "municipality_id"):
            Link.objects.filter(forum_id=forum_id).update(municipality_id=municipality_id)


def link_model(name, table, other, other_model):
    return migrations.CreateModel(
        name=name,
        fields=[
            (
                "id",
                models.BigAutoField(
                    auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                ),
            ),
            (
                "forum",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, to="core.forum"
                ),
            ),
            (
                other,
                models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=other_model),
            ),
        ],
        options={"db_table": table, "unique_together": {("forum", other)}},
    )


def municipality_field(null):
    return models.ForeignKey(
        null=null,
        editable=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="core.municipality",
    )


def unconstrained(to, **kwargs):
    return brygga.core.tenant_keys.TenantForeignKey(
        on_delete=django.db.models.deletion.CASCADE, to=to, **kwargs
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_retentionperiod"),
    ]

    operations = [
        # the tables Django made for the many-to-many fields stay; only the state changes
        migrations.SeparateDatabaseAndState(
            state_operations=[
                link_model(
                    "ForumOrganisation", "core_forum_organisations", "organisation", "core.organisation"
                ),
                link_model("ForumArea", "core_forum_areas", "area", "core.area"),
                migrations.AlterField(
                    model_name="forum",
                    name="organisations",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="forums",
                        through="core.ForumOrganisation",
                        to="core.organisation",
                        verbose_name="member organisations",
                    ),
                ),
                migrations.AlterField(
                    model_name="forum",
                    name="areas",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="forums",
                        through="core.ForumArea",
                        to="core.area",
                        verbose_name="areas covered",
                    ),
                ),
            ]
        ),
        migrations.AddField("forumorganisation", "municipality", municipality_field(True)),
        migrations.AddField("forumarea", "municipality", municipality_field(True)),
        migrations.RunPython(fill_municipality, migrations.RunPython.noop),
        migrations.AlterField("forumorganisation", "municipality", municipality_field(False)),
        migrations.AlterField("forumarea", "municipality", municipality_field(False)),
        migrations.AlterUniqueTogether("forumorganisation", set()),
        migrations.AlterUniqueTogether("forumarea", set()),
        migrations.AlterField("forumorganisation", "forum", unconstrained("core.forum")),
        migrations.AlterField(
            "forumorganisation", "organisation", unconstrained("core.organisation")
        ),
        migrations.AlterField("forumarea", "forum", unconstrained("core.forum")),
        migrations.AlterField("forumarea", "area", unconstrained("core.area")),
        migrations.AddConstraint(
            "forumorganisation",
            models.UniqueConstraint(
                fields=("municipality", "forum", "organisation"), name="forum_organisation_unique"
            ),
        ),
        migrations.AddConstraint(
            "forumarea",
            models.UniqueConstraint(
                fields=("municipality", "forum", "area"), name="forum_area_unique"
            ),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="parent",
            field=brygga.core.tenant_keys.TenantForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="children",
                to="core.organisation",
                verbose_name="part of",
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="organisation",
            field=brygga.core.tenant_keys.TenantForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to="core.organisation",
                verbose_name="organisation",
            ),
        ),
        migrations.AlterField(
            model_name="forum",
            name="convener",
            field=brygga.core.tenant_keys.TenantForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="convened_forums",
                to="core.organisation",
                verbose_name="convener",
            ),
        ),
        migrations.RemoveConstraint("membership", "membership_unique_role"),
        migrations.AddConstraint(
            "membership",
            models.UniqueConstraint(
                fields=("municipality", "user", "organisation", "role"),
                name="membership_unique_role",
            ),
        ),
    ]
