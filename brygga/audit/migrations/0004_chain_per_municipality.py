"""One audit chain per municipality plus one for the installation (``AuditEvent.chain``).

The rows written so far form one chain; they keep it as chain 0, the installation's chain, and
their hashes stay valid (``chain`` enters a row's hash only when it is not 0). Its head moves
from ``ChainHead`` id 1 to id 0 (an id is now a chain: a municipality's id, or 0). New rows
of a municipality start its own chain. ``seq`` stays unique across the installation and comes
from a sequence on PostgreSQL (created here, starting after the newest row), so writers in
different chains share no lock. ``SigningKey`` starts as the key of the newest signed row.

SQLite rebuilds the audit table to add the column, which drops its append-only triggers: they
are created again here (the statements of ``0003_append_only_triggers``).
"""

from importlib import import_module

from django.db import migrations, models

SEQUENCE = "audit_auditevent_seq_seq"
_triggers = import_module("brygga.audit.migrations.0003_append_only_triggers")


def move_head(apps, schema_editor):
    ChainHead = apps.get_model("audit", "ChainHead")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    SigningKey = apps.get_model("audit", "SigningKey")
    db = schema_editor.connection.alias
    old = ChainHead.objects.using(db).filter(id=1).first()
    if old is not None and not ChainHead.objects.using(db).filter(id=0).exists():
        ChainHead.objects.using(db).create(id=0, seq=old.seq, hash=old.hash)
        ChainHead.objects.using(db).filter(id=1).delete()
    newest = (
        AuditEvent.objects.using(db).exclude(key_id="").order_by("-seq").values("key_id").first()
    )
    if newest is not None:
        first = (
            AuditEvent.objects.using(db)
            .filter(key_id=newest["key_id"])
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        SigningKey.objects.using(db).update_or_create(
            id=1, defaults={"key_id": newest["key_id"], "since_seq": first}
        )


def sequence_and_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [SEQUENCE])
            exists = cursor.fetchone()[0] is not None
        if not exists:  # (run again, it finds it: Citus refuses OWNED BY a distributed table)
            schema_editor.execute(
                f"CREATE SEQUENCE {SEQUENCE} OWNED BY audit_auditevent.seq", params=None
            )
        schema_editor.execute(
            f"SELECT setval('{SEQUENCE}', COALESCE((SELECT MAX(seq) FROM audit_auditevent), 0) "  # noqa: S608 - a constant
            "+ 1, false)",
            params=None,
        )
    elif vendor == "sqlite":
        for statement in _triggers.SQLITE_REMOVE + _triggers.SQLITE_INSTALL:
            schema_editor.execute(statement, params=None)


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_append_only_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.BigIntegerField(default=0, verbose_name="chain"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "seq"], name="audit_chain_seq_idx"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "hash"), name="audit_hash_unique_in_chain"
            ),
        ),
        migrations.AlterField(
            model_name="chainhead",
            name="id",
            field=models.BigIntegerField(primary_key=True, serialize=False),
        ),
        migrations.CreateModel(
            name="SigningKey",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("key_id", models.CharField(max_length=32)),
                ("since_seq", models.BigIntegerField()),
            ],
            options={"verbose_name": "audit signing key"},
        ),
        migrations.RunPython(move_head, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(sequence_and_triggers, drop_sequence, elidable=False),
    ]
