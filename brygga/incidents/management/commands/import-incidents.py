"""`brygga import-incidents FILE --municipality 2281 --profile NAME` — import a CSV or Excel
file of incidents with a saved column mapping (an import profile made in the web UI).

Exit status: 0 when every row was imported (or had been imported before), 1 when nothing was
written (the file could not be read, or rows have errors and ``--valid-only`` was not given),
2 when ``--valid-only`` left rows with errors out.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import Municipality, Organisation
from brygga.incidents.imports import tabular
from brygga.incidents.imports.storage import private_opener
from brygga.incidents.models import ImportProfile

SHOWN_ERRORS = 20
ACTOR = SystemActor("brygga import-incidents")  # who the command's audit rows name


class Command(BaseCommand):
    help = (
        "Import incidents from a CSV or Excel (.xlsx) file with a saved import profile. Every "
        "row is checked first; by default nothing is written if any row has an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV or XLSX file")
        parser.add_argument(
            "--municipality", required=True, help="municipality code (kommunkod), e.g. 2281"
        )
        parser.add_argument("--profile", required=True, help="name of the import profile")
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="import the valid rows even if some rows have errors",
        )
        parser.add_argument(
            "--organisation", help="reporting organisation (name or id) for the incidents"
        )
        parser.add_argument("--sheet", help="sheet of an Excel workbook (default: the first)")
        parser.add_argument(
            "--personal-data",
            action="store_true",
            help="the descriptions contain personal data (need-to-know and logged reads)",
        )
        parser.add_argument("--errors-csv", help="write every error to this CSV file")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("%(file)s: no such file.") % {"file": path})
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(
                _("No municipality with the code %(code)s.") % {"code": options["municipality"]}
            )
        profiles = ImportProfile.objects.filter(municipality=municipality)
        profile = profiles.filter(name=options["profile"]).first()
        if profile is None:
            names = ", ".join(profiles.values_list("name", flat=True)) or "–"
            raise CommandError(
                _("%(municipality)s has no import profile “%(name)s” (there are: %(names)s).")
                % {"municipality": municipality.name, "name": options["profile"], "names": names}
            )
        organisation = None
        if options["organisation"]:
            orgs = Organisation.objects.filter(municipality=municipality, is_active=True)
            key = options["organisation"]
            organisation = (
                orgs.filter(pk=int(key)).first() if key.isdigit() else None
            ) or orgs.filter(name__iexact=key).first()
            if organisation is None:
                raise CommandError(
                    _("%(municipality)s has no active organisation “%(name)s”.")
                    % {"municipality": municipality.name, "name": key}
                )
        mapping = tabular.Mapping.from_json(profile.mapping)
        problems = mapping.problems()
        if problems:
            raise CommandError(
                _("The profile “%(name)s” is incomplete: %(problems)s")
                % {"name": profile.name, "problems": " ".join(problems)}
            )
        console = Console(file=self.stderr._out, stderr=True)
        with path.open("rb") as f, acting_as(ACTOR):
            try:
                detected = tabular.detect(
                    f, path.name, sheet=options["sheet"], has_header=mapping.has_header
                )
            except tabular.TabularError as exc:
                raise CommandError(exc.message) from None
            if options["sheet"] and detected.sheet != options["sheet"]:
                raise CommandError(
                    _("%(file)s has no sheet “%(sheet)s” (there are: %(sheets)s).")
                    % {
                        "file": path.name,
                        "sheet": options["sheet"],
                        "sheets": ", ".join(detected.sheets),
                    }
                )
            for notice in detected.notices:
                self.stderr.write(notice)
            job = tabular.import_job_create(
                actor=ACTOR,
                municipality=municipality,
                file_name=path.name,
                detected=detected,
                profile=profile,
                options={
                    "mapping": mapping.to_json(),
                    "valid_only": options["valid_only"],
                    "organisation_id": organisation.pk if organisation else None,
                    "has_personal_data": options["personal_data"],
                    "started": True,
                    "cli": True,
                },
            )
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rows]} rows"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=not console.is_terminal,
            ) as bar:
                checking = bar.add_task(_("Checking rows"), total=1.0, rows=0)
                writing = bar.add_task(_("Writing"), total=1.0, rows=0, visible=False)

                def progress(phase: str, rows: int, fraction: float) -> None:
                    if phase == "validate":
                        bar.update(checking, completed=fraction, rows=rows)
                    else:
                        bar.update(checking, completed=1.0)
                        bar.update(writing, completed=fraction, rows=rows, visible=True)

                result = tabular.run_import(
                    source=f,
                    file_name=path.name,
                    municipality=municipality,
                    mapping=mapping,
                    job=job,
                    actor=ACTOR,
                    detected=detected,
                    reporting_organisation=organisation,
                    valid_only=options["valid_only"],
                    has_personal_data=options["personal_data"],
                    progress=progress,
                )
        if options["errors_csv"]:
            # the messages quote cell values, which may be personal data: mode 0600
            with open(
                options["errors_csv"],
                "w",
                encoding="utf-8-sig",
                newline="",
                opener=private_opener,
            ) as out:
                for line in tabular.errors_csv(path.name, result.errors):
                    out.write(line)
        for error in result.errors[:SHOWN_ERRORS]:
            self.stderr.write(tabular.format_error(path.name, error))
        if result.error_count > SHOWN_ERRORS:
            self.stderr.write(
                _("… and %(n)s more errors.") % {"n": result.error_count - SHOWN_ERRORS}
            )
        if not result.written:
            raise CommandError(result.message or tabular.summary(result))
        self.stdout.write(self.style.SUCCESS(result.message))
        if result.error_count:
            raise CommandError(
                _("%(n)s rows with errors were left out.") % {"n": result.invalid_rows},
                returncode=2,
            )
