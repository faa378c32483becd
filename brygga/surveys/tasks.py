"""The background task of the survey import (django-tasks; run by ``brygga worker``, inline
in tests): a confirmed import is read, checked again and written from its stored file. The task
takes its job first (``survey_import_start``), so a second task for the same job does nothing,
and it never leaves its job running: any failure fails the job, with the details for the user
in Swedish and unexpected errors in the log only."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor

from .models import SurveyImport
from .readers import SurveyReadError
from .services.imports import (
    SurveyImportError,
    survey_import_fail,
    survey_import_run,
    survey_import_start,
)

logger = logging.getLogger(__name__)
SHOWN_PROBLEMS = 50


@task()
def run_survey_import(job_id: int) -> dict:
    job = (
        SurveyImport.objects.select_related("municipality", "created_by", "wave")
        .filter(pk=job_id)
        .first()
    )
    if job is None or not survey_import_start(job):
        return {"job": job_id, "state": job.state if job else "missing"}
    user = (
        job.created_by
        if job.created_by_id and job.created_by.is_active
        else SystemActor("brygga worker")
    )
    message = None
    with translation.override(settings.LANGUAGE_CODE):
        try:
            if job.wave_id is None:
                raise SurveyImportError([_("The wave of this import no longer exists.")])
            with acting_as(user):
                survey_import_run(actor=user, job=job)
        except SurveyReadError as exc:
            message = str(exc)
        except SurveyImportError as exc:
            message = "\n".join(exc.problems[:SHOWN_PROBLEMS])
        except PermissionDenied:
            message = _("You may no longer import survey responses in this municipality.")
        except Exception:  # noqa: BLE001 - the job must not stay running
            logger.exception("survey import %s failed", job_id)
            message = _("The import stopped because of an unexpected error. Nothing was imported.")
    if message is not None:
        survey_import_fail(job, message=message or _("Nothing was imported."))
        return {"job": job_id, "state": SurveyImport.State.FAILED}
    return {"job": job_id, "state": SurveyImport.State.DONE}
