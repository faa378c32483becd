"""`brygga import-incidents FILE --municipality 2281 --profile NAME` — import a CSV or Excel
file of incidents with a saved column mapping (an import profile made in the web UI), or with
a profile file (``--profile-file PROFILE.json``, e.g. from a scheduled job).

``--all-municipalities`` imports a national or county file (a police register extract) for
every municipality at once: each row goes to the municipality of its municipality column.
``--export-profile OUT.json`` writes a saved profile to a file (no import).

Exit status: 0 when every row was imported (or had been imported before), 1 when nothing was
written (the file could not be read, rows have errors and ``--valid-only`` was not given, or
the import was interrupted: the job is then marked as failed), 2 when ``--valid-only`` left
rows with errors out.
"""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import Municipality, Organisation
from brygga.incidents.imports import tabular
from brygga.incidents.imports.jobs import fail_interrupted
from brygga.incidents.imports.storage import private_opener
from brygga.incidents.imports.tabular import validate as tabular_validate
from brygga.incidents.imports.tabular.categories import category_index
from brygga.incidents.imports.tabular.profile_file import profile_file, read_profile_file
from brygga.incidents.imports.tabular.report import conflict_fields
from brygga.incidents.imports.tabular.write import SKIP, UPDATE
from brygga.incidents.models import ImportProfile
from brygga.incidents.services import categories_for

SHOWN_ERRORS = 20
SHOWN_CONFLICTS = 20
ACTOR = SystemActor("brygga import-incidents")  # who the command's audit rows name


class Terminated(BaseException):
    """SIGTERM while the command runs: handled like Ctrl-C (the job is marked as failed)."""


