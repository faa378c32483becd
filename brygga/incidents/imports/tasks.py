"""The background tasks of the imports (django-tasks; run by ``brygga worker``, inline in tests).

* :func:`run_police_import` — an uploaded police events file: the upload page stores the file
  and creates the job, this task reads the file, imports it with
  :func:`~brygga.incidents.imports.police.import_records` and then removes the stored file.
* :func:`run_tabular_import` — an uploaded CSV/Excel file whose mapping has been chosen.

Each task takes its job first (:func:`brygga.incidents.imports.jobs.start`): a second task for
the same job finds it running and does nothing. A task never leaves its job running: an
unexpected error fails the job, and the details go to the log only.

django-tasks stores a queued task by the import path of its function (``task_path``). Tasks
queued before these functions moved here carry ``brygga.incidents.tasks…`` and
``brygga.incidents.tasks_police…``; those modules re-export the two task objects so that a
worker can still run them.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import Organisation

from ..models import ImportJob
from . import jobs, tabular
from .police import PoliceImportError, import_records, read_police_file
from .police.read import UNPACKED_FACTOR  # noqa: F401 (re-exported)
from .storage import open_upload

logger = logging.getLogger(__name__)


def _end_failed(job: ImportJob, message: str, **counts) -> None:
    """Fail ``job`` unless it ended meanwhile (marked as stuck while this task still ran)."""
    try:
        jobs.fail(job, message=message, **counts)
    except jobs.IllegalTransition:
        logger.warning("import job %s had already ended", job.pk)


# --- police events --------------------------------------------------------------------------
@task()
def run_police_import(job_id: int) -> dict:
    """Import the file of police ``ImportJob`` ``job_id``; returns the job's final state."""
    job = (
        ImportJob.objects.select_related("municipality", "created_by")
        .filter(pk=job_id, kind=ImportJob.Kind.POLICE)
        .first()
    )
    if job is None or job.state != ImportJob.State.PENDING:
        return {"job": job_id, "state": job.state if job else "missing"}
    user = (
        job.created_by
        if job.created_by_id and job.created_by.is_active
        else SystemActor("brygga worker")
    )
    language = job.options.get("language") or settings.LANGUAGE_CODE
    scope = None if job.options.get("scope") == "all" else job.municipality
    try:
        jobs.start(job)
    except jobs.IllegalTransition:  # another task took it
        job.refresh_from_db(fields=["state"])
        return {"job": job_id, "state": job.state}
    try:
        with acting_as(user), translation.override(language), open_upload(job.stored_file) as fh:
            # read a chunk at a time, at most BRYGGA_POLICE_UPLOAD_MAX_MB × 20 unpacked
            records = read_police_file(fh, job.file_name)
            # Only an upload for all municipalities (a system administrator's; the job
            # service allows no one else) is the installation-wide feed. Any other upload is
            # its municipality's own, even when the task runs as Brygga itself because its
            # user is gone.
            import_records(
                records,
                file_name=job.file_name,
                job=job,
                municipality=scope,
                actor=user,
                feed=scope is None,
            )
    except PoliceImportError:
        pass  # the job carries the errors
    except PermissionDenied:  # the user's right to import was withdrawn after the upload
        with translation.override(language):
            _end_failed(job, _("You may no longer import incidents in this municipality."))
    except FileNotFoundError:  # removed after BRYGGA_UPLOAD_RETENTION_HOURS, or lost
        with translation.override(language):
            message = _("%(file)s: the uploaded file is no longer stored. Upload it again.") % {
                "file": job.file_name
            }
        _end_failed(job, message)
    except Exception:  # never leave a job "running" behind; details go to the log only
        logger.exception("police import job %s failed", job_id)
        with translation.override(language):
            message = (
                _("%(file)s: the import stopped because of an internal error.")
                % {"file": job.file_name}
                + " "
                + _("Nothing was saved.")
            )
        _end_failed(job, message)
    finally:
        jobs.discard_file(job.pk)  # done or failed: the file is of no further use
    job.refresh_from_db(fields=["state", "created_count", "unchanged_count", "error_count"])
    return {
        "job": job.pk,
        "state": job.state,
        "created": job.created_count,
        "unchanged": job.unchanged_count,
        "errors": job.error_count,
    }


# --- CSV/Excel ------------------------------------------------------------------------------
def _fail(job: ImportJob, message: str) -> None:
    """End the job as failed for another reason than its rows: its file is removed at once."""
    _end_failed(
        job,
        message,
        error_count=1,
        errors=[{"row": None, "column": "", "message": message}],
    )
    jobs.discard_file(job.pk)


@task()
def run_tabular_import(job_id: int) -> dict:
    """Validate and write one uploaded CSV/XLSX file (an :class:`ImportJob` of kind
    ``tabular`` whose mapping has been chosen). The stored file is removed once the rows are
    written, and when the import fails on anything else than its rows; after a failed
    validation it is kept (until ``BRYGGA_UPLOAD_RETENTION_HOURS`` have passed) so the user can
    change the mapping or import the valid rows without uploading it again."""
    job = (
        ImportJob.objects.select_related("municipality", "created_by")
        .filter(pk=job_id, kind=ImportJob.Kind.TABULAR)
        .first()
    )
    if job is None or not job.options.get("started"):
        return {"skipped": True}
    # take the job: a second enqueue of the same job finds it running and does nothing
    try:
        jobs.start(job)
    except jobs.IllegalTransition:
        return {"skipped": True}
    options = job.options
    language = options.get("language") or settings.LANGUAGE_CODE
    organisation = None
    if options.get("organisation_id"):
        organisation = Organisation.objects.filter(
            pk=options["organisation_id"], municipality=job.municipality
        ).first()
    # the user who started the import; a job whose user is gone runs as Brygga itself
    actor = job.created_by if job.created_by is not None else SystemActor("brygga import")
    with translation.override(language), acting_as(actor):
        try:
            detected = tabular.Detected.from_json(options["detected"])
            with open_upload(job.stored_file) as f:
                result = tabular.run_import(
                    source=f,
                    file_name=job.file_name,
                    municipality=None if options.get("scope") == "all" else job.municipality,
                    mapping=tabular.Mapping.from_json(options.get("mapping")),
                    job=job,
                    actor=actor,
                    detected=detected,
                    reporting_organisation=organisation,
                    valid_only=bool(options.get("valid_only")),
                    on_conflict=options.get("on_conflict") or "skip",
                    has_personal_data=bool(options.get("has_personal_data")),
                    progress=tabular.job_progress(job.pk),
                )
        except PermissionDenied:
            _fail(job, _("You may no longer import incidents in this municipality."))
            return {"failed": True}
        except FileNotFoundError:
            _fail(job, _("The uploaded file is no longer stored. Upload it again."))
            return {"failed": True}
        except Exception:  # never leave a job running; details go to the log only
            logger.exception("tabular import %s failed", job.pk)
            _fail(job, _("The import stopped on an unexpected error and nothing was written."))
            return {"failed": True}
    if result.written and job.stored_file:
        jobs.discard_file(job.pk)
    return result.counts()
