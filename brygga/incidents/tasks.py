"""Background tasks of the incidents app (django-tasks; run by ``brygga worker``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import Organisation

from . import tabular
from .models import ImportJob
from .storage import discard_job_file, open_upload

logger = logging.getLogger(__name__)


def _fail(job_pk: int, message: str) -> None:
    """End the job as failed for another reason than its rows: its file is removed at once."""
    ImportJob.objects.filter(pk=job_pk).update(
        state=ImportJob.State.FAILED,
        message=message,
        error_count=1,
        errors=[{"row": None, "column": "", "message": message}],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    discard_job_file(job_pk)


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
    # claim the job: a second enqueue of the same job finds it running and does nothing
    if not ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.PENDING).update(
        state=ImportJob.State.RUNNING, updated_at=timezone.now()
    ):
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
    actor_context = acting_as(actor)
    with translation.override(language), actor_context:
        try:
            detected = tabular.Detected.from_json(options["detected"])
            with open_upload(job.stored_file) as f:
                result = tabular.run_import(
                    source=f,
                    file_name=job.file_name,
                    municipality=job.municipality,
                    mapping=tabular.Mapping.from_json(options.get("mapping")),
                    job=job,
                    actor=actor,
                    detected=detected,
                    reporting_organisation=organisation,
                    valid_only=bool(options.get("valid_only")),
                    has_personal_data=bool(options.get("has_personal_data")),
                    progress=tabular.job_progress(job.pk),
                )
        except PermissionDenied:
            _fail(job.pk, _("You may no longer import incidents in this municipality."))
            return {"failed": True}
        except FileNotFoundError:
            _fail(job.pk, _("The uploaded file is no longer stored. Upload it again."))
            return {"failed": True}
        except Exception:  # never leave a job running; details go to the log only
            logger.exception("tabular import %s failed", job.pk)
            _fail(
                job.pk,
                _("The import stopped on an unexpected error and nothing was written."),
            )
            return {"failed": True}
    if result.written and job.stored_file:
        discard_job_file(job.pk)
    return result.counts()
