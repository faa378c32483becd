"""`brygga audit verify` — check the audit trail's hash chain.

It prints the head it verified (``Head: SEQ:HASH``). Record that line somewhere the database's
users cannot rewrite (docs/ADMIN.md: a daily cron job to an append-only log) and pass it back
with ``--expect-head SEQ:HASH``: rows removed from the end of the chain, or a chain rewritten
with the key, then no longer reach it.
"""

import argparse
import re

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from brygga.audit.chain import verify_chain
from brygga.audit.keys import LEGACY_KEY_ID
from brygga.audit.models import AuditEvent

_HEAD = re.compile(r"^\s*(\d+):([0-9a-fA-F]{64})\s*$")


def head_argument(value: str) -> tuple[int, str]:
    match = _HEAD.match(value)
    if not match:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a head: give SEQ:HASH (a row number, a colon and 64 hex "
            "digits), as `brygga audit verify` prints it after 'Head:'"
        )
    return int(match.group(1)), match.group(2).lower()


class Command(BaseCommand):
    help = (
        "Audit trail tools. `audit verify` checks that no row was edited, removed or inserted, "
        "and prints the head it verified (Head: SEQ:HASH)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument(
            "--expect-head",
            action="append",
            type=head_argument,
            default=[],
            metavar="SEQ:HASH",
            help=(
                "A head printed by an earlier run and kept outside the database: the chain "
                "must still hold that row with that hash. May be given more than once."
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
            raise CommandError(
                f"Audit chain does not reach the expected head: {result.reason}. The chain "
                f"in the database ends at Head: {result.head_seq}:{result.head_hash}."
            )
        if not result.ok and result.bad_seq is None:
            raise CommandError(f"Audit chain not verified: {result.reason}.")
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at row seq={result.bad_seq}: {result.reason}. "
                f"{result.checked} rows before it are intact."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {result.checked} rows verified.")
        )
        if result.rows_per_key:
            per_key = ", ".join(
                f"{'legacy SHA-256 (no key)' if key_id == LEGACY_KEY_ID else key_id}: {n}"
                for key_id, n in sorted(result.rows_per_key.items())
            )
            self.stdout.write(f"Rows per key: {per_key}.")
        for seq, expected_hash in expected:
            self.stdout.write(f"Expected head {seq}:{expected_hash[:12]}… found in the chain.")
        self.stdout.write(f"Head: {result.head_seq}:{result.head_hash}")
