"""The keys of the audit chain and the hash of one row.

Each row's hash is an HMAC-SHA256 over its canonical form, keyed with a secret that lives
outside the database (``BRYGGA_AUDIT_KEYS``), so write access to the database is not enough to
recompute the chain. The setting lists ``id:key`` pairs separated by commas; the first signs
new rows, the others only verify the rows they signed (key rotation). Each row stores the id of
its key. Rows written before the chain was keyed have the id ``""`` (``LEGACY_KEY_ID``) and a
plain SHA-256 hash; they verify only as the oldest part of the chain (``brygga.audit.chain``).

This module imports no model and reads no setting at import time: the settings import it to
derive the development key and to check the production value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured

LEGACY_KEY_ID = ""
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_KEY_BYTES = 32
SETTING = "BRYGGA_AUDIT_KEYS"
# The fields a row's hash covers, by column name: a field added to AuditEvent later must not
# join this list, or every existing row would stop verifying.
HASHED_FIELDS = (
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
    "key_id",
    "chain",
)
# Covered only when set (not empty, not 0), so the rows written before the field existed keep
# their hashes: key_id since the chain was keyed, chain since there is one per municipality.
OPTIONAL_FIELDS = ("key_id", "chain")
GENERATE_HINT = (
    "Make a key with: python3 -c \"import secrets; print('k1:' + secrets.token_urlsafe(32))\""
)


class UnknownKeyError(KeyError):
    """A row names a key id that ``BRYGGA_AUDIT_KEYS`` does not hold."""


@dataclass(frozen=True)
class AuditKeys:
    current_id: str
    keys: dict[str, bytes]

    def __repr__(self) -> str:  # never show key material, not even in a traceback
        return f"AuditKeys(current_id={self.current_id!r}, ids={list(self.keys)!r})"


def _decode(encoded: str) -> bytes:
    """Base64, standard or URL-safe alphabet, padding optional."""
    text = encoded.strip().rstrip("=").replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def parse_keys(value: str) -> AuditKeys:
    """Parse ``id1:base64key,id2:base64key``; ``ImproperlyConfigured`` names what is wrong
    (by position, never showing a key)."""
    entries = [entry.strip() for entry in (value or "").split(",") if entry.strip()]
    if not entries:
        raise ImproperlyConfigured(f"{SETTING} is empty. {GENERATE_HINT}")
    keys: dict[str, bytes] = {}
    for number, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep:
            raise ImproperlyConfigured(
                f"{SETTING}: entry {number} is not of the form ID:KEY (a key id, a colon and "
                f"a base64 key). {GENERATE_HINT}"
            )
        if not KEY_ID_PATTERN.match(key_id):
            raise ImproperlyConfigured(
                f"{SETTING}: the key id of entry {number} must be 1–32 letters, digits, '.', "
                "'_' or '-'."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"{SETTING}: the key id {key_id!r} appears twice.")
        try:
            raw = _decode(encoded)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(
                f"{SETTING}: the key {key_id!r} is not valid base64. {GENERATE_HINT}"
            ) from None
        if len(raw) < MIN_KEY_BYTES:
            raise ImproperlyConfigured(
                f"{SETTING}: the key {key_id!r} is {len(raw)} bytes long; at least "
                f"{MIN_KEY_BYTES} random bytes are needed. {GENERATE_HINT}"
            )
        keys[key_id] = raw
    return AuditKeys(current_id=next(iter(keys)), keys=keys)


def development_keys(secret_key: str) -> str:
    """The value used when ``BRYGGA_AUDIT_KEYS`` is not set (development and tests only; the
    production settings require the variable): one key, id ``dev``, derived from SECRET_KEY."""
    raw = hmac.new(secret_key.encode(), b"brygga audit chain key", hashlib.sha256).digest()
    return "dev:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


@lru_cache(maxsize=8)
def _parsed(value: str) -> AuditKeys:
    return parse_keys(value)


def audit_keys() -> AuditKeys:
    """The configured keys (parsed once per distinct setting value)."""
    from django.conf import settings

    return _parsed(getattr(settings, SETTING, ""))


def canonical(fields: dict[str, Any]) -> bytes:
    """The bytes a row's hash covers: the ``HASHED_FIELDS`` as compact JSON with sorted keys,
    UTF-8, ``created_at`` in UTC with microseconds. ``key_id`` and ``chain`` are covered only
    when they are set (``OPTIONAL_FIELDS``), so the hashes of the rows written before keys and
    per-municipality chains existed stay valid."""
    payload = {name: fields[name] for name in HASHED_FIELDS if name not in OPTIONAL_FIELDS}
    for name in OPTIONAL_FIELDS:
        if fields.get(name):
            payload[name] = fields[name]
    created = payload["created_at"]
    if isinstance(created, datetime):
        payload["created_at"] = created.astimezone(UTC).isoformat(timespec="microseconds")
    payload["seq"] = int(payload["seq"])
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def row_hash(data: bytes, key_id: str, keys: AuditKeys | None = None) -> str:
    """HMAC-SHA256 of ``data`` with the key ``key_id``; plain SHA-256 for legacy rows.
    Raises ``UnknownKeyError`` for a key id the setting does not hold."""
    if key_id == LEGACY_KEY_ID:
        return hashlib.sha256(data).hexdigest()
    keys = keys or audit_keys()
    try:
        key = keys.keys[key_id]
    except KeyError:
        raise UnknownKeyError(key_id) from None
    return hmac.new(key, data, hashlib.sha256).hexdigest()


FINGERPRINT_PREFIX = "fp"


def fingerprint(value: Any, keys: AuditKeys | None = None) -> str:
    """A keyed fingerprint of personal data for the audit trail: ``fp:<key id>:<16 hex>``.

    The trail must tell versions of a text apart (and let an investigator who holds the key
    check whether a given value was written) without holding the text itself. A plain hash of
    a short value (a name, a phone number, a user name) is reversed by trying every candidate;
    an HMAC with a key that lives outside the database is not. The key is derived from the
    current audit key (a separate purpose, so a fingerprint is never a row hash); after a key
    rotation new fingerprints carry the new key id."""
    keys = keys or audit_keys()
    subkey = hmac.new(
        keys.keys[keys.current_id], b"brygga personal-data fingerprint", hashlib.sha256
    ).digest()
    digest = hmac.new(subkey, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
    return f"{FINGERPRINT_PREFIX}:{keys.current_id}:{digest}"
