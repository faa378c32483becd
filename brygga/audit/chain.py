"""Verification of the audit hash chains (one per municipality, one for the installation).

Within a chain, rows follow each other by ``seq``; a row verifies when its ``prev_hash`` is the
previous row's hash (so a row removed from the middle breaks the link of the next) and its
hash is the HMAC of its content with the key it names (``brygga.audit.keys``). Keys follow
each other across the whole trail: once a newer key signs (its first row, in any chain), a
replaced key never signs again (``services.record`` refuses to), so a row signed with the
older key after that point, in any chain, was forged with a key that leaked. Rows without a key
(``key_id`` ``""``, plain SHA-256, written before the chain was keyed) verify only as the
oldest part of the installation chain: a keyless row after a keyed one, or a chain that ends
in a keyless row, was written by someone without the key (migration 0002 sealed the older rows
with a signed row). Finally each chain's newest row must match its ``ChainHead`` and, when
given, the heads the operator recorded outside the database (``expect_heads``), which is what
detects rows removed from the end.
"""

from __future__ import annotations

import hmac
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Min

from .keys import LEGACY_KEY_ID, UnknownKeyError, audit_keys
from .models import GENESIS_HASH, INSTALLATION_CHAIN, AuditEvent, ChainHead


@dataclass
class ChainResult:
    """One chain's outcome: its newest verified row, rows and keys."""

    chain: int
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    checked: int = 0


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    # The first bad row; None when the trail could not be read at all (see ``reason``).
    bad_seq: int | None = None
    reason: str = ""
    # The chain of the bad row (or of the failed anchor); None when the trail is intact.
    bad_chain: int | None = None
    # Every chain verified (up to the bad row for the failing one), by chain id.
    chains: dict[int, ChainResult] = field(default_factory=dict)
    # Rows per key id ("" = legacy SHA-256 rows).
    rows_per_key: dict[str, int] = field(default_factory=dict)
    # True when the chains hold together but do not reach an expected head.
    anchor_failed: bool = False
    # True when the table predates the keyed chain (``allow_unkeyed_schema``).
    unkeyed_schema: bool = False

    @property
    def head_seq(self) -> int:
        """The installation chain's head (the one chain before chains were split)."""
        return self.chains.get(INSTALLATION_CHAIN, ChainResult(INSTALLATION_CHAIN)).head_seq

    @property
    def head_hash(self) -> str:
        return self.chains.get(INSTALLATION_CHAIN, ChainResult(INSTALLATION_CHAIN)).head_hash

    def heads(self) -> list[tuple[int, int, str]]:
        """``(chain, seq, hash)`` of every chain, as ``brygga audit verify`` prints them."""
        return [(c.chain, c.head_seq, c.head_hash) for _, c in sorted(self.chains.items())]


def _columns() -> set[str]:
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def _removed(first: int, last: int) -> str:
    return f"row {first} was" if first == last else f"rows up to {last} were"


def _key_order(qs, known) -> dict[str, int]:
    """For each key that a newer key replaced: the seq of the newer key's first row. Keys
    follow each other across the whole trail (one signing key at a time, ``SigningKey``), so a
    row signed with a key after that point, in any chain, was forged with a replaced key.
    Only the keys of BRYGGA_AUDIT_KEYS (``known``) count: a key id someone made up is no newer
    key (its rows are reported as signed with a key the setting does not hold), or a row forged
    under it would make every genuine row after it, in any chain, look forged instead."""
    firsts = sorted(
        (first, key_id)
        for key_id, first in qs.exclude(key_id=LEGACY_KEY_ID)
        .filter(key_id__in=list(known))
        .values("key_id")
        .annotate(first=Min("seq"))
        .values_list("key_id", "first")
    )
    return {key_id: firsts[i + 1][0] for i, (_f, key_id) in enumerate(firsts[:-1])}


