"""`brygga import-postcodes FILE --municipality CODE --year YEAR` — replace the postcode table
of the area layer of the municipality's survey wave of that year with a two-column CSV
(``postnummer;område``, the area by its code or name). Every row is checked first; the
problems are printed (file, row, column) and nothing is written."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.cli import municipality_by_code
from brygga.surveys.models import SurveyWave
from brygga.surveys.services.imports import SurveyImportError
from brygga.surveys.services.postcodes import postcode_table_replace


class Command(BaseCommand):
    help = "Replace the postcode → area table used by the survey import."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--municipality", metavar="CODE", required=True)
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args, **options):
        municipality = municipality_by_code(options["municipality"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("%(file)s: the file does not exist.") % {"file": path})
        wave = SurveyWave.objects.filter(municipality=municipality, year=options["year"]).first()
        if wave is None or wave.layer is None:
            raise CommandError(
                _("%(name)s has no survey wave for %(year)s with an area layer.")
                % {"name": municipality.name, "year": options["year"]}
            )
        actor = SystemActor("brygga import-postcodes")
        try:
            with acting_as(actor):
                n = postcode_table_replace(
                    actor=actor,
                    municipality=municipality,
                    layer=wave.layer,
                    content=path.read_bytes(),
                    file_name=path.name,
                )
        except SurveyImportError as exc:
            for problem in exc.problems[:50]:
                self.stderr.write(problem)
            raise CommandError(_("%(file)s: nothing was imported.") % {"file": path.name}) from None
        self.stdout.write(
            _("The postcode table of the layer “%(layer)s” now has %(n)s postcodes.")
            % {"layer": wave.layer.name, "n": n}
        )
