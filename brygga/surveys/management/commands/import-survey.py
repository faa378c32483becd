"""`brygga import-survey FILE --municipality CODE --year YEAR [--map COLUMN=TARGET ...]
[--sheet N] [--replace] [--dry-run]` — import a file of survey responses (CSV, Excel or SPSS
.sav) into the municipality's wave of that year.

Columns are mapped as on the import page: a column named like a question code goes to that
question, common names (lopnr, deso, regso, område, postnr, ålder, kön, vikt, kommun, år) to
their role; ``--map`` sets or corrects a column (TARGET: a question code, one of the roles
id, area_code, area_name, postcode, age_group, gender, weight, municipality, year — or
``ignore``). Every row is checked before anything is written; the problems are printed (file,
row, column) and the exit code is non-zero. A wave with responses is replaced only with
``--replace``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.cli import municipality_by_code
from brygga.surveys.mapping import parse_target
from brygga.surveys.models import SurveyQuestion, SurveyWave
from brygga.surveys.services.imports import SurveyImportError, import_survey_file

SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = "Import survey responses (CSV, XLSX or SPSS .sav) into a wave."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--municipality", metavar="CODE", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument(
            "--map",
            metavar="COLUMN=TARGET",
            action="append",
            default=[],
            help="Map a column to a question code or a role (or 'ignore').",
        )
        parser.add_argument("--sheet", default="", help="Excel sheet (name or number).")
        parser.add_argument(
            "--replace", action="store_true", help="Replace the wave's earlier responses."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check, but save nothing.")

    def handle(self, *args, **options):
        out = Console(file=self.stdout._out, highlight=False, soft_wrap=True)
        err = Console(file=self.stderr._out, highlight=False, soft_wrap=True)
        municipality = municipality_by_code(options["municipality"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("%(file)s: the file does not exist.") % {"file": path})
        columns = self._columns(municipality, options)
        actor = SystemActor("brygga import-survey")
        try:
            with acting_as(actor):
                preview, summary = import_survey_file(
                    actor=actor,
                    municipality=municipality,
                    year=options["year"],
                    file_name=path.name,
                    content=path.read_bytes(),
                    columns=columns,
                    sheet=options["sheet"],
                    replace=options["replace"],
                    dry_run=options["dry_run"],
                )
        except SurveyImportError as exc:
            for problem in exc.problems[:SHOWN_PROBLEMS]:
                err.print(problem, markup=False)
            if len(exc.problems) > SHOWN_PROBLEMS:
                err.print(
                    _("… and %(n)s more problems.") % {"n": len(exc.problems) - SHOWN_PROBLEMS},
                    markup=False,
                )
            raise CommandError(_("%(file)s: nothing was imported.") % {"file": path.name}) from None
        checked = preview.checked
        if options["dry_run"]:
            out.print(
                _("%(file)s: %(n)s respondents checked; nothing was saved (--dry-run).")
                % {"file": path.name, "n": len(checked.respondents)},
                markup=False,
            )
        else:
            out.print(
                _("%(file)s: %(n)s respondents imported into the wave of %(year)s.")
                % {"file": path.name, "n": summary.responses, "year": options["year"]},
                markup=False,
            )
            if summary.replaced:
                out.print(
                    _("%(n)s earlier responses were replaced.") % {"n": summary.replaced},
                    markup=False,
                )
        out.print(_("Questions: %(codes)s") % {"codes": ", ".join(checked.questions)}, markup=False)
        out.print(_("Respondents per area:"), markup=False)
        for name, n in preview.per_area:
            out.print(f"  {name}: {n}", markup=False)
        for warning in checked.warnings:
            out.print(_("Warning: %(text)s") % {"text": warning}, markup=False)

    def _columns(self, municipality, options) -> dict[str, str]:
        wave = SurveyWave.objects.filter(municipality=municipality, year=options["year"]).first()
        codes = (
            list(SurveyQuestion.objects.filter(wave=wave).values_list("code", flat=True))
            if wave
            else []
        )
        columns = {}
        for item in options["map"]:
            column, sep, target = item.partition("=")
            parsed = parse_target(target, codes) if sep else None
            if parsed is None:
                raise CommandError(
                    _(
                        "--map %(item)s: give COLUMN=TARGET, where TARGET is a question code of "
                        "the wave, a role (%(roles)s) or ignore."
                    )
                    % {
                        "item": item,
                        "roles": "id, area_code, area_name, postcode, age_group, gender, "
                        "weight, municipality, year",
                    }
                )
            columns[column.strip()] = parsed
        return columns
