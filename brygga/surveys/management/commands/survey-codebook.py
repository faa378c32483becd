"""`brygga survey-codebook (--municipality CODE --year YEAR | --template) [--format csv|xlsx]
[--output FILE]` — write a wave's codebook (or the national template's) to send to a survey
vendor; `brygga survey-codebook --check FILE` reads a codebook and prints its problems (file,
sheet, row, column), or what it holds, without storing anything."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from brygga.core.access import SystemActor
from brygga.core.cli import municipality_by_code
from brygga.surveys.codebook import (
    CodebookError,
    codebook_csv,
    codebook_xlsx,
    read_codebook,
    wave_questionnaire,
)
from brygga.surveys.models import SurveyWave
from brygga.surveys.services import load_template


class Command(BaseCommand):
    help = "Write a survey wave's codebook (CSV or XLSX), or check a codebook file."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", metavar="CODE")
        parser.add_argument("--year", type=int)
        parser.add_argument("--template", action="store_true", help="The national template.")
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--output", metavar="FILE", help="Default: standard output (CSV).")
        parser.add_argument("--check", metavar="FILE", help="Read a codebook and report.")

    def handle(self, *args, **options):
        if options["check"]:
            return self._check(Path(options["check"]))
        if options["template"]:
            questionnaire = load_template()
        else:
            if not options["municipality"] or not options["year"]:
                raise CommandError(_("Give --municipality and --year, or --template."))
            municipality = municipality_by_code(options["municipality"])
            wave = (
                SurveyWave.objects.visible_to(SystemActor("brygga survey-codebook"))
                .filter(municipality=municipality, year=options["year"])
                .first()
            )
            if wave is None:
                raise CommandError(
                    _("%(municipality)s has no survey wave for %(year)s.")
                    % {"municipality": municipality.name, "year": options["year"]}
                )
            questionnaire = wave_questionnaire(wave)
        content = (codebook_xlsx if options["format"] == "xlsx" else codebook_csv)(questionnaire)
        if options["output"]:
            Path(options["output"]).write_bytes(content)
        elif options["format"] == "xlsx":
            raise CommandError(_("An Excel codebook needs --output FILE."))
        else:
            self.stdout.write(content.decode("utf-8-sig"), ending="")

    def _check(self, path: Path):
        if not path.is_file():
            raise CommandError(_("%(file)s: the file does not exist.") % {"file": path})
        try:
            questionnaire = read_codebook(path.read_bytes(), path.name)
        except CodebookError as exc:
            for problem in exc.problems:
                sys.stderr.write(problem + "\n")
            raise CommandError(
                _("%(file)s: %(count)s problems; nothing was stored.")
                % {"file": path.name, "count": len(exc.problems)}
            ) from None
        self.stdout.write(
            _("%(file)s: %(questions)s questions and %(indices)s indices, no problems.")
            % {
                "file": path.name,
                "questions": len(questionnaire["questions"]),
                "indices": len(questionnaire["indices"]),
            }
        )
