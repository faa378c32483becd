"""`brygga worker` — run background tasks from the database queue (django-tasks-db)."""

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from brygga.core.hooks import app_hooks


class Command(DbWorkerCommand):
    help = (
        "Run the background task worker (imports, reports, analyses). At start, import jobs "
        "left unfinished by a worker that was interrupted are marked as failed."
    )

    def handle(self, *args, **options):
        self.recover(verbosity=options.get("verbosity", 1))
        return super().handle(*args, **options)

    def recover(self, *, verbosity: int = 1) -> None:
        """Let each app tidy up what an interrupted worker left behind (its
        ``AppConfig.worker_starting``, see :mod:`brygga.core.hooks`), e.g. fail the import
        jobs whose worker died."""
        for worker_starting in app_hooks("worker_starting"):
            for message in worker_starting():
                if verbosity > 0:
                    self.stdout.write(message)
