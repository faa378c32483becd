"""The background task of the statistics upload (django-tasks; run by ``brygga worker``,
inline in tests): a confirmed preview is imported from its stored file. The task takes its job
first (``stat_import_start``), so a second task for the same job does nothing, and it never
leaves its job running: any failure fails the job, with the details for the user in Swedish
and unexpected errors in the log only."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor

from .models import StatImport
from .readers import StatsReadError, read_file
from .services import (
    StatsImportError,
    import_area_stats,
    stat_import_checked,
    stat_import_fail,
    stat_import_start,
)

logger = logging.getLogger(__name__)
SHOWN_PROBLEMS = 50


@task()
def run_stat_import(job_id: int) -> dict:
    job = StatImport.objects.select_related("municipality", "created_by").filter(pk=job_id).first()
    if job is None or not stat_import_start(job):
        return {"job": job_id, "state": job.state if job else "missing"}
    user = (
        job.created_by
        if job.created_by_id and job.created_by.is_active
        else SystemActor("brygga worker")
    )
    message = None
    with translation.override(settings.LANGUAGE_CODE):
        try:
            parsed = read_file(bytes(job.content), job.file_name)
            stat_import_checked(job, total_rows=len(parsed.rows))
            with acting_as(user):
                import_area_stats(
                    actor=user,
                    municipality=job.municipality,
                    parsed=parsed,
                    origin=StatImport.Origin.UPLOAD,
                    job=job,
                )
        except StatsReadError as exc:
            message = str(exc)
        except StatsImportError as exc:
            message = "\n".join(str(p) for p in exc.problems[:SHOWN_PROBLEMS])
        except PermissionDenied:
            message = _("You may no longer import statistics in this municipality.")
        except Exception:  # noqa: BLE001 - the job must not stay running
            logger.exception("statistics import %s failed", job_id)
            message = _("The import stopped because of an unexpected error. Nothing was imported.")
    if message is not None:
        stat_import_fail(job, message=message or _("Nothing was imported."))
        return {"job": job_id, "state": StatImport.State.FAILED}
    return {"job": job_id, "state": StatImport.State.DONE}
