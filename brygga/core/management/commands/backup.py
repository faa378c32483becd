"""`brygga backup [--output PATH]` — one private archive of the database and uploaded files."""

from __future__ import annotations

import sqlite3

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from rich.console import Console

from brygga.core.backup import BackupError, create_backup, format_size
from brygga.core.pgclient import PgClientError

from ._progress import step_reporter


class Command(BaseCommand):
    # The backup must not depend on URL or template checks passing (a nightly job).
    requires_system_checks = []
    help = (
        "Write one archive (mode 0600) with the database, the uploaded files and a manifest of "
        "row counts and the audit chain head. Restore it with `brygga restore`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            metavar="PATH",
            help=(
                "Archive file to write, or an existing directory to write "
                "brygga-backup-YYYYMMDD-HHMMSS.tar (UTC) into. Default: the current directory."
            ),
        )

    def handle(self, *args, **options):
        console = Console(file=self.stderr._out, stderr=True, highlight=False)
        try:
            with step_reporter(console, "Backing up") as report:
                result = create_backup(output=options["output"], report=report)
        except (BackupError, PgClientError, OSError, sqlite3.Error, DatabaseError) as exc:
            raise CommandError(f"Backup failed, no archive was written: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written: {result.path} ({format_size(result.size)}; "
                f"{result.rows} rows in {result.tables} tables; "
                f"{result.media_files} uploaded file{'' if result.media_files == 1 else 's'})"
            )
        )