def verify_chain(
    *,
    batch_size: int = 5000,
    progress=None,
    expect_heads: list | tuple = (),
    allow_unkeyed_schema: bool = False,
) -> VerifyResult:
    """Walk every chain in order; report the first row whose link, key or content does not
    hold, then compare each chain's end with its ``ChainHead`` and with ``expect_heads``
    (``(chain, seq, hash)``; a pair ``(seq, hash)`` means the installation chain, as heads
    recorded before the chains were split).

    A table without the ``key_id`` column (a database of a Brygga version before migration
    ``audit.0002``, e.g. just restored from an old backup) is refused, unless
    ``allow_unkeyed_schema``: then every row is checked as a plain SHA-256 row, as that version
    did (``brygga restore`` does this before ``brygga migrate`` seals the chain). A table
    without the ``chain`` column (before ``audit.0004``) is one chain, the installation's.
    """
    columns = _columns()
    keyed_schema = "key_id" in columns
    split_schema = "chain" in columns
    if not keyed_schema and not allow_unkeyed_schema:
        return VerifyResult(
            False,
            0,
            None,
            "the audit table has no key_id column: the database is from an older Brygga "
            "version. Run `brygga migrate` first",
        )
    keys = audit_keys()
    wanted: dict[int, dict[int, str]] = {}
    for head in expect_heads:
        chain, seq, h = head if len(head) == 3 else (INSTALLATION_CHAIN, *head)
        wanted.setdefault(int(chain), {})[int(seq)] = str(h).lower()
    qs = AuditEvent.objects.all()
    deferred = [
        name for name, present in (("key_id", keyed_schema), ("chain", split_schema)) if not present
    ]
    if deferred:
        qs = qs.defer(*deferred)
    replaced_at = _key_order(qs, keys.keys) if keyed_schema else {}
    if not split_schema:
        chains = [INSTALLATION_CHAIN]
    else:
        chains = sorted(
            set(qs.values_list("chain", flat=True).distinct())
            | set(ChainHead.objects.values_list("id", flat=True))
        )

    def head_of(chain: int) -> tuple[int, str]:
        """The chain's head as committed now (a row and its head move in one transaction)."""
        if not split_schema:
            # one chain, whatever id its head row had (1 before the chains were split)
            row = ChainHead.objects.order_by("-seq").values_list("seq", "hash").first()
        else:
            row = ChainHead.objects.filter(id=chain).values_list("seq", "hash").first()
        return row if row is not None else (0, GENESIS_HASH)

    result = VerifyResult(ok=True, checked=0, unkeyed_schema=not keyed_schema)
    per_key: Counter[str] = Counter()

    def fail(chain: int, seq: int | None, reason: str, *, anchor_failed=False) -> VerifyResult:
        result.ok = False
        result.bad_chain, result.bad_seq = chain, seq
        result.reason = reason if chain == INSTALLATION_CHAIN else f"chain {chain}: {reason}"
        result.anchor_failed = anchor_failed
        result.rows_per_key = dict(per_key)
        return result

    for chain in chains:
        state = ChainResult(chain)
        result.chains[chain] = state
        rows_of = qs.filter(chain=chain) if split_schema else qs
        rows_of = rows_of.order_by("seq")
        first_keyed: int | None = None
        last_key_id = LEGACY_KEY_ID
        last_seq = 0
        while True:
            rows = list(rows_of.filter(seq__gt=last_seq)[:batch_size])
            if not rows:
                head_seq, head_hash = head_of(chain)
                # A head ahead of the walk is a row committed after the last batch was read,
                # unless it is not there.
                if head_seq > last_seq and rows_of.filter(seq__gt=last_seq).exists():
                    continue
                break
            for row in rows:
                if not keyed_schema:
                    row.key_id = LEGACY_KEY_ID
                if not split_schema:
                    row.chain = INSTALLATION_CHAIN
                if row.prev_hash != state.head_hash:
                    return fail(
                        chain,
                        row.seq,
                        "link to the previous row is broken (a row before it was removed, "
                        "or it was inserted or reordered)",
                    )
                if row.key_id == LEGACY_KEY_ID:
                    if first_keyed is not None:
                        return fail(
                            chain,
                            row.seq,
                            "row has no audit key (a plain SHA-256 hash) but follows rows "
                            f"signed with a key since seq={first_keyed}: written without the "
                            "key (forged)",
                        )
                else:
                    if first_keyed is None:
                        first_keyed = row.seq
                    if row.key_id in replaced_at and row.seq > replaced_at[row.key_id]:
                        return fail(
                            chain,
                            row.seq,
                            f"row is signed with the key {row.key_id!r}, which a newer key "
                            f"replaced at seq={replaced_at[row.key_id]}: a replaced key cannot "
                            "sign rows again (forged with an old key)",
                        )
                try:
                    computed = row.compute_hash(keys)
                except UnknownKeyError:
                    return fail(
                        chain,
                        row.seq,
                        f"row is signed with the key {row.key_id!r}, which BRYGGA_AUDIT_KEYS "
                        "does not hold (a key removed from the setting, or a forged row)",
                    )
                if not hmac.compare_digest(computed.encode(), row.hash.encode()):
                    return fail(chain, row.seq, "content does not match its hash (edited)")
                per_key[row.key_id] += 1
                state.head_seq, state.head_hash = row.seq, row.hash
                state.checked += 1
                result.checked += 1
                last_key_id = row.key_id
                last_seq = row.seq
            if progress:
                progress(result.checked)
        if state.checked and last_key_id == LEGACY_KEY_ID and keyed_schema:
            # Since the chain is keyed every new row is signed, and migration 0002 sealed the
            # older rows with a signed row: a chain that ends without a key was rewritten (or
            # cut back to its legacy part) by someone without the key.
            return fail(
                chain,
                state.head_seq,
                "the newest row has no audit key (a plain SHA-256 hash): the chain was "
                "rewritten or cut back by someone without the key",
            )
        if (head_seq, head_hash) != (state.head_seq, state.head_hash):
            if head_seq > state.head_seq:
                return fail(
                    chain,
                    state.head_seq,
                    f"{_removed(state.head_seq, head_seq)} removed from the end (the chain's "
                    f"head is seq={head_seq})",
                )
            return fail(
                chain,
                state.head_seq,
                "rows were appended outside Brygga (chain head does not match)",
            )
    for chain, expected in sorted(wanted.items()):
        state = result.chains.get(chain, ChainResult(chain))
        for seq, expected_hash in sorted(expected.items()):
            found = _row_hash(qs, chain, seq, split_schema) if seq else GENESIS_HASH
            if found is None:
                return fail(
                    chain,
                    seq,
                    f"the chain ends at seq={state.head_seq}, but the expected head is "
                    f"seq={seq}: rows were removed from the end",
                    anchor_failed=True,
                )
            if not hmac.compare_digest(found.encode(), expected_hash.encode()):
                return fail(
                    chain,
                    seq,
                    f"row {seq} has the hash {found}, but the expected head is "
                    f"{seq}:{expected_hash}: the chain was rewritten",
                    anchor_failed=True,
                )
    result.rows_per_key = dict(per_key)
    return result


def _row_hash(qs, chain: int, seq: int, split_schema: bool) -> str | None:
    rows = qs.filter(seq=seq)
    if split_schema:
        rows = rows.filter(chain=chain)
    return rows.values_list("hash", flat=True).first()
