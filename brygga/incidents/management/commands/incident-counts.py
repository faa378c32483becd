"""`brygga incident-counts --municipality 2281 --check | --rebuild` — compare the lägesbild's
counts (``IncidentCount`` per hour, ``IncidentDayCount`` per day) with the incidents, or count
them again, with a progress bar.

Every incident writer keeps the counts in its own transaction; the command is for an upgrade,
a restored backup or a suspicion. ``--check`` writes nothing, prints where the stored counts
differ from a direct count and exits with status 1 when they do; ``--rebuild`` counts every
day again. ``--all`` does every municipality.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from brygga.core.models import Municipality
from brygga.incidents.services.rollups import count_differences, rebuild_counts

SHOWN = 20  # differences printed per municipality


class Command(BaseCommand):
    help = "Check the incident counts of the situation picture, or count them again."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--municipality", help="municipality code (kommunkod), e.g. 2281")
        which.add_argument("--all", action="store_true", help="every municipality")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument(
            "--check",
            action="store_true",
            help="print where the counts differ from the incidents; exit status 1 if they do",
        )
        what.add_argument("--rebuild", action="store_true", help="count every day again")

    def _municipalities(self, options) -> list[Municipality]:
        if options["all"]:
            return list(Municipality.objects.order_by("code"))
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(
                _("No municipality with the code %(code)s.") % {"code": options["municipality"]}
            )
        return [municipality]

    def handle(self, *args, **options):
        municipalities = self._municipalities(options)
        if options["check"]:
            if self._check(municipalities):
                sys.exit(1)
            return
        self._rebuild(municipalities)

    def _check(self, municipalities: list[Municipality]) -> int:
        differing = 0
        for m in municipalities:
            found = count_differences(municipality_id=m.pk)
            if not found:
                if len(municipalities) == 1:
                    self.stdout.write(
                        _("%(municipality)s: the counts agree with the incidents.")
                        % {"municipality": m.name}
                    )
                continue
            differing += 1
            self.stdout.write(
                _("%(municipality)s: %(n)s counts differ from the incidents.")
                % {"municipality": m.name, "n": len(found)}
            )
            for d in found[:SHOWN]:
                if d["hour"] is None:  # a row of the day table
                    line = _(
                        "%(day)s (whole day), category %(category)s, %(stream)s, "
                        "layer %(layer)s, area %(area)s: stored %(stored)s, counted %(counted)s"
                    )
                else:
                    line = _(
                        "%(day)s %(hour)s:00, category %(category)s, %(stream)s, "
                        "layer %(layer)s, area %(area)s: stored %(stored)s, counted %(counted)s"
                    )
                self.stdout.write(
                    "  "
                    + line
                    % {
                        **d,
                        "layer": d["layer"] or "–",
                        "area": d["area"] or "–",
                        "stored": _pair(d["stored"]),
                        "counted": _pair(d["counted"]),
                    }
                )
            if len(found) > SHOWN:
                self.stdout.write("  " + _("… and %(n)s more.") % {"n": len(found) - SHOWN})
        if differing == 0 and len(municipalities) > 1:
            self.stdout.write(
                _("The counts of %(n)s municipalities agree with the incidents.")
                % {"n": len(municipalities)}
            )
        return differing

    def _rebuild(self, municipalities: list[Municipality]) -> None:
        console = Console(file=self.stderr._out, stderr=True)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            for m in municipalities:
                task = bar.add_task(m.name, total=None)

                def progress(done: int, total: int, task=task) -> None:
                    bar.update(task, completed=done, total=total)

                written = rebuild_counts(municipality_id=m.pk, progress=progress)
                bar.update(task, visible=False)
                if written or len(municipalities) == 1:
                    self.stdout.write(
                        _("%(municipality)s: %(n)s counts written.")
                        % {"municipality": m.name, "n": written}
                    )


def _pair(value: tuple[int, int] | None) -> str:
    """(incidents, events) as the command prints it."""
    if value is None:
        return "–"
    return _("%(incidents)s incidents, %(events)s events") % {
        "incidents": value[0],
        "events": value[1],
    }
