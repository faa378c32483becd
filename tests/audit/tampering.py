"""What someone with write access to the database can do behind Brygga's back: switch off the
append-only triggers (the table's owner can) and write with plain SQL, hashing rows the way the
documented canonical form says (written out here, as an attacker would, not imported from
Brygga). Everything runs inside the test's transaction, so the triggers are back for the next
test."""

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
KEYED = any(f.name == "key_id" for f in AuditEvent._meta.fields)  # False before the fix
COLUMNS = ", ".join([*CONTENT, *(["key_id"] if KEYED else []), "hash"])


def canonical(fields: dict) -> bytes:
    """Compact JSON with sorted keys, UTF-8, created_at in UTC with microseconds; key_id only
    when set (docs/ARCHITECTURE.md, "Hash chain")."""
    payload = {name: fields[name] for name in CONTENT}
    payload["seq"] = int(payload["seq"])
    payload["created_at"] = payload["created_at"].astimezone(UTC).isoformat(timespec="microseconds")
    if fields.get("key_id"):
        payload["key_id"] = fields["key_id"]
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def disable_protection() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
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


def rewrite_chain(sign: Callable[[dict], tuple[str, str]], *, start: int = 1) -> str:
    """Recompute the chain from row ``start`` on with ``sign`` and move the head along, as an
    attacker with write access does after editing a row; returns the new head hash."""
    disable_protection()
    rows = list(AuditEvent.objects.order_by("seq"))
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
        cur.execute("UPDATE audit_chainhead SET hash = %s WHERE id = 1", [prev])
    return prev


def append_row(sign: Callable[[dict], tuple[str, str]], **values) -> int:
    """Insert one row after the newest with plain SQL and move the head to it."""
    head = ChainHead.objects.get(id=1)
    fields = {
        "seq": head.seq + 1,
        "created_at": timezone.now(),
        "actor_id": None,
        "actor_label": "forger",
        "municipality_id": None,
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
    key_id, digest = sign(fields)
    params = [json.dumps(v) if c == "changes" else v for c, v in fields.items()]
    params += [*([key_id] if KEYED else []), digest]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES ({', '.join(['%s'] * len(params))})",
            params,
        )
        cur.execute(
            "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [fields["seq"], digest]
        )
    return fields["seq"]


def cut_tail(rows: int) -> None:
    """Remove the newest ``rows`` rows and move the head back to the row before them."""
    disable_protection()
    keep = AuditEvent.objects.order_by("-seq")[rows]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE seq > %s", [keep.seq])
        cur.execute(
            "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [keep.seq, keep.hash]
        )
