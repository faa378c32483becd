"""The audit chain becomes keyed: every row stores the id of the key that signed it.

Existing rows keep their plain SHA-256 hashes and the key id "" (legacy). One signed row,
``audit_chain_keyed``, is appended after them: it seals the legacy part, so that a chain whose
newest row has no key can only have been rewritten (or cut back) by someone without the key.
The seal is written with the current key of ``BRYGGA_AUDIT_KEYS``, so that setting must be in
place before this migration runs (the production settings refuse to start without it).
"""

from django.db import migrations, models
from django.utils import timezone


def seal_legacy_rows(apps, schema_editor):
    from brygga.audit.keys import audit_keys, canonical, row_hash

    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    db = schema_editor.connection.alias
    head = ChainHead.objects.using(db).select_for_update().filter(id=1).first()
    if head is None or head.seq == 0:
        return  # a new installation: every row will be signed
    keys = audit_keys()
    fields = {
        "seq": head.seq + 1,
        "created_at": timezone.now(),
        "actor_id": None,
        "actor_label": "brygga migrate",
        "municipality_id": None,
        "kind": "action",
        "event_type": "audit_chain_keyed",
        "object_type": "",
        "object_id": "",
        "object_repr": "",
        "changes": {"legacy_rows": head.seq, "key_id": keys.current_id},
        "purpose": "",
        "request_id": "",
        "prev_hash": head.hash,
        "key_id": keys.current_id,
    }
    seal = AuditEvent(**fields, hash=row_hash(canonical(fields), keys.current_id, keys))
    seal.save(using=db, force_insert=True)
    head.seq, head.hash = seal.seq, seal.hash
    head.save(using=db, update_fields=["seq", "hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="key id"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["key_id"], name="audit_audit_key_id_idx"),
        ),
        migrations.RunPython(seal_legacy_rows, migrations.RunPython.noop),
    ]
