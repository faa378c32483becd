"""`brygga restore ARCHIVE [--force]` — restore a `brygga backup` archive and check it."""

from __future__ import annotations

import sqlite3

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from rich.console import Console

from brygga.core.backup import BackupError, vendor_name
from brygga.core.pgclient import PgClientError
from brygga.core.restore import describe_target, restore_backup

from ._progress import step_reporter


class Command(BaseCommand):
    # A restore must not depend on URL or template checks passing.
    requires_system_checks = []
    help = (
        "Restore a `brygga backup` archive into the configured database (which must be empty "
        "unless --force) and MEDIA_ROOT, then check row counts and the audit chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", metavar="ARCHIVE", help="The .tar file from brygga backup.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace everything in a database that is not empty.",
        )

    def handle(self, *args, **options):
        console = Console(file=self.stderr._out, stderr=True, highlight=False)
        target = describe_target()
        try:
            with step_reporter(console, "Restoring") as report:
                result = restore_backup(
                    archive=options["archive"], force=options["force"], report=report
                )
        except (BackupError, PgClientError, OSError, sqlite3.Error, DatabaseError) as exc:
            raise CommandError(f"Restore failed: {exc}") from exc
        m = result.manifest
        self.stdout.write(
            f"Restored {options['archive']} (made {m.get('created_at')} by Brygga "
            f"{m.get('brygga_version')}, {vendor_name(m.get('database_vendor', ''))}) "
            f"into the {target}."
        )
        self.stdout.write(
            f"  database: {result.rows} rows in {result.tables} tables; "
            f"uploaded files: {result.media_files}; audit chain: {result.audit_rows} rows"
        )
        for note in result.notes:
            self.stdout.write(self.style.WARNING(f"  note: {note}"))
        if not result.ok:
            raise CommandError(
                "The restored data does not match the backup:\n  - "
                + "\n  - ".join(result.problems)
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Checks passed: every table's row count matches the backup, the audit chain "
                "is intact and its head matches the backup."
            )
        )
