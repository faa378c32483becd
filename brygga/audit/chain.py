"""Verification of the audit hash chain.

A row verifies when its ``seq`` follows the previous row's, its ``prev_hash`` is the previous
row's hash and its hash is the HMAC of its content with the key it names
(``brygga.audit.keys``). Keys follow each other: once a newer key signs, a replaced key never
signs again (``services.record`` refuses to), so a key that leaked and was replaced cannot add
or rewrite rows after the rotation. Rows without a key (``key_id`` ``""``, plain SHA-256, written before
the chain was keyed) verify only as the oldest part of the chain: a keyless row after a keyed
one, or a chain that ends in a keyless row, was written by someone without the key (migration
0002 sealed the older rows with a signed row). Finally the newest row must match ``ChainHead``
and, when given, the heads the operator recorded outside the database (``expect_heads``), which
is what detects rows removed from the end.
"""

from __future__ import annotations

import hmac
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection

from .keys import LEGACY_KEY_ID, UnknownKeyError, audit_keys
from .models import GENESIS_HASH, AuditEvent, ChainHead


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    # The first bad row; None when the chain could not be read at all (see ``reason``).
    bad_seq: int | None = None
    reason: str = ""
    # The newest row verified (seq 0 and the genesis hash for an empty chain).
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    # Rows per key id ("" = legacy SHA-256 rows).
    rows_per_key: dict[str, int] = field(default_factory=dict)
    # True when the chain holds together but does not reach an expected head.
    anchor_failed: bool = False
    # True when the table predates the keyed chain (``allow_unkeyed_schema``).
    unkeyed_schema: bool = False


def _has_key_column() -> bool:
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, table)
    return any(column.name == "key_id" for column in columns)


def _removed(first: int, last: int) -> str:
    return f"row {first} was" if first == last else f"rows {first}–{last} were"


def verify_chain(
    *,
    batch_size: int = 5000,
    progress=None,
    expect_heads: list[tuple[int, str]] | tuple[tuple[int, str], ...] = (),
    allow_unkeyed_schema: bool = False,
) -> VerifyResult:
    """Walk the chain in order; report the first row whose link, key or content does not hold,
    then compare the end of the chain with ``ChainHead`` and with ``expect_heads``.

    A table without the ``key_id`` column (a database of a Brygga version before migration
    ``audit.0002``, e.g. just restored from an old backup) is refused, unless
    ``allow_unkeyed_schema``: then every row is checked as a plain SHA-256 row, as that version
    did (``brygga restore`` does this before ``brygga migrate`` seals the chain).
    """
    keyed_schema = _has_key_column()
    if not keyed_schema and not allow_unkeyed_schema:
        return VerifyResult(
            False,
            0,
            None,
            "the audit table has no key_id column: the database is from an older Brygga "
            "version. Run `brygga migrate` first",
        )
    keys = audit_keys()
    wanted = {int(seq): str(h).lower() for seq, h in expect_heads}
    found: dict[int, str] = {0: GENESIS_HASH} if 0 in wanted else {}
    per_key: Counter[str] = Counter()
    expected_seq = 1
    prev_hash = GENESIS_HASH
    first_keyed: int | None = None
    last_key_id = LEGACY_KEY_ID
    replaced_at: dict[str, int] = {}  # key id -> the seq where the next key took over
    checked = 0
    qs = AuditEvent.objects.order_by("seq")
    if not keyed_schema:
        qs = qs.defer("key_id")
    last_seq = 0

    def fail(seq: int, reason: str, *, anchor_failed: bool = False) -> VerifyResult:
        return VerifyResult(
            ok=False,
            checked=checked,
            bad_seq=seq,
            reason=reason,
            head_seq=checked,
            head_hash=prev_hash,
            rows_per_key=dict(per_key),
            anchor_failed=anchor_failed,
            unkeyed_schema=not keyed_schema,
        )

    while True:
        rows = list(qs.filter(seq__gt=last_seq)[:batch_size])
        if not rows:
            head = ChainHead.objects.filter(id=1).first()
            head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
            # Brygga moves the head in the transaction that appends the row: a head ahead of
            # the walk is a row committed after the last batch was read, unless it is not there.
            if head_seq > last_seq and qs.filter(seq__gt=last_seq).exists():
                continue
            break
        for row in rows:
            if not keyed_schema:
                row.key_id = LEGACY_KEY_ID
            if row.seq != expected_seq:
                if row.seq > expected_seq:
                    return fail(
                        expected_seq, f"row {expected_seq} is missing (next row is {row.seq})"
                    )
                return fail(row.seq, "sequence out of order")
            if row.prev_hash != prev_hash:
                return fail(row.seq, "link to the previous row is broken (inserted or reordered)")
            if row.key_id == LEGACY_KEY_ID:
                if first_keyed is not None:
                    return fail(
                        row.seq,
                        "row has no audit key (a plain SHA-256 hash) but follows rows signed "
                        f"with a key since seq={first_keyed}: written without the key (forged)",
                    )
            else:
                if first_keyed is None:
                    first_keyed = row.seq
                if row.key_id in replaced_at:
                    return fail(
                        row.seq,
                        f"row is signed with the key {row.key_id!r}, which the chain replaced "
                        f"at seq={replaced_at[row.key_id]}: a replaced key cannot sign rows "
                        "again (forged with an old key)",
                    )
                if last_key_id not in (LEGACY_KEY_ID, row.key_id):
                    replaced_at[last_key_id] = row.seq
            try:
                computed = row.compute_hash(keys)
            except UnknownKeyError:
                return fail(
                    row.seq,
                    f"row is signed with the key {row.key_id!r}, which BRYGGA_AUDIT_KEYS does "
                    "not hold (a key removed from the setting, or a forged row)",
                )
            if not hmac.compare_digest(computed.encode(), row.hash.encode()):
                return fail(row.seq, "content does not match its hash (edited)")
            if row.seq in wanted:
                found[row.seq] = row.hash
            per_key[row.key_id] += 1
            prev_hash = row.hash
            last_key_id = row.key_id
            expected_seq += 1
            checked += 1
            last_seq = row.seq
        if progress:
            progress(checked)
    if checked and last_key_id == LEGACY_KEY_ID and keyed_schema:
        # Since the chain is keyed every new row is signed, and migration 0002 sealed the
        # older rows with a signed row: a chain that ends without a key was rewritten (or
        # cut back to its legacy part) by someone without the key.
        return fail(
            checked,
            "the newest row has no audit key (a plain SHA-256 hash): the chain was rewritten "
            "or cut back by someone without the key",
        )
    if head_seq != checked or head_hash != prev_hash:
        if head_seq > checked:
            return fail(checked + 1, f"{_removed(checked + 1, head_seq)} removed from the end")
        return fail(
            head_seq + 1 if head_seq < checked else checked,
            "rows were appended outside Brygga (chain head does not match)",
        )
    for seq, expected_hash in sorted(wanted.items()):
        if seq > checked:
            return fail(
                checked + 1,
                f"the chain ends at seq={checked}, but the expected head is seq={seq}: "
                f"{_removed(checked + 1, seq)} removed from the end",
                anchor_failed=True,
            )
        if not hmac.compare_digest(found[seq].encode(), expected_hash.encode()):
            return fail(
                seq,
                f"row {seq} has the hash {found[seq]}, but the expected head is "
                f"{seq}:{expected_hash}: the chain was rewritten",
                anchor_failed=True,
            )
    return VerifyResult(
        ok=True,
        checked=checked,
        head_seq=checked,
        head_hash=prev_hash,
        rows_per_key=dict(per_key),
        unkeyed_schema=not keyed_schema,
    )
