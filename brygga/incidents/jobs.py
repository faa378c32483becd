"""Import jobs that cannot get stuck.

A worker that dies (killed, machine restart) never finishes its job, so the job would stay
"running" (or "pending", when its queued task was lost) and its page would poll for ever.
:func:`recover_stale_jobs` marks such jobs as failed:

* a **running** job whose ``updated_at`` is older than ``BRYGGA_IMPORT_STALE_MINUTES``
  (default 30). Every progress step of both importers refreshes ``updated_at``; the last
  refresh a page can see is the one before the write transaction, so the limit must be longer
  than the longest write of an import;
* a **pending** job that waits for the worker (a police upload, or a CSV/Excel import whose
  start was chosen) without a queued task in the django-tasks database backend, or whose task
  was claimed by a worker longer ago than the limit, once the job is older than the limit.

Both importers write their rows, the job's final state and their audit row in one transaction,
so a worker that died wrote nothing; the message says so. Each recovered job gets one
``import_interrupted`` audit row.

Recovery runs when ``brygga worker`` starts, from ``brygga import-jobs --recover``, and for
one job when its status page is requested (:func:`recover_if_stale`). A recovered job's stored
file is removed at once (nothing restarts it); the worker start and ``--recover`` also remove
the uploads kept longer than ``BRYGGA_UPLOAD_RETENTION_HOURS``
(:mod:`brygga.incidents.storage`).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from brygga.audit.context import actor_for_user
from brygga.audit.services import log_action
from brygga.core.access import SystemActor

from .models import ImportJob
from .storage import discard_job_file, purge_expired_uploads

logger = logging.getLogger(__name__)

AUDIT_EVENT = "import_interrupted"
ACTOR = SystemActor("brygga import recovery")
ACTIVE = (ImportJob.State.PENDING, ImportJob.State.RUNNING)
LOST_TASK = "lost_task"
STOPPED = "stopped"
INTERRUPTED = "interrupted"


def stale_limit() -> timedelta:
    """How long an active job may go without a progress update (``BRYGGA_IMPORT_STALE_MINUTES``)."""
    return timedelta(minutes=int(getattr(settings, "BRYGGA_IMPORT_STALE_MINUTES", 30)))


def _tasks() -> dict:
    from .tasks import run_tabular_import
    from .tasks_police import run_police_import

    return {ImportJob.Kind.POLICE: run_police_import, ImportJob.Kind.TABULAR: run_tabular_import}


def _task_paths() -> dict[str, str]:
    return {kind: task.module_path for kind, task in _tasks().items()}


def _awaits_worker(job: ImportJob) -> bool:
    """A pending job that only a queued task moves on (not a CSV/Excel import whose columns
    are still being chosen, nor one run by a command)."""
    if job.options.get("cli"):
        return False
    return job.kind == ImportJob.Kind.POLICE or bool(job.options.get("started"))


def _live_tasks(cutoff: datetime) -> set[tuple[str, int]] | None:
    """``(task path, job id)`` of the import tasks still queued, or claimed by a worker after
    ``cutoff``. ``None`` when the tasks are not queued in the database backend, so a lost
    task cannot be told from a queued one."""
    if not apps.is_installed("django_tasks_db"):
        return None
    from django.db.models import Q
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not all(isinstance(t.get_backend(), DatabaseBackend) for t in _tasks().values()):
        return None

    paths = _task_paths()
    rows = DBTaskResult.objects.filter(task_path__in=paths.values()).filter(
        Q(status="READY") | Q(status="RUNNING", started_at__gte=cutoff)
    )
    live = set()
    for path, args_kwargs in rows.values_list("task_path", "args_kwargs"):
        args = (args_kwargs or {}).get("args") or []
        job_id = args[0] if args else (args_kwargs or {}).get("kwargs", {}).get("job_id")
        with contextlib.suppress(TypeError, ValueError):
            live.add((path, int(job_id)))
    return live


def _reason(job: ImportJob, cutoff: datetime, live: set | None) -> str | None:
    """Why ``job`` is stuck, or ``None`` if it is not (yet)."""
    if job.state not in ACTIVE or job.updated_at >= cutoff:
        return None
    if job.state == ImportJob.State.RUNNING:
        return STOPPED
    if not _awaits_worker(job) or live is None:
        return None
    if (_task_paths()[job.kind], job.pk) in live:
        return None  # still queued: the workers are busy, not gone
    return LOST_TASK


def _message(job: ImportJob) -> str:
    if job.options.get("cli"):
        return _(
            "The import stopped without finishing (the command was interrupted). Nothing was "
            "written; run the command again."
        )
    return _(
        "The import stopped without finishing (the background worker was interrupted). "
        "Nothing was written; upload the file again."
    )


def _interrupt(job: ImportJob, *, reason: str, now: datetime, limit: timedelta) -> bool:
    """Mark ``job`` as failed, unless it changed since it was read (its worker is alive)."""
    language = job.options.get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        message = _message(job)
    with transaction.atomic():
        changed = ImportJob.objects.filter(
            pk=job.pk, state=job.state, updated_at=job.updated_at
        ).update(
            state=ImportJob.State.FAILED,
            message=message,
            created_count=0,
            unchanged_count=0,
            error_count=0,
            errors=[],
            finished_at=now,
            updated_at=now,
        )
        if not changed:
            return False
        log_action(
            event_type=AUDIT_EVENT,
            subject=job,
            details={
                "kind": job.kind,
                "file": job.file_name,
                "state_before": job.state,
                "reason": reason,
                "last_update": job.updated_at,
                "stale_minutes": int(limit.total_seconds() // 60),
            },
            actor=actor_for_user(ACTOR),
            municipality_id=job.municipality_id,
        )
    logger.warning("import job %s (%s) marked as failed: %s", job.pk, job.kind, reason)
    # a failed job's upload is of no further use (police and CSV/Excel alike): removed at once
    discard_job_file(job.pk)
    job.refresh_from_db()
    return True


def find_stale_jobs(
    now: datetime | None = None, *, stale_after: timedelta | None = None
) -> list[tuple[ImportJob, str]]:
    """The stuck import jobs with why (``"stopped"`` or ``"lost_task"``); changes nothing."""
    now = now or timezone.now()
    cutoff = now - (stale_after if stale_after is not None else stale_limit())
    candidates = list(
        ImportJob.objects.filter(state__in=ACTIVE, updated_at__lt=cutoff)
        .select_related("municipality")
        .order_by("pk")
    )
    pending = any(j.state == ImportJob.State.PENDING for j in candidates)
    live = _live_tasks(cutoff) if pending else None
    found = []
    for job in candidates:
        reason = _reason(job, cutoff, live)
        if reason:
            found.append((job, reason))
    return found


def recover_stale_jobs(
    now: datetime | None = None, *, stale_after: timedelta | None = None
) -> list[ImportJob]:
    """Mark every stuck import job as failed (see the module docstring), then remove the
    uploaded files kept longer than ``BRYGGA_UPLOAD_RETENTION_HOURS``
    (:func:`~brygga.incidents.storage.purge_expired_uploads`). Returns the recovered jobs."""
    now = now or timezone.now()
    limit = stale_after if stale_after is not None else stale_limit()
    recovered = [
        job
        for job, reason in find_stale_jobs(now, stale_after=limit)
        if _interrupt(job, reason=reason, now=now, limit=limit)
    ]
    try:
        purge_expired_uploads(now)
    except Exception:  # housekeeping must not keep a worker from starting
        logger.exception("removing the expired uploads failed")
    return recovered


def recover_if_stale(
    job: ImportJob, now: datetime | None = None, *, stale_after: timedelta | None = None
) -> bool:
    """Recover one job if it is stuck (for its status page); ``job`` is refreshed in place."""
    if job.state not in ACTIVE:
        return False
    now = now or timezone.now()
    limit = stale_after if stale_after is not None else stale_limit()
    cutoff = now - limit
    if job.updated_at >= cutoff:
        return False
    pending = job.state == ImportJob.State.PENDING
    if pending and not _awaits_worker(job):
        return False
    live = _live_tasks(cutoff) if pending else None
    reason = _reason(job, cutoff, live)
    return bool(reason) and _interrupt(job, reason=reason, now=now, limit=limit)


def fail_interrupted(job: ImportJob) -> bool:
    """Mark ``job`` as failed at once, for a command whose import was interrupted (Ctrl-C, an
    unexpected error) rather than waiting for the stale limit. Returns whether it was active."""
    job.refresh_from_db(fields=["state", "updated_at", "stored_file", "options"])
    if job.state not in ACTIVE:
        return False
    return _interrupt(job, reason=INTERRUPTED, now=timezone.now(), limit=timedelta(0))
