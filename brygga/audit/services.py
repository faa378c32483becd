"""Writes to the audit trail. Always called inside the transaction of the change it records."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .context import Actor, current_actor, current_municipality_id, get_request_id
from .keys import LEGACY_KEY_ID, AuditKeys, audit_keys
from .models import AuditEvent, ChainHead, EventKind


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _municipality_of(subject: models.Model | None) -> int | None:
    """The subject's own municipality; for a subject without one (a user account, a row with
    no subject) the municipality the action concerns (``context.current_municipality_id``)."""
    mid = getattr(subject, "municipality_id", None) if subject is not None else None
    return int(mid) if mid is not None else current_municipality_id()


def _check_signing_key(head: ChainHead, keys: AuditKeys) -> None:
    """Refuse to sign with a key the chain has already left behind.

    Once rows are signed with a newer key, a replaced key never signs again (``audit verify``
    rejects such a row, so a key that leaked stops being usable once it is replaced). A
    process still running with the BRYGGA_AUDIT_KEYS from before a rotation, or a setting with
    the keys in the wrong order, therefore fails here, before it writes a row that would break
    the chain for good. A key that has never signed may follow any key, also one the setting
    no longer holds (a lost key). Checked only when the newest row has another key than ours,
    so one primary-key lookup per row otherwise."""
    if head.seq == 0:
        return
    last = AuditEvent.objects.filter(seq=head.seq).values_list("key_id", flat=True).first()
    if last is None or last in (keys.current_id, LEGACY_KEY_ID):
        return
    if AuditEvent.objects.filter(key_id=keys.current_id).exists():
        raise ImproperlyConfigured(
            f"The audit key {keys.current_id!r} was replaced by {last!r} in the audit chain "
            "and cannot sign rows again: this process runs with the BRYGGA_AUDIT_KEYS from "
            "before a key rotation, or with the keys in the wrong order. Put the newest key "
            "first and restart every Brygga process."
        )


def _object_type(subject: models.Model | None) -> str:
    return subject._meta.label_lower if subject is not None else ""


def record(
    *,
    kind: str,
    subject: models.Model | None = None,
    event_type: str = "",
    changes: dict | None = None,
    purpose: str = "",
    actor: Actor | None = None,
    municipality_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one row to the hash chain (in the caller's transaction), signed with the current
    key of ``BRYGGA_AUDIT_KEYS``.

    The row's municipality: ``municipality_id`` if given, else the subject's, else the one the
    action concerns (``context.concerning`` or the municipality of the current page), else
    none: such rows appear on no municipality's audit log."""
    actor = actor or current_actor()
    keys = audit_keys()
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        _check_signing_key(head, keys)
        event = AuditEvent(
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor_id=actor.user_id if actor else None,
            actor_label=(actor.label if actor else "system")[:150],
            municipality_id=(
                municipality_id if municipality_id is not None else _municipality_of(subject)
            ),
            kind=kind,
            event_type=event_type[:80],
            object_type=object_type or _object_type(subject),
            object_id=object_id or (str(subject.pk) if subject is not None else ""),
            object_repr=(object_repr or (str(subject) if subject is not None else ""))[:200],
            changes=_jsonable(changes or {}),
            purpose=purpose[:200],
            request_id=get_request_id(),
            prev_hash=head.hash,
            key_id=keys.current_id,
        )
        event.hash = event.compute_hash(keys)
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


def log_access(
    user, subject: models.Model, purpose: str, *, fields: tuple[str, ...] = ()
) -> AuditEvent:
    """Record that ``user`` read personal data in ``subject`` and why.

    Later modules call this for every read of personal data, in the same transaction as the
    read; the row names whose data (the subject), which fields and the purpose.
    """
    from .context import actor_for_user

    return record(
        kind=EventKind.ACCESS,
        subject=subject,
        event_type="read",
        changes={"fields": list(fields)},
        purpose=purpose,
        actor=actor_for_user(user) or current_actor(),
    )


def log_action(
    *,
    event_type: str,
    subject: models.Model | None = None,
    details: dict | None = None,
    actor: Actor | None = None,
    municipality_id: int | None = None,
) -> AuditEvent:
    """A domain event ("lägesbild published", "consent given") with its details."""
    return record(
        kind=EventKind.ACTION,
        subject=subject,
        event_type=event_type,
        changes=details or {},
        actor=actor,
        municipality_id=municipality_id,
    )
