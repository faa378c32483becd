"""`brygga audit verify` — check the audit trail's hash chain.

There is one chain per municipality and one for the installation (chain 0). It prints the head
it verified of every chain, one line each (``Head: CHAIN:SEQ:HASH``). Record those lines
somewhere the database's users cannot rewrite (docs/ADMIN.md: a daily cron job to an
append-only log) and pass them back with ``--expect-head CHAIN:SEQ:HASH``: rows removed from the
end of a chain, or a chain rewritten with the key, then no longer reach it. A head recorded
before the chains were split (``SEQ:HASH``) is a head of chain 0.
"""

import argparse
import re

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from brygga.audit.chain import verify_chain
from brygga.audit.keys import LEGACY_KEY_ID
from brygga.audit.models import INSTALLATION_CHAIN, AuditEvent

_HEAD = re.compile(r"^\s*(?:(\d+):)?(\d+):([0-9a-fA-F]{64})\s*$")


def head_argument(value: str) -> tuple[int, int, str]:
    match = _HEAD.match(value)
    if not match:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a head: give CHAIN:SEQ:HASH (the chain, a row number and 64 "
            "hex digits, separated by colons), as `brygga audit verify` prints it after "
            "'Head:'"
        )
    chain = int(match.group(1)) if match.group(1) is not None else INSTALLATION_CHAIN
    return chain, int(match.group(2)), match.group(3).lower()


class Command(BaseCommand):
    help = (
        "Audit trail tools. `audit verify` checks that no row was edited, removed or inserted, "
        "and prints the head it verified of every chain (Head: CHAIN:SEQ:HASH)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument(
            "--expect-head",
            action="append",
            type=head_argument,
            default=[],
            metavar="CHAIN:SEQ:HASH",
            help=(
                "A head printed by an earlier run and kept outside the database: that chain "
                "must still hold that row with that hash. May be given more than once (one "
                "per chain). SEQ:HASH, a head from before the chains were split, is chain 0."
            ),
        )

    def handle(self, *args, **options):
        expected = options["expect_head"]
        total = AuditEvent.objects.count()
        console = Console(file=self.stderr._out, stderr=True)
        with Progress(
            TextColumn("Kontrollerar granskningsloggen"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("verify", total=total)
            result = verify_chain(
                progress=lambda n: progress.update(task, completed=n), expect_heads=expected
            )
        if result.anchor_failed:
            chain = result.chains.get(result.bad_chain)
            ends = f"{chain.chain}:{chain.head_seq}:{chain.head_hash}" if chain else "(empty)"
            raise CommandError(
                f"Audit chain does not reach the expected head: {result.reason}. The chain "
                f"in the database ends at Head: {ends}."
            )
        if not result.ok and result.bad_seq is None and result.bad_chain is None:
            raise CommandError(f"Audit chain not verified: {result.reason}.")
        if not result.ok:
            raise CommandError(
                f"Audit chain {result.bad_chain} broken at row seq={result.bad_seq}: "
                f"{result.reason}. {result.checked} rows before it are intact."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {result.checked} rows verified in "
                f"{len(result.chains)} chains."
            )
        )
        if result.rows_per_key:
            per_key = ", ".join(
                f"{'legacy SHA-256 (no key)' if key_id == LEGACY_KEY_ID else key_id}: {n}"
                for key_id, n in sorted(result.rows_per_key.items())
            )
            self.stdout.write(f"Rows per key: {per_key}.")
        for chain, seq, expected_hash in expected:
            self.stdout.write(
                f"Expected head {chain}:{seq}:{expected_hash[:12]}… found in the chain."
            )
        for chain, seq, head_hash in result.heads():
            self.stdout.write(f"Head: {chain}:{seq}:{head_hash}")
