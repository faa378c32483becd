"""Verification of the audit hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from .models import GENESIS_HASH, AuditEvent, ChainHead


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


def verify_chain(*, batch_size: int = 5000, progress=None) -> VerifyResult:
    """Walk the chain in order; report the first row whose link or content does not hold."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    qs = AuditEvent.objects.order_by("seq")
    last_seq = 0
    while True:
        rows = list(qs.filter(seq__gt=last_seq)[:batch_size])
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                if row.seq > expected_seq:
                    return VerifyResult(
                        False,
                        checked,
                        expected_seq,
                        f"row {expected_seq} is missing (next row is {row.seq})",
                    )
                return VerifyResult(False, checked, row.seq, "sequence out of order")
            if row.prev_hash != prev_hash:
                return VerifyResult(
                    False,
                    checked,
                    row.seq,
                    "link to the previous row is broken (inserted or reordered)",
                )
            if row.compute_hash() != row.hash:
                return VerifyResult(
                    False, checked, row.seq, "content does not match its hash (edited)"
                )
            prev_hash = row.hash
            expected_seq += 1
            checked += 1
            last_seq = row.seq
        if progress:
            progress(checked)
    head = ChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != prev_hash:
        if head_seq > checked:
            return VerifyResult(
                False,
                checked,
                checked + 1,
                f"rows {checked + 1}–{head_seq} were removed from the end",
            )
        return VerifyResult(
            False,
            checked,
            head_seq + 1 if head_seq < checked else checked,
            "rows were appended outside Brygga (chain head does not match)",
        )
    return VerifyResult(True, checked)
