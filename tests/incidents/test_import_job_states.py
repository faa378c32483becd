"""The import job state machine (`brygga.incidents.imports.jobs`): pending → running → done or
failed, a CSV/Excel job queued again after a failed validation, and every other change refused
with an error that names the job and its state. Tasks queued under the task paths of before
the move to `brygga.incidents.imports` still run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from brygga.incidents.imports import jobs
from brygga.incidents.imports.tasks import run_police_import, run_tabular_import
from brygga.incidents.models import ImportJob

from .factories import ImportJobFactory

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def job_in(world, state: str, kind: str = "tabular", **fields) -> ImportJob:
    return ImportJobFactory(municipality=world.sundsvall, kind=kind, state=state, **fields)


def state_of(job: ImportJob) -> str:
    return ImportJob.objects.values_list("state", flat=True).get(pk=job.pk)


def test_a_job_runs_from_pending_to_done(world):
    job = job_in(world, "pending")
    jobs.start(job)
    jobs.progress(job, processed_rows=10, progress=40)
    jobs.finish(job, processed_rows=20, created_count=18, unchanged_count=2, message="ok")
    job.refresh_from_db()
    assert (job.state, job.progress, job.created_count, job.unchanged_count) == ("done", 100, 18, 2)
    assert job.finished_at is not None and job.message == "ok"


@pytest.mark.parametrize(
    ("state", "change"),
    [
        ("running", lambda job: jobs.start(job)),  # a second task for the same job
        ("done", lambda job: jobs.start(job)),
        (
            "pending",
            lambda job: jobs.finish(job, processed_rows=1, created_count=1, unchanged_count=0),
        ),
        (
            "failed",
            lambda job: jobs.finish(job, processed_rows=1, created_count=1, unchanged_count=0),
        ),
        ("done", lambda job: jobs.fail(job, message="late")),
        ("failed", lambda job: jobs.fail(job, message="again")),
        ("pending", lambda job: jobs.progress(job, processed_rows=5)),
        ("done", lambda job: jobs.progress(job, processed_rows=5)),
        ("running", lambda job: jobs.queue(job, options={})),
        ("done", lambda job: jobs.queue(job, options={})),
    ],
)
def test_illegal_changes_are_refused_and_change_nothing(world, state, change):
    job = job_in(world, state, message="before")
    with pytest.raises(jobs.IllegalTransition) as exc:
        change(job)
    assert f"Import job {job.pk} is {state}" in str(exc.value)
    job.refresh_from_db()
    assert (job.state, job.message) == (state, "before")


def test_a_failed_csv_import_is_queued_again_with_its_counts_reset(world):
    job = job_in(world, "failed", error_count=3, errors=[{"row": 2}], total_rows=9, progress=100)
    jobs.queue(job, options={"valid_only": True})
    job.refresh_from_db()
    assert job.state == "pending" and job.options["started"] and job.options["valid_only"]
    assert (job.error_count, job.errors, job.total_rows, job.progress) == (0, [], 0, 0)
    assert job.finished_at is None


def test_a_police_job_is_never_queued_again(world):
    job = job_in(world, "failed", kind="police")
    with pytest.raises(jobs.IllegalTransition):
        jobs.queue(job, options={})
    assert state_of(job) == "failed"


def test_recover_refuses_a_finished_job(world):
    job = job_in(world, "done")
    with pytest.raises(jobs.IllegalTransition):
        jobs.recover(job, reason=jobs.STOPPED, now=timezone.now(), limit=timedelta(0))


def test_tasks_queued_before_the_move_still_resolve():
    """django-tasks keeps a queued task's import path and imports it again to run it."""
    assert import_string("brygga.incidents.tasks.run_tabular_import") is run_tabular_import
    assert import_string("brygga.incidents.tasks_police.run_police_import") is run_police_import
    assert run_tabular_import.module_path == "brygga.incidents.imports.tasks.run_tabular_import"


def test_a_job_queued_under_the_old_task_path_is_not_taken_for_lost(world):
    from django_tasks_db.models import DBTaskResult

    job = job_in(world, "pending", kind="police", updated_ago=timedelta(hours=2))
    DBTaskResult.objects.create(
        task_path=jobs.LEGACY_TASK_PATHS[ImportJob.Kind.POLICE],
        args_kwargs={"args": [job.pk], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
    )
    with override_settings(TASKS=DB_TASKS):
        assert jobs.recover_stale_jobs() == []
    assert state_of(job) == "pending"
