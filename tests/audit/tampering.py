"""What someone with write access to the database can do behind Brygga's back: switch off the
append-only triggers (the table's owner can) and write with plain SQL, hashing rows the way the
documented canonical form says (written out here, as an attacker would, not imported from
Brygga). Everything runs inside the test's transaction, so the triggers are back for the next
test.

There is one chain per municipality and one for the installation (``chain`` 0): the helpers
work on one chain, the installation's unless told. ``seq`` is unique across the installation
but not contiguous within a chain, so a forged row takes a number no row has."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import UTC

from django.db import connection
from django.utils import timezone

from brygga.audit.models import AuditEvent, ChainHead

CONTENT = (
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "municipality_id",
    "kind",
    "event_type",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "purpose",
    "request_id",
    "prev_hash",
)
_FIELDS = {f.name for f in AuditEvent._meta.fields}
KEYED = "key_id" in _FIELDS  # False before the keyed chain
SPLIT = "chain" in _FIELDS  # False before one chain per municipality
INSTALLATION = 0
COLUMNS = ", ".join(
    [*CONTENT, *(["key_id"] if KEYED else []), *(["chain"] if SPLIT else []), "hash"]
)
# The PostgreSQL sequence that hands out seq (migration audit.0004).
SEQUENCE = "audit_auditevent_seq_seq"


def canonical(fields: dict) -> bytes:
    """Compact JSON with sorted keys, UTF-8, created_at in UTC with microseconds; key_id only
    when set, chain only when not 0 (docs/ARCHITECTURE.md, "Hash chain")."""
    payload = {name: fields[name] for name in CONTENT}
    payload["seq"] = int(payload["seq"])
    payload["created_at"] = payload["created_at"].astimezone(UTC).isoformat(timespec="microseconds")
    if fields.get("key_id"):
        payload["key_id"] = fields["key_id"]
    if fields.get("chain"):
        payload["chain"] = int(fields["chain"])
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def disable_protection() -> None:
    from brygga.core import citus

    with connection.cursor() as cur:
        if citus.is_citus():
            # a distributed table's triggers cannot be disabled, only dropped (the table's
            # owner can; the test's transaction puts them back)
            cur.execute("SET LOCAL citus.enable_unsafe_triggers = on")
            cur.execute(
                "DROP TRIGGER IF EXISTS audit_auditevent_append_only_row ON audit_auditevent"
            )
        elif connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cur.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")


def sql(statement: str, *params) -> None:
    disable_protection()
    with connection.cursor() as cur:
        cur.execute(statement, params)


def fields_of(row: AuditEvent) -> dict:
    return {f.attname: getattr(row, f.attname) for f in AuditEvent._meta.concrete_fields}


def chain_rows(chain: int = INSTALLATION) -> list[AuditEvent]:
    """The rows of one chain, oldest first."""
    return list(AuditEvent.objects.filter(chain=chain).order_by("seq"))


def free_seq() -> int:
    """A row number no row has, as Brygga would hand it out next: the sequence on PostgreSQL
    (so that a later row written by Brygga does not collide), the largest plus one on SQLite."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(%s)", [SEQUENCE])
        else:
            cur.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_auditevent")
        return int(cur.fetchone()[0])


def plain_sha256(fields: dict) -> tuple[str, str]:
    """A row hashed as before the chain was keyed: no key id, SHA-256."""
    return "", hashlib.sha256(canonical({**fields, "key_id": ""})).hexdigest()


def keyed_with(key_id: str, key: bytes | None = None) -> Callable[[dict], tuple[str, str]]:
    """Rows signed under ``key_id`` with ``key`` (default: a key of the attacker's own)."""
    key = key or secrets.token_bytes(32)

    def sign(fields: dict) -> tuple[str, str]:
        data = canonical({**fields, "key_id": key_id})
        return key_id, hmac.new(key, data, hashlib.sha256).hexdigest()

    return sign


def rewrite_chain(
    sign: Callable[[dict], tuple[str, str]], *, chain: int = INSTALLATION, start: int = 1
) -> str:
    """Recompute ``chain`` from its ``start``-th row (1 = its first) on with ``sign`` and move
    its head along, as an attacker with write access does after editing a row; returns the new
    head hash."""
    disable_protection()
    rows = chain_rows(chain)
    prev = rows[start - 2].hash if start > 1 else "0" * 64
    with connection.cursor() as cur:
        for row in rows[start - 1 :]:
            fields = {**fields_of(row), "prev_hash": prev}
            key_id, digest = sign(fields)
            if KEYED:
                cur.execute(
                    "UPDATE audit_auditevent SET prev_hash = %s, key_id = %s, hash = %s "
                    "WHERE seq = %s",
                    [prev, key_id, digest, row.seq],
                )
            else:
                cur.execute(
                    "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                    [prev, digest, row.seq],
                )
            prev = digest
        cur.execute("UPDATE audit_chainhead SET hash = %s WHERE id = %s", [prev, chain])
    return prev


def append_row(
    sign: Callable[[dict], tuple[str, str]],
    *,
    chain: int = INSTALLATION,
    head_id: int | None = None,
    **values,
) -> int:
    """Insert one row after the newest of ``chain`` with plain SQL (a row number no row has)
    and move the chain's head to it; returns its seq. ``head_id``: the head row to follow and
    move, when it is not the chain's (id 1, the one head before the chains were split)."""
    head_id = chain if head_id is None else head_id
    head = ChainHead.objects.get(id=head_id)
    fields = {
        "seq": free_seq(),
        "created_at": timezone.now(),
        "actor_id": None,
        "actor_label": "forger",
        "municipality_id": chain or None,
        "kind": "action",
        "event_type": "",
        "object_type": "",
        "object_id": "",
        "object_repr": "",
        "changes": {},
        "purpose": "",
        "request_id": "",
        "prev_hash": head.hash,
        **values,
    }
    key_id, digest = sign({**fields, "chain": chain})
    params = [json.dumps(v) if c == "changes" else v for c, v in fields.items()]
    params += [*([key_id] if KEYED else []), *([chain] if SPLIT else []), digest]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES ({', '.join(['%s'] * len(params))})",
            params,
        )
        cur.execute(
            "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = %s",
            [fields["seq"], digest, head_id],
        )
    return fields["seq"]


def cut_tail(rows: int, *, chain: int = INSTALLATION) -> AuditEvent:
    """Remove the newest ``rows`` rows of ``chain`` and move its head back to the row before
    them; returns that row, the chain's new end."""
    disable_protection()
    keep = AuditEvent.objects.filter(chain=chain).order_by("-seq")[rows]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE chain = %s AND seq > %s", [chain, keep.seq])
        cur.execute(
            "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = %s",
            [keep.seq, keep.hash, chain],
        )
    return keep
