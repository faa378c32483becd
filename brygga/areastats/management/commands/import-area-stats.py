"""`brygga import-area-stats FILE --municipality CODE [--dry-run]` — import a statistics file
(an SCB PX-Web export as XLSX or CSV, or a JSON-stat2 file) for one municipality: all or
nothing, and importing the same file again changes nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from brygga.areastats.readers import StatsReadError, read_file
from brygga.areastats.services import StatsImportError, import_area_stats, summarise
from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.cli import municipality_by_code

SHOWN_PROBLEMS = 20


def summary_lines(summary, *, dry_run: bool) -> list[str]:
    lines = [
        (_("Dry run, nothing saved: ") if dry_run else "")
        + _(
            "%(created)s new values, %(changed)s changed, %(unchanged)s unchanged, "
            "%(missing)s missing in the file (..)."
        )
        % {
            "created": summary.created,
            "changed": summary.changed,
            "unchanged": summary.unchanged,
            "missing": summary.missing,
        },
        _("Series: %(series)s. Years: %(years)s. Areas: %(areas)s.")
        % {
            "series": "; ".join(summary.series),
            "years": ", ".join(str(y) for y in summary.years),
            "areas": summary.areas,
        },
    ]
    if summary.new_areas:
        lines.append(
            _("New areas by code alone: %(codes)s") % {"codes": ", ".join(summary.new_areas)}
        )
    if summary.other_municipalities:
        lines.append(
            _("Rows of other municipalities, skipped: %(n)s") % {"n": summary.other_municipalities}
        )
    return lines


class Command(BaseCommand):
    help = (
        "Import area statistics: an SCB PX-Web export (XLSX or CSV) or a JSON-stat2 file, "
        "for one municipality. Already stored values are left unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--municipality", metavar="CODE", required=True)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count, but save nothing."
        )

    def handle(self, *args, **options):
        out = Console(file=self.stdout._out, highlight=False, soft_wrap=True)
        err = Console(file=self.stderr._out, highlight=False, soft_wrap=True)
        municipality = municipality_by_code(options["municipality"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("%(file)s: the file does not exist.") % {"file": path})
        try:
            parsed = read_file(path.read_bytes(), path.name)
            with acting_as(SystemActor("brygga import-area-stats")):
                if options["dry_run"]:
                    summary = summarise(municipality=municipality, parsed=parsed)
                else:
                    summary = self._import(municipality, parsed, err)
        except StatsReadError as exc:
            raise CommandError(str(exc)) from None
        except StatsImportError as exc:
            for problem in exc.problems[:SHOWN_PROBLEMS]:
                err.print(str(problem), markup=False)
            if len(exc.problems) > SHOWN_PROBLEMS:
                err.print(
                    _("… and %(n)s more problems.") % {"n": len(exc.problems) - SHOWN_PROBLEMS},
                    markup=False,
                )
            raise CommandError(_("%(file)s: nothing was imported.") % {"file": path.name}) from None
        for line in summary_lines(summary, dry_run=options["dry_run"]):
            out.print(line, markup=False)

    def _import(self, municipality, parsed, console):
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as bar:
            step = bar.add_task(
                _("%(file)s: saving") % {"file": parsed.file_name}, total=len(parsed.rows)
            )
            return import_area_stats(
                actor=SystemActor("brygga import-area-stats"),
                municipality=municipality,
                parsed=parsed,
                progress=lambda done, total: bar.update(step, completed=done, total=total),
            )
