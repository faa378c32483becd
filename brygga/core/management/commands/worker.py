"""`brygga worker` — run background tasks from the database queue (django-tasks-db)."""

from django.utils.translation import gettext as _
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from brygga.incidents.jobs import recover_stale_jobs


class Command(DbWorkerCommand):
    help = (
        "Run the background task worker (imports, reports, analyses). At start, import jobs "
        "left unfinished by a worker that was interrupted are marked as failed."
    )

    def handle(self, *args, **options):
        self.recover(verbosity=options.get("verbosity", 1))
        return super().handle(*args, **options)

    def recover(self, *, verbosity: int = 1) -> None:
        """Fail the import jobs an interrupted worker left behind. Only jobs unchanged for
        longer than ``BRYGGA_IMPORT_STALE_MINUTES`` are touched: a job that another worker is
        running keeps being updated."""
        recovered = recover_stale_jobs()
        if recovered and verbosity > 0:
            self.stdout.write(
                _("Import jobs marked as failed (they stopped without finishing): %(jobs)s")
                % {"jobs": ", ".join(str(j.pk) for j in recovered)}
            )
