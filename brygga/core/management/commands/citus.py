"""`brygga citus distribute|status` — the distributed layout on a Citus cluster.

``distribute`` turns a migrated database on a Citus coordinator (with its workers added) into
the layout the apps declare (``brygga.core.citus``), in the order Citus needs; a second run
changes nothing. ``status`` lists every table of the layout: what it should be and what it is.
On plain PostgreSQL and SQLite both say there is nothing to do.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from brygga.core import citus


class Command(BaseCommand):
    help = (
        "Distribute the tables over a Citus cluster (distribute), or list the layout and how "
        "far it is applied (status). Nothing to do on plain PostgreSQL or SQLite."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["distribute", "status"])

    def handle(self, *args, **options):
        if not citus.is_citus():
            self.stdout.write(
                f"Nothing to do: the database ({connection.vendor}) is not a Citus "
                "coordinator (no citus extension)."
            )
            return
        if options["action"] == "status":
            width = max(len(t) for t, _w, _n in citus.status())
            for table, wanted, now in citus.status():
                self.stdout.write(f"{table:<{width}}  {now:<16}  {wanted}")
            return
        try:
            plan = citus.distribute(report=lambda msg: self.stdout.write(f"  {msg}"))
        except citus.CitusError as exc:
            raise CommandError(f"Cannot distribute: {exc}.") from None
        self.stdout.write(
            f"Reference tables made: {len(plan.reference)}; distributed tables made: "
            f"{len(plan.distributed)}; already in place: {len(plan.done)}."
        )
