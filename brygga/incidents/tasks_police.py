"""Background task for an uploaded police events file (run by `brygga worker`; inline in tests).

The upload page stores the file and creates an ``ImportJob``; this task reads the file, imports
it with :func:`brygga.incidents.police.import_records` (which keeps the job's state, progress,
counts and errors up to date) and then removes the stored file.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor

from .models import ImportJob
from .police import (
    PoliceImportError,
    import_records,
    read_police_file,
    upload_max_bytes,
)
from .storage import discard_job_file, open_upload

logger = logging.getLogger(__name__)

# A gzip file may unpack to much more than its upload size; this bounds the memory used.
UNPACKED_FACTOR = 20


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
    actor = (
        acting_as(job.created_by)
        if job.created_by_id and job.created_by.is_active
        else acting_as(SystemActor("brygga worker"))
    )
    language = job.options.get("language") or settings.LANGUAGE_CODE
    scope = None if job.options.get("scope") == "all" else job.municipality
    try:
        with actor, translation.override(language), open_upload(job.stored_file) as fh:
            records = read_police_file(
                fh, job.file_name, max_bytes=upload_max_bytes() * UNPACKED_FACTOR
            )
            import_records(records, file_name=job.file_name, job=job, municipality=scope)
    except PoliceImportError:
        pass  # the job carries the errors
    except FileNotFoundError:  # removed after BRYGGA_UPLOAD_RETENTION_HOURS, or lost
        with translation.override(language):
            message = _("%(file)s: the uploaded file is no longer stored. Upload it again.") % {
                "file": job.file_name
            }
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED,
            message=message,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    except Exception:  # never leave a job "running" behind; details go to the log only
        logger.exception("police import job %s failed", job_id)
        with translation.override(language):
            message = (
                _("%(file)s: the import stopped because of an internal error.")
                % {"file": job.file_name}
                + " "
                + _("Nothing was saved.")
            )
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED,
            message=message,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    finally:
        discard_job_file(job.pk)  # done or failed: the file is of no further use
    job.refresh_from_db(fields=["state", "created_count", "unchanged_count", "error_count"])
    return {
        "job": job.pk,
        "state": job.state,
        "created": job.created_count,
        "unchanged": job.unchanged_count,
        "errors": job.error_count,
    }
