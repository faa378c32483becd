"""Import jobs: the one module that changes an ``ImportJob`` row.

A job moves through a small state machine, in the manner of NetBox's ``Job`` model::

    pending ──start──▶ running ──finish──▶ done
       │                  └──fail / recover──▶ failed
       └──fail / recover───────────────────────▶ failed ──queue──▶ pending (CSV/Excel only)

* :func:`create` — a new job, ``pending``.
* :func:`queue` — a CSV/Excel job waits for the worker with its chosen mapping (``pending`` →
  ``pending``), or is started again with its stored file after a failed validation
  (``failed`` → ``pending``). Counts and errors are reset.
* :func:`start` — a worker or a command takes the job (``pending`` → ``running``).
* :func:`progress` — rows checked so far; only while ``running``.
* :func:`finish` — ``running`` → ``done``, with the counts.
* :func:`fail` — ``pending`` or ``running`` → ``failed``, with a message.
* :func:`recover` — a job whose worker or command stopped is failed (see below).

Each change is one conditional ``UPDATE`` (``… WHERE state IN (the states it may come
from)``), so two processes cannot both move a job (a second task for the same job finds it
running). When the job's state does not allow the change, :class:`IllegalTransition` names the
job, its state and the state asked for. The rows are changed with ``QuerySet.update()``, so
progress leaves no audit rows: the importers write one audit row per import, the recovery an
``import_interrupted`` row. The instance passed in is updated as well.

**Stuck jobs.** A worker that dies (killed, machine restart) never finishes its job, so the
job would stay ``running`` (or ``pending``, when its queued task was lost) and its page would
poll for ever. :func:`recover_stale_jobs` marks such jobs as failed:

* a **running** job whose ``updated_at`` is older than ``BRYGGA_IMPORT_STALE_MINUTES``
  (default 30). Every progress step of both importers refreshes ``updated_at``; the last
  refresh a page can see is the one before the write transaction, so the limit must be longer
  than the longest write of an import;
* a **pending** job that waits for the worker (a police upload, or a CSV/Excel import whose
  start was chosen) without a queued task in the django-tasks database backend, or whose task
  was claimed by a worker longer ago than the limit, once the job is older than the limit.

Both importers write their rows, the job's final state and their audit row in one transaction,
so a worker that died wrote nothing; the message says so. Each recovered job gets one
``import_interrupted`` audit row. Recovery runs when ``brygga worker`` starts, from ``brygga
import-jobs --recover``, and for one job when its status page is requested
(:func:`recover_if_stale`). A recovered job's stored file is removed at once (nothing restarts
it); the worker start and ``--recover`` also remove the uploads kept longer than
``BRYGGA_UPLOAD_RETENTION_HOURS`` (:func:`brygga.incidents.imports.storage.purge_expired_uploads`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from brygga.audit.context import actor_for_user
from brygga.audit.services import log_action
from brygga.core.access import SystemActor
from brygga.core.models import Municipality

from ..models import ImportJob, ImportProfile
from .storage import EXPIRED_KEY, delete_upload, purge_expired_uploads

logger = logging.getLogger(__name__)

State = ImportJob.State
PENDING, RUNNING, DONE, FAILED = State.PENDING, State.RUNNING, State.DONE, State.FAILED
ACTIVE = (PENDING, RUNNING)

# state → the states it may move to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    PENDING: (PENDING, RUNNING, FAILED),
    RUNNING: (DONE, FAILED),
    FAILED: (PENDING,),
    DONE: (),
}

AUDIT_EVENT = "import_interrupted"
ACTOR = SystemActor("brygga import recovery")
LOST_TASK = "lost_task"
STOPPED = "stopped"
INTERRUPTED = "interrupted"
# Where the import tasks lived before brygga/incidents/imports/: tasks queued by an earlier
# version carry these paths (see brygga/incidents/tasks.py).
LEGACY_TASK_PATHS = {
    ImportJob.Kind.POLICE: "brygga.incidents.tasks_police.run_police_import",
    ImportJob.Kind.TABULAR: "brygga.incidents.tasks.run_tabular_import",
}


class IllegalTransition(Exception):
    """A job was asked to change in a way its current state does not allow."""

    def __init__(self, job_id: int, state: str | None, target: str, allowed_from=()):
        self.job_id, self.state, self.target = job_id, state, target
        if state is None:
            text = f"Import job {job_id} does not exist; it cannot become {target}."
        else:
            text = f"Import job {job_id} is {state}; it cannot become {target}"
            text += f" (only a {' or '.join(allowed_from)} job can)." if allowed_from else "."
        super().__init__(text)


def _sources(target: str) -> tuple[str, ...]:
    return tuple(s for s, targets in TRANSITIONS.items() if target in targets)


def _pk(job: ImportJob | int) -> int:
    return job.pk if isinstance(job, ImportJob) else job


def _apply(job: ImportJob | int, fields: dict, **where) -> int:
    changed = ImportJob.objects.filter(pk=_pk(job), **where).update(**fields)
    if changed and isinstance(job, ImportJob):
        for name, value in fields.items():
            setattr(job, name, value)
    return changed


def _move(job: ImportJob | int, target: str, fields: dict, *, kind: str | None = None) -> None:
    """Change ``job`` to ``target`` if its state (read in the same ``UPDATE``) allows it."""
    sources = _sources(target)
    where: dict[str, Any] = {"state__in": sources}
    if kind is not None:
        where["kind"] = kind
    if not _apply(job, {**fields, "state": target}, **where):
        state = ImportJob.objects.filter(pk=_pk(job)).values_list("state", flat=True).first()
        raise IllegalTransition(_pk(job), state, target, sources)


def _given(**fields) -> dict:
    return {k: v for k, v in fields.items() if v is not None}


# --- the transitions ------------------------------------------------------------------------
def create(
    *,
    kind: str,
    municipality: Municipality | None,
    file_name: str,
    stored_file: str = "",
    profile: ImportProfile | None = None,
    options: dict | None = None,
    created_by=None,
) -> ImportJob:
    """A new ``pending`` job. Callers check first that the actor may import (the services
    ``import_job_create`` and ``police_job_create``)."""
    return ImportJob.objects.create(
        municipality=municipality,
        kind=kind,
        file_name=file_name[:255],
        stored_file=stored_file,
        profile=profile,
        options=options or {},
        created_by=created_by,
    )


def queue(job: ImportJob, *, options: Mapping[str, Any]) -> None:
    """Let a CSV/Excel job wait for the worker with ``options`` (its mapping and choices), from
    ``pending`` (the columns were just chosen) or ``failed`` (started again with the stored
    file). A running or finished job is refused."""
    _move(
        job,
        PENDING,
        {
            "options": {**job.options, **options, "started": True},
            "total_rows": 0,
            "processed_rows": 0,
            "progress": 0,
            "created_count": 0,
            "unchanged_count": 0,
            "error_count": 0,
            "errors": [],
            "message": "",
            "finished_at": None,
            "updated_at": timezone.now(),
        },
        kind=ImportJob.Kind.TABULAR,
    )


def start(job: ImportJob | int) -> None:
    """A worker or a command takes a ``pending`` job; only one can."""
    _move(
        job,
        RUNNING,
        {"message": "", "progress": 0, "processed_rows": 0, "updated_at": timezone.now()},
    )


def progress(
    job: ImportJob | int,
    *,
    processed_rows: int | None = None,
    progress: int | None = None,
    total_rows: int | None = None,
) -> None:
    """Record how far a ``running`` job has come. ``updated_at`` moves too: it tells a running
    job from a stuck one."""
    fields = _given(processed_rows=processed_rows, progress=progress, total_rows=total_rows)
    if not _apply(job, {**fields, "updated_at": timezone.now()}, state=RUNNING):
        state = ImportJob.objects.filter(pk=_pk(job)).values_list("state", flat=True).first()
        raise IllegalTransition(_pk(job), state, "running (with progress)", (RUNNING,))


def finish(
    job: ImportJob | int,
    *,
    processed_rows: int,
    created_count: int,
    unchanged_count: int,
    total_rows: int | None = None,
    error_count: int = 0,
    errors: list[dict] | None = None,
    message: str = "",
    options: dict | None = None,
) -> None:
    """A ``running`` job is done: its counts, the errors of rows left out, a summary."""
    now = timezone.now()
    fields = _given(total_rows=total_rows, options=options)
    fields.update(
        processed_rows=processed_rows,
        progress=100,
        created_count=created_count,
        unchanged_count=unchanged_count,
        error_count=error_count,
        errors=errors or [],
        message=message,
        finished_at=now,
        updated_at=now,
    )
    _move(job, DONE, fields)


def fail(
    job: ImportJob | int,
    *,
    message: str,
    error_count: int | None = None,
    errors: list[dict] | None = None,
    created_count: int | None = None,
    unchanged_count: int | None = None,
    total_rows: int | None = None,
    processed_rows: int | None = None,
    progress: int | None = None,
) -> None:
    """A ``pending`` or ``running`` job failed; ``message`` says why (counts as given)."""
    now = timezone.now()
    fields = _given(
        error_count=error_count,
        errors=errors,
        created_count=created_count,
        unchanged_count=unchanged_count,
        total_rows=total_rows,
        processed_rows=processed_rows,
        progress=progress,
    )
    _move(job, FAILED, {**fields, "message": message, "finished_at": now, "updated_at": now})


def recover(job: ImportJob, *, reason: str, now: datetime, limit: timedelta) -> bool:
    """Mark a stuck ``job`` as failed with an ``import_interrupted`` audit row and remove its
    file; ``False`` when it changed since it was read (its worker is alive after all)."""
    if job.state not in ACTIVE:
        raise IllegalTransition(job.pk, job.state, FAILED, ACTIVE)
    language = job.options.get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        message = _interrupted_message(job)
    with transaction.atomic():
        changed = ImportJob.objects.filter(
            pk=job.pk, state=job.state, updated_at=job.updated_at
        ).update(
            state=FAILED,
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
    discard_file(job.pk)
    job.refresh_from_db()
    return True


# --- details that are not a change of state --------------------------------------------------
def set_options(job: ImportJob, **options) -> None:
    """Change options of a job waiting for its mapping (e.g. the sheet or header row chosen)."""
    _apply(job, {"options": {**job.options, **options}})


def set_profile(job: ImportJob, profile: ImportProfile) -> None:
    _apply(job, {"profile": profile})


def discard_file(job: ImportJob | int) -> bool:
    """Remove the stored file of a job that ended and whose file is of no further use, and
    clear its ``stored_file``. Returns whether there was a file."""
    pk = _pk(job)
    name = ImportJob.objects.filter(pk=pk).values_list("stored_file", flat=True).first()
    if not name:
        return False
    # clear the reference first: a file whose deletion fails is an orphan the purge removes
    ImportJob.objects.filter(pk=pk, stored_file=name).update(stored_file="")
    delete_upload(name)
    if isinstance(job, ImportJob):
        job.stored_file = ""
    return True


def release_expired_file(
    pk: int, *, stored_file: str, updated_at: datetime, options: dict | None, hours: int
) -> bool:
    """Let go of a job's file for the purge of expired uploads, unless the job changed since
    it was read; ``options[EXPIRED_KEY]`` tells its page why the file is gone."""
    return bool(
        ImportJob.objects.filter(pk=pk, stored_file=stored_file, updated_at=updated_at).update(
            stored_file="", options={**(options or {}), EXPIRED_KEY: hours}
        )
    )


def dispose_error_details(ids: list[int], now: datetime) -> None:
    """Gallring: remove the row errors of finished jobs (they quote the file's cells); the
    counts and the summary stay, and the job's page says when the details were removed."""
    ImportJob.objects.filter(pk__in=ids, state__in=(DONE, FAILED)).update(
        errors=[], details_disposed_at=now
    )


def release_files_for_disposal(ids: list[int], *, hours: int) -> list[str]:
    """Gallring: let go of the stored files of the jobs ``ids`` (locked, so a worker that is
    reading one is not cut off mid-file: an active job keeps its file); returns the names to
    remove after the commit."""
    names = []
    locked = ImportJob.objects.select_for_update().filter(pk__in=ids).exclude(stored_file="")
    for job in locked.exclude(state__in=ACTIVE).order_by("pk"):
        names.append(job.stored_file)
        job.options = {**(job.options or {}), EXPIRED_KEY: hours}
        job.stored_file = ""
        job.save(update_fields=["stored_file", "options", "updated_at"])
    return names


# --- stuck jobs -----------------------------------------------------------------------------
def stale_limit() -> timedelta:
    """How long an active job may go without a progress update (``BRYGGA_IMPORT_STALE_MINUTES``)."""
    return timedelta(minutes=int(getattr(settings, "BRYGGA_IMPORT_STALE_MINUTES", 30)))


def _tasks() -> dict:
    from ..placements import run_layer_placement
    from .tasks import run_police_import, run_tabular_import

    return {
        ImportJob.Kind.POLICE: run_police_import,
        ImportJob.Kind.TABULAR: run_tabular_import,
        ImportJob.Kind.PLACEMENT: run_layer_placement,  # a layer's incidents placed again
    }


def _task_paths() -> dict[str, tuple[str, ...]]:
    """Each kind's task path now and before the move (a task queued by an older version)."""
    return {
        kind: (task.module_path, LEGACY_TASK_PATHS.get(kind, task.module_path))
        for kind, task in _tasks().items()
    }


def _awaits_worker(job: ImportJob) -> bool:
    """A pending job that only a queued task moves on (not a CSV/Excel import whose columns
    are still being chosen, nor one run by a command)."""
    if job.options.get("cli"):
        return False
    if job.kind in (ImportJob.Kind.POLICE, ImportJob.Kind.PLACEMENT):
        return True
    return bool(job.options.get("started"))


def _live_tasks(cutoff: datetime) -> set[tuple[str, int]] | None:
    """``(kind, job id)`` of the import tasks still queued, or claimed by a worker after
    ``cutoff``. ``None`` when the tasks are not queued in the database backend, so a lost
    task cannot be told from a queued one."""
    if not apps.is_installed("django_tasks_db"):
        return None
    from django.db.models import Q
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not all(isinstance(t.get_backend(), DatabaseBackend) for t in _tasks().values()):
        return None

    kind_of = {path: kind for kind, paths in _task_paths().items() for path in paths}
    rows = DBTaskResult.objects.filter(task_path__in=kind_of).filter(
        Q(status="READY") | Q(status="RUNNING", started_at__gte=cutoff)
    )
    live = set()
    for path, args_kwargs in rows.values_list("task_path", "args_kwargs"):
        args = (args_kwargs or {}).get("args") or []
        job_id = args[0] if args else (args_kwargs or {}).get("kwargs", {}).get("job_id")
        with contextlib.suppress(TypeError, ValueError):
            live.add((kind_of[path], int(job_id)))
    return live


def _reason(job: ImportJob, cutoff: datetime, live: set | None) -> str | None:
    """Why ``job`` is stuck, or ``None`` if it is not (yet)."""
    if job.state not in ACTIVE or job.updated_at >= cutoff:
        return None
    if job.state == RUNNING:
        return STOPPED
    if not _awaits_worker(job) or live is None:
        return None
    if (job.kind, job.pk) in live:
        return None  # still queued: the workers are busy, not gone
    return LOST_TASK


def _interrupted_message(job: ImportJob) -> str:
    if job.kind == ImportJob.Kind.PLACEMENT:
        return _(
            "Placing the incidents in the layer stopped without finishing. Run "
            "“brygga place-incidents” for the layer, or save one of its areas again."
        )
    if job.options.get("cli"):
        return _(
            "The import stopped without finishing (the command was interrupted). Nothing was "
            "written; run the command again."
        )
    return _(
        "The import stopped without finishing (the background worker was interrupted). "
        "Nothing was written; upload the file again."
    )


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
    pending = any(j.state == PENDING for j in candidates)
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
    (:func:`~brygga.incidents.imports.storage.purge_expired_uploads`). Returns the recovered
    jobs."""
    now = now or timezone.now()
    limit = stale_after if stale_after is not None else stale_limit()
    recovered = [
        job
        for job, reason in find_stale_jobs(now, stale_after=limit)
        if recover(job, reason=reason, now=now, limit=limit)
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
    pending = job.state == PENDING
    if pending and not _awaits_worker(job):
        return False
    live = _live_tasks(cutoff) if pending else None
    reason = _reason(job, cutoff, live)
    return bool(reason) and recover(job, reason=reason, now=now, limit=limit)


def fail_interrupted(job: ImportJob) -> bool:
    """Mark ``job`` as failed at once, for a command whose import was interrupted (Ctrl-C, an
    unexpected error) rather than waiting for the stale limit. Returns whether it was active."""
    job.refresh_from_db(fields=["state", "updated_at", "stored_file", "options"])
    if job.state not in ACTIVE:
        return False
    return recover(job, reason=INTERRUPTED, now=timezone.now(), limit=timedelta(0))
