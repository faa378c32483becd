"""The CSV/Excel import from start to end, as the upload pages' task, ``brygga import-incidents``
and the tests run it: detect (unless already done), validate every row, then write the valid
rows in one transaction with one ``incident_import`` audit row, and keep the job up to date
(:mod:`brygga.incidents.imports.jobs`). By default nothing is written if any row has an error;
with ``valid_only`` the valid rows are written and the rest left out. Rows whose id was
imported before with other content are conflicts: skipped and listed (``on_conflict="skip"``,
the default) or updated with history (``"update"``). With ``municipality=None`` (system
administrators only) each row goes to the municipality its municipality column names.

The counts beyond created/unchanged/errors (other municipalities' rows, rows at municipality
level, conflicts, updates, areas created) are stored on the job as ``options["counts"]``, the
conflicting rows (row, id, fields) as ``options["conflicts"]``.

Progress: validation runs from 0 to 80 %, writing from 80 to 99 %; the job is updated about
twice a second at most.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import IO

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.context import actor_for_user
from brygga.audit.services import log_action
from brygga.core.access import resolver_for
from brygga.core.models import Municipality, Organisation

from ...models import ImportJob
from ...services import reporting_organisations_for
from .. import jobs
from ..storage import save_upload
from .detect import Detected, detect
from .mapping import Mapping
from .read import Table, open_table
from .report import ImportResult, TabularError, summary
from .validate import BATCH_SIZE, ProgressFn, RowValidator
from .write import SKIP, write_rows

logger = logging.getLogger(__name__)

_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


def store_upload(municipality: Municipality, uploaded) -> str:
    """Store an uploaded file under a random name (never the user's file name)."""
    suffix = Path(uploaded.name or "").suffix.lower()
    name = f"imports/{municipality.code}/{uuid.uuid4().hex}{suffix if suffix in _SUFFIXES else ''}"
    return save_upload(name, uploaded)


class Importer:
    """Validate every row of a table (:meth:`validate`), then, if allowed, write the valid rows
    in one transaction (:meth:`write`). See the module docstring."""

    def __init__(
        self,
        *,
        table: Table,
        municipality: Municipality | None,
        mapping: Mapping,
        job: ImportJob,
        actor,
        reporting_organisation: Organisation | None = None,
        valid_only: bool = False,
        on_conflict: str = SKIP,
        has_personal_data: bool = False,
        progress: ProgressFn | None = None,
        batch_size: int = BATCH_SIZE,
        now: datetime | None = None,
    ):
        self.table = table
        self.file_name = table.file_name
        self.municipality = municipality
        self.mapping = mapping
        self.job = job
        self.actor = actor  # a user, or a SystemActor
        self.user = actor if getattr(actor, "is_authenticated", False) else None
        self.audit_actor = actor_for_user(actor)  # the user, or the SystemActor's name
        self.organisation = reporting_organisation
        self.valid_only = valid_only
        self.on_conflict = on_conflict
        self.has_personal_data = has_personal_data
        self.progress = progress or (lambda phase, rows, fraction: None)
        self.batch_size = batch_size
        self.now = now or timezone.now()
        self.result = ImportResult(file_name=self.file_name)
        self.validator: RowValidator | None = None
        self._excluded: set[int] = set()

    def validate(self, spool: IO[bytes]) -> None:
        """Read and check every row; valid rows go to ``spool`` in batches."""
        self.validator = RowValidator(
            table=self.table,
            municipality=self.municipality,
            mapping=self.mapping,
            result=self.result,
            progress=self.progress,
            batch_size=self.batch_size,
            now=self.now,
        )
        self._excluded = self.validator.run(spool)

    def write(self, spool: IO[bytes]) -> None:
        """Insert the valid rows in one transaction, skipping ids imported before; the job is
        done and the audit row written in the same transaction."""
        result = self.result
        with transaction.atomic():
            write_rows(
                spool,
                actor=self.actor,
                municipality=self.municipality,
                job=self.job,
                register=self.mapping.register,
                on_conflict=self.on_conflict,
                area_column=self.validator.col.get("area", "") if self.validator else "",
                reporting_organisation=self.organisation,
                reported_by=self.user,
                has_personal_data=self.has_personal_data,
                excluded=self._excluded,
                result=result,
                progress=self.progress,
                now=self.now,
            )
            result.written = True
            self._finish_job(done=True)
            log_action(
                event_type="incident_import",
                subject=self.job,
                details={**result.counts(), "valid_only": self.valid_only},
                municipality_id=self.municipality.pk if self.municipality else None,
                actor=self.audit_actor,
            )

    def stored_errors(self) -> list[dict]:
        errors = self.validator.errors if self.validator else []
        return [e.as_dict() for e in sorted(errors, key=lambda e: (e.row or 0, e.column))]

    def _finish_job(self, *, done: bool) -> None:
        r = self.result
        r.errors = self.stored_errors()
        r.message = summary(r, valid_only=self.valid_only)
        extra = {
            k: v
            for k, v in r.counts().items()
            if k
            in (
                "other_municipality_rows",
                "municipality_level",
                "conflicts",
                "updated",
                "areas_created",
            )
        }
        options = {**self.job.options, "counts": extra, "conflicts": r.conflict_rows}
        counts = {
            "total_rows": r.total_rows,
            "processed_rows": r.total_rows,
            "created_count": r.created,
            "unchanged_count": r.unchanged,
            "error_count": r.error_count,
            "errors": r.errors,
            "message": r.message,
        }
        if done:
            jobs.finish(self.job, options=options, **counts)
        else:
            jobs.set_options(self.job, **options)
            jobs.fail(self.job, progress=100, **counts)

    def run(self) -> ImportResult:
        with tempfile.TemporaryFile(prefix="brygga-import-") as spool:
            self.validate(spool)
            if self.result.error_count and not self.valid_only:
                self._finish_job(done=False)
                with transaction.atomic():
                    log_action(
                        event_type="incident_import",
                        subject=self.job,
                        details={**self.result.counts(), "valid_only": False},
                        municipality_id=self.municipality.pk if self.municipality else None,
                        actor=self.audit_actor,
                    )
                return self.result
            self.write(spool)
        return self.result


def run_import(
    *,
    source: IO[bytes],
    file_name: str,
    municipality: Municipality | None,
    mapping: Mapping,
    job: ImportJob,
    actor,
    detected: Detected | None = None,
    reporting_organisation: Organisation | None = None,
    valid_only: bool = False,
    on_conflict: str = SKIP,
    has_personal_data: bool = False,
    progress: ProgressFn | None = None,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> ImportResult:
    """Detect (unless ``detected`` is given), validate and write; the job records the outcome.
    Never raises for bad input: a file-level problem becomes one error on the job.
    ``actor`` is a user or a ``SystemActor`` (a command, a task whose user is gone). A job
    not yet started (a command's) is started here; a task has started its job already.
    ``municipality=None`` imports into every municipality (system administrators only)."""
    if not resolver_for(actor).can_import(municipality, all_municipalities=municipality is None):
        raise PermissionDenied
    if reporting_organisation is not None and municipality is None:
        raise PermissionDenied  # an organisation belongs to one municipality
    if reporting_organisation is not None:
        allowed = reporting_organisations_for(actor, municipality)
        if not allowed.filter(pk=reporting_organisation.pk).exists():
            raise PermissionDenied
    if job.state != ImportJob.State.RUNNING:
        jobs.start(job)
    importer = None
    try:
        if detected is None:
            detected = detect(source, file_name, has_header=mapping.has_header)
        table = open_table(source, file_name, detected)
        importer = Importer(
            table=table,
            municipality=municipality,
            mapping=mapping,
            job=job,
            actor=actor,
            reporting_organisation=reporting_organisation,
            valid_only=valid_only,
            on_conflict=on_conflict,
            has_personal_data=has_personal_data,
            progress=progress,
            batch_size=batch_size,
            now=now,
        )
        return importer.run()
    except TabularError as exc:
        result = ImportResult(file_name=file_name, error_count=1)
        result.errors = [exc.as_row_error().as_dict()]
        result.message = exc.message
        jobs.fail(job, error_count=1, errors=result.errors, message=exc.message)
        return result
    except IntegrityError:
        logger.warning("import %s rolled back on a constraint", job.pk)
        message = _(
            "Another import wrote some of the same ids at the same time, so this import was "
            "rolled back and nothing was written. Start it again: rows already imported are "
            "skipped."
        )
        result = importer.result if importer else ImportResult(file_name=file_name)
        result.created = result.unchanged = 0
        result.written = False
        result.message = message
        jobs.fail(job, created_count=0, unchanged_count=0, message=message)
        return result


def job_progress(job_pk: int) -> ProgressFn:
    """A progress callback that writes to the job row (validation 0–80 %, writing 80–99 %).
    ``updated_at`` is refreshed too: it tells a running job from a stuck one
    (:mod:`brygga.incidents.imports.jobs`)."""

    def update(phase: str, rows: int, fraction: float) -> None:
        pct = int(80 * fraction) if phase == "validate" else 80 + int(19 * fraction)
        jobs.progress(job_pk, processed_rows=rows, progress=max(0, min(99, pct)))

    return update
