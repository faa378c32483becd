"""`brygga import-police FILE…` — import police events files (the police events API's JSON or
JSON Lines, optionally .gz). Each file is imported all or nothing; importing it again adds
nothing. Bad input stops that file with a message naming the file, record, line and field, and
the command exits with status 1.

Each file imported (not with ``--dry-run``) gets an import job, like an upload on the web page:
under the municipality given with ``--municipality``, else under none. With a municipality the
import is listed on its page of recent police imports and in its audit log."""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.cli import municipality_by_code
from brygga.incidents.imports.jobs import fail_interrupted
from brygga.incidents.imports.police import (
    PoliceImportError,
    PoliceImportResult,
    import_records,
    police_cli_job_create,
    read_police_file,
)

SHOWN_PROBLEMS = 20


class Command(BaseCommand):
    help = (
        "Import police events: the police events API's JSON (a list of events) or JSON Lines, "
        "optionally gzip-compressed. Already imported events are left unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--municipality",
            metavar="CODE",
            help="Only import this municipality's events and the county-level events of its "
            "county (municipality code, e.g. 2281).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count, but save nothing."
        )

    def handle(self, *args, **options):
        out = Console(file=self.stdout._out, highlight=False, soft_wrap=True)
        err = Console(file=self.stderr._out, highlight=False, soft_wrap=True)
        municipality = None
        if options["municipality"]:
            municipality = municipality_by_code(options["municipality"])
        failures: list[str] = []
        for path in options["files"]:
            name = Path(path).name
            if not Path(path).is_file():
                failures.append(_("%(file)s: the file does not exist.") % {"file": path})
                err.print(failures[-1], markup=False)
                continue
            try:
                result = self._import(path, name, municipality, options["dry_run"], err)
            except PoliceImportError as exc:
                for problem in exc.problems[:SHOWN_PROBLEMS]:
                    err.print(str(problem), markup=False)
                if exc.total > SHOWN_PROBLEMS:
                    err.print(
                        _("… and %(n)s more problems.") % {"n": exc.total - SHOWN_PROBLEMS},
                        markup=False,
                    )
                err.print(_("%(file)s: nothing was imported.") % {"file": name}, markup=False)
                failures.append(str(exc))
                continue
            out.print(self._summary(result))
            if result.new_types:
                out.print(
                    _("New police types, listed for mapping: %(types)s")
                    % {"types": ", ".join(result.new_types)},
                    markup=False,
                )
        if failures:
            raise CommandError(failures[0] if len(failures) == 1 else "\n".join(failures))

    def _import(self, path, name, municipality, dry_run, console) -> PoliceImportResult:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as bar:
            step = bar.add_task(_("%(file)s: reading and checking") % {"file": name}, total=None)

            def progress(done: int, total: int) -> None:
                bar.update(
                    step,
                    description=_("%(file)s: saving") % {"file": name},
                    completed=done,
                    total=total,
                )

            with acting_as(SystemActor("brygga import-police")):
                job = None
                if not dry_run:
                    job = police_cli_job_create(
                        municipality=municipality, file_name=name, language=get_language() or ""
                    )
                try:
                    return import_records(
                        read_police_file(path, name),
                        file_name=name,
                        job=job,
                        progress=progress,
                        municipality=municipality,
                        dry_run=dry_run,
                    )
                except PoliceImportError:
                    raise  # the job is failed with the problems
                except BaseException:  # Ctrl-C or a crash: do not leave the job running
                    if job is not None:
                        with contextlib.suppress(Exception):
                            fail_interrupted(job)
                    raise

    def _summary(self, r: PoliceImportResult) -> Table:
        title = r.file_name + (" " + _("(dry run: nothing saved)") if r.dry_run else "")
        table = Table(title=title, show_header=False, title_justify="left")
        table.add_column(_("What"))
        table.add_column(_("Number"), justify="right")
        rows = [
            (_("Events in the file"), r.total),
            (_("Created"), r.created),
            (_("Unchanged (imported before)"), r.unchanged),
            (_("Repeated in the file"), r.duplicates),
            (_("Of the created: county-level events"), r.county_level),
            (_("Of the created: placed by the municipality in the title"), r.placed_from_name),
            (_("Of the created: summaries"), r.summaries),
        ]
        if r.out_of_scope:
            rows.append((_("Other municipalities' events (not imported)"), r.out_of_scope))
        rows += [
            (_("New police types (imported as “övrigt”)"), len(r.new_types)),
            (_("Police types waiting for mapping"), len(r.unreviewed_types)),
            (_("Seconds"), f"{r.seconds:.1f}"),
        ]
        for label, value in rows:
            table.add_row(label, str(value))
        return table
