"""Writes to the audit trail. Always called inside the transaction of the change it records."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from .context import Actor, current_actor, current_municipality_id, get_request_id
from .keys import AuditKeys, audit_keys
from .models import (
    GENESIS_HASH,
    INSTALLATION_CHAIN,
    AuditEvent,
    ChainHead,
    EventKind,
    SigningKey,
)

# The PostgreSQL sequence of AuditEvent.seq (migration 0004).
SEQUENCE = "audit_auditevent_seq_seq"


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _municipality_of(subject: models.Model | None) -> int | None:
    """The subject's own municipality; for a subject without one (a user account, a row with
    no subject) the municipality the action concerns (``context.current_municipality_id``)."""
    mid = getattr(subject, "municipality_id", None) if subject is not None else None
    return int(mid) if mid is not None else current_municipality_id()


# A PostgreSQL advisory lock (transaction-scoped) on the key that signs: every writer holds it
# shared while it writes a row, a new key's first row holds it exclusively (see below).
SIGNING_KEY_LOCK = 0x42727967_67614B31  # "BryggaK1"


def _lock_signing_key(*, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: every writer already holds the database's one write lock (IMMEDIATE)
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [SIGNING_KEY_LOCK])


def _check_signing_key(keys: AuditKeys) -> bool:
    """Refuse to sign with a key the trail has already left behind; True when this row is the
    first one of a new key (the caller records it as the signing key once it has its seq).

    Once rows are signed with a newer key, a replaced key never signs again (``audit verify``
    rejects such a row, so a key that leaked stops being usable once it is replaced). The key
    that signs now is one row (``SigningKey``), read by every writer whatever its chain: a
    process still running with the BRYGGA_AUDIT_KEYS from before a rotation, or a setting with
    the keys in the wrong order, fails here, before it writes a row that would break a chain
    for good. A key that has never signed may follow any key, also one the setting no longer
    holds (a lost key); it then becomes the signing key.

    Writers of different chains share no chain lock, so on PostgreSQL the check holds the
    signing-key lock until the row commits: shared by the writers of the current key, exclusive
    for a new key's first row, which therefore waits for every row of the old key being
    written, takes its seq after them, and makes an old-key writer that comes later wait for
    it and then refuse (rather than commit an old-key row after the new key's first row, which
    verify would report as forged)."""

    def signing_key() -> str | None:
        return SigningKey.objects.filter(id=1).values_list("key_id", flat=True).first()

    _lock_signing_key(exclusive=signing_key() != keys.current_id)
    current = signing_key()  # again, under the lock: a rotation may have committed meanwhile
    if current == keys.current_id:
        return False
    if current is not None and AuditEvent.objects.filter(key_id=keys.current_id).exists():
        raise ImproperlyConfigured(
            f"The audit key {keys.current_id!r} was replaced by {current!r} in the audit trail "
            "and cannot sign rows again: this process runs with the BRYGGA_AUDIT_KEYS from "
            "before a key rotation, or with the keys in the wrong order. Put the newest key "
            "first and restart every Brygga process."
        )
    return True


def next_seq() -> int:
    """The next installation-wide row number: a sequence on PostgreSQL (no lock shared by
    the chains); on SQLite, where writers take the database's write lock at BEGIN
    (IMMEDIATE transactions), the largest number plus one."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s)", [SEQUENCE])
        else:
            cursor.execute(
                f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {AuditEvent._meta.db_table}"  # noqa: S608
            )
        return int(cursor.fetchone()[0])


def chain_of(municipality_id: int | None) -> int:
    return int(municipality_id) if municipality_id is not None else INSTALLATION_CHAIN


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
    none: such rows appear on no municipality's audit log. The row joins its municipality's
    chain (the installation's chain for none), locking only that chain's head."""
    actor = actor or current_actor()
    keys = audit_keys()
    mid = municipality_id if municipality_id is not None else _municipality_of(subject)
    chain = chain_of(mid)
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            id=chain, defaults={"seq": 0, "hash": GENESIS_HASH}
        )
        new_key = _check_signing_key(keys)
        seq = next_seq()  # after the check: a new key's first row follows the old key's rows
        if new_key:
            SigningKey.objects.update_or_create(
                id=1, defaults={"key_id": keys.current_id, "since_seq": seq}
            )
        event = AuditEvent(
            seq=seq,
            chain=chain,
            created_at=timezone.now(),
            actor_id=actor.user_id if actor else None,
            actor_label=(actor.label if actor else "system")[:150],
            municipality_id=mid,
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
