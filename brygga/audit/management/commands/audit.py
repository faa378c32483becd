"""`brygga audit verify` — check the audit trail's hash chain."""

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from brygga.audit.chain import verify_chain
from brygga.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Audit trail tools. `audit verify` checks that no row was edited, removed or inserted."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
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
            result = verify_chain(progress=lambda n: progress.update(task, completed=n))
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at row seq={result.bad_seq}: {result.reason}. "
                f"{result.checked} rows before it are intact."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {result.checked} rows verified.")
        )