@contextlib.contextmanager
def sigterm_raises():
    def handler(signum, frame):
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave the signal alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Command(BaseCommand):
    help = (
        "Import incidents from a CSV or Excel (.xlsx) file with a saved import profile or a "
        "profile file. Every row is checked first; by default nothing is written if any row "
        "has an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="CSV or XLSX file")
        parser.add_argument("--municipality", help="municipality code (kommunkod), e.g. 2281")
        parser.add_argument(
            "--all-municipalities",
            action="store_true",
            help="a national or county file: each row goes to the municipality of its "
            "municipality column (needs --profile-file)",
        )
        parser.add_argument("--profile", help="name of a saved import profile")
        parser.add_argument(
            "--profile-file", help="an import profile as a JSON file (see --export-profile)"
        )
        parser.add_argument(
            "--export-profile",
            metavar="OUT.json",
            help="write the profile given with --profile to this file and stop",
        )
        parser.add_argument(
            "--on-conflict",
            choices=(SKIP, UPDATE),
            default=SKIP,
            help="rows whose id was imported before but whose content differs: skip and list "
            "them (default), or update the incidents (their history records the change)",
        )
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
        parser.add_argument("--errors-csv", help="write every stored error to this CSV file")

    # --- what to import with ------------------------------------------------------------------
    def _municipality(self, options) -> Municipality | None:
        if options["all_municipalities"]:
            if options["municipality"]:
                raise CommandError(
                    _("Give either --municipality or --all-municipalities, not both.")
                )
            return None
        if not options["municipality"]:
            raise CommandError(
                _("Give the municipality with --municipality (or --all-municipalities).")
            )
        municipality = Municipality.objects.filter(code=options["municipality"]).first()
        if municipality is None:
            raise CommandError(
                _("No municipality with the code %(code)s.") % {"code": options["municipality"]}
            )
        return municipality

    def _saved_profile(self, municipality: Municipality, name: str) -> ImportProfile:
        profiles = ImportProfile.objects.filter(municipality=municipality)
        profile = profiles.filter(name=name).first()
        if profile is None:
            names = ", ".join(profiles.values_list("name", flat=True)) or "–"
            raise CommandError(
                _("%(municipality)s has no import profile “%(name)s” (there are: %(names)s).")
                % {"municipality": municipality.name, "name": name, "names": names}
            )
        return profile

    def _mapping(self, options, municipality):
        """(profile or None, name, mapping) from --profile or --profile-file."""
        if bool(options["profile"]) == bool(options["profile_file"]):
            raise CommandError(_("Give either --profile NAME or --profile-file PROFILE.json."))
        if options["profile"]:
            if municipality is None:
                raise CommandError(
                    _(
                        "An import into every municipality needs --profile-file: a saved "
                        "profile belongs to one municipality."
                    )
                )
            profile = self._saved_profile(municipality, options["profile"])
            return profile, profile.name, tabular.Mapping.from_json(profile.mapping)
        path = Path(options["profile_file"])
        if not path.is_file():
            raise CommandError(_("%(file)s: no such file.") % {"file": path})
        try:
            name, mapping = read_profile_file(path.read_bytes(), path.name)
        except tabular.TabularError as exc:
            raise CommandError(exc.message) from None
        self._check_categories(path.name, mapping, municipality)
        return None, name or path.stem, mapping

    def _check_categories(self, file_name, mapping, municipality) -> None:
        if municipality is not None:
            known = category_index(municipality).by_code
        else:
            known = {
                tabular.normalise(c.code): c
                for c in categories_for(None)
                if c.municipality_id is None
            }
        for value, code in mapping.categories.items():
            if tabular.normalise(code) not in known:
                raise CommandError(
                    _(
                        "“%(file)s” is not a usable import profile: it maps “%(value)s” to the "
                        "category code “%(code)s”, which %(where)s has no category with."
                    )
                    % {
                        "file": file_name,
                        "value": value,
                        "code": code,
                        "where": municipality.name if municipality else _("the national set"),
                    }
                )

    def _organisation(self, options, municipality):
        if not options["organisation"]:
            return None
        if municipality is None:
            raise CommandError(
                _("--organisation needs --municipality: an organisation is in one municipality.")
            )
        orgs = Organisation.objects.filter(municipality=municipality, is_active=True)
        key = options["organisation"]
        organisation = (orgs.filter(pk=int(key)).first() if key.isdigit() else None) or orgs.filter(
            name__iexact=key
        ).first()
        if organisation is None:
            raise CommandError(
                _("%(municipality)s has no active organisation “%(name)s”.")
                % {"municipality": municipality.name, "name": key}
            )
        return organisation

    def _export(self, options, municipality) -> None:
        if municipality is None or not options["profile"]:
            raise CommandError(_("--export-profile needs --municipality and --profile NAME."))
        profile = self._saved_profile(municipality, options["profile"])
        mapping = tabular.Mapping.from_json(profile.mapping)
        Path(options["export_profile"]).write_bytes(profile_file(profile.name, mapping))
        self.stdout.write(
            _("The profile “%(name)s” was written to %(file)s.")
            % {"name": profile.name, "file": options["export_profile"]}
        )

    # --- the import ---------------------------------------------------------------------------
    def handle(self, *args, **options):
        municipality = self._municipality(options)
        if options["export_profile"]:
            self._export(options, municipality)
            return
        if not options["file"]:
            raise CommandError(_("Give the file to import."))
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("%(file)s: no such file.") % {"file": path})
        profile, profile_name, mapping = self._mapping(options, municipality)
        organisation = self._organisation(options, municipality)
        problems = mapping.problems()
        if municipality is None and not mapping.columns.get("municipality"):
            problems.append(_("Choose the column with the municipality."))
        if problems:
            raise CommandError(
                _("The profile “%(name)s” is incomplete: %(problems)s")
                % {"name": profile_name, "problems": " ".join(problems)}
            )
        with path.open("rb") as f, acting_as(ACTOR), sigterm_raises():
            detected = self._detect(f, path, options, mapping)
            job = tabular.import_job_create(
                actor=ACTOR,
                municipality=municipality,
                file_name=path.name,
                detected=detected,
                profile=profile,
                options={
                    "mapping": mapping.to_json(),
                    "valid_only": options["valid_only"],
                    "on_conflict": options["on_conflict"],
                    "organisation_id": organisation.pk if organisation else None,
                    "has_personal_data": options["personal_data"],
                    "started": True,
                    "cli": True,
                },
            )
            try:
                result = self._run(
                    f, path, municipality, mapping, job, detected, organisation, options
                )
            except (KeyboardInterrupt, Terminated):
                with contextlib.suppress(Exception):
                    fail_interrupted(job)
                raise CommandError(
                    _(
                        "%(file)s: the import was interrupted. Nothing was written; import job "
                        "%(job)s is marked as failed. Run the command again."
                    )
                    % {"file": path.name, "job": job.pk}
                ) from None
            except BaseException:  # a crash: do not leave the job running
                with contextlib.suppress(Exception):
                    fail_interrupted(job)
                raise
        self._report(path, result, options)

    def _detect(self, f, path, options, mapping):
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
        return detected

    def _run(self, f, path, municipality, mapping, job, detected, organisation, options):
        console = Console(file=self.stderr._out, stderr=True)
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

            return tabular.run_import(
                source=f,
                file_name=path.name,
                municipality=municipality,
                mapping=mapping,
                job=job,
                actor=ACTOR,
                detected=detected,
                reporting_organisation=organisation,
                valid_only=options["valid_only"],
                on_conflict=options["on_conflict"],
                has_personal_data=options["personal_data"],
                progress=progress,
            )

    def _report(self, path, result, options) -> None:
        stored = len(result.errors)
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
        if options["errors_csv"] and result.error_count:
            if result.error_count > stored:
                self.stderr.write(
                    _(
                        "%(total)s errors in total; only the first %(written)s were written to "
                        "%(file)s (an import keeps at most %(max)s errors). Correct these and "
                        "import again to see the rest."
                    )
                    % {
                        "total": result.error_count,
                        "written": stored,
                        "file": options["errors_csv"],
                        "max": tabular_validate.MAX_STORED_ERRORS,
                    }
                )
            else:
                self.stderr.write(
                    _("All %(total)s errors were written to %(file)s.")
                    % {"total": result.error_count, "file": options["errors_csv"]}
                )
        elif result.error_count > SHOWN_ERRORS:
            self.stderr.write(
                _("Write the errors to a file with --errors-csv FILE.csv (at most %(max)s).")
                % {"max": tabular_validate.MAX_STORED_ERRORS}
            )
        for c in result.conflict_rows[:SHOWN_CONFLICTS]:
            self.stderr.write(
                _(
                    "%(file)s, row %(row)s: the id “%(id)s” was imported before with other "
                    "content (%(fields)s); left unchanged."
                )
                % {
                    "file": path.name,
                    "row": c["row"],
                    "id": c["id"],
                    "fields": conflict_fields(c["fields"]),
                }
            )
        if result.conflicts > SHOWN_CONFLICTS:
            self.stderr.write(
                _("… and %(n)s more conflicts.") % {"n": result.conflicts - SHOWN_CONFLICTS}
            )
        if result.conflicts:
            self.stderr.write(
                _("To update them with the file's content, run again with --on-conflict update.")
            )
        if not result.written:
            raise CommandError(result.message or tabular.summary(result))
        self.stdout.write(self.style.SUCCESS(result.message))
        if result.error_count:
            raise CommandError(
                _("%(n)s rows with errors were left out.") % {"n": result.invalid_rows},
                returncode=2,
            )
