"""Import jobs that cannot get stuck (`brygga.incidents.imports.jobs`): a job left running or
waiting by a worker that died is marked as failed (by the worker at start, by `brygga
import-jobs --recover`, and when its page is opened), and imports made with `brygga
import-police` get a job like uploads do."""

from __future__ import annotations

import importlib
import io
import json
import uuid
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from brygga.audit.models import AuditEvent
from brygga.incidents.imports import jobs, tabular
from brygga.incidents.imports.storage import upload_storage
from brygga.incidents.models import ImportJob, Incident

from .factories import ImportJobFactory, stored_events

SAMPLE = Path(__file__).parent / "fixtures" / "police_sample.jsonl"
STOPPED_WORKER = (
    "The import stopped without finishing (the background worker was interrupted). "
    "Nothing was written; upload the file again."
)
LOCAL = ("Sundsvall", "Västernorrlands län")
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def sample() -> list[dict]:
    with open(SAMPLE, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def place_of(r: dict) -> str:
    loc = r["location"]["name"]
    tail = r["name"].rsplit(",", 1)[-1].strip()
    return tail if loc.endswith(" län") and not tail.endswith(" län") else loc


def make_job(world, *, kind="police", state="running", minutes_ago=0, **fields) -> ImportJob:
    options = {"language": "en", **fields.pop("options", {})}
    return ImportJobFactory(
        municipality=fields.pop("municipality", world.sundsvall),
        kind=kind,
        state=state,
        file_name=fields.pop("file_name", "handelser.jsonl"),
        options=options,
        updated_ago=timedelta(minutes=minutes_ago),
        **fields,
    )


def police_url(name: str, world, job) -> str:
    return reverse(f"incidents:{name}", kwargs={"code": world.sundsvall.code, "pk": job.pk})


# --- recovery -------------------------------------------------------------------------------
def test_running_job_older_than_the_limit_is_failed_and_its_page_says_so(world, client_for):
    job = make_job(world, state="running", minutes_ago=31, progress=40, processed_rows=2000)
    recovered = jobs.recover_stale_jobs()
    assert [j.pk for j in recovered] == [job.pk]
    job.refresh_from_db()
    assert job.state == "failed" and job.finished_at is not None
    assert job.message == STOPPED_WORKER
    audit = AuditEvent.objects.get(event_type="import_interrupted")
    assert audit.object_id == str(job.pk) and audit.municipality_id == world.sundsvall.pk
    assert audit.actor_label == "brygga import recovery"
    assert audit.changes["state_before"] == "running" and audit.changes["reason"] == "stopped"
    client = client_for("coordinator")
    for name in ("police_job", "police_job_status"):
        page = client.get(police_url(name, world, job))
        assert page.status_code == 200
        text = page.content.decode()
        assert 'data-state="failed"' in text and STOPPED_WORKER in text
        assert "hx-trigger" not in text and "hx-get" not in text  # no more polling
    assert jobs.recover_stale_jobs() == []  # once only


def test_the_status_page_of_a_stale_job_stops_polling_by_itself(world, client_for):
    """No worker has started since: opening the page is enough."""
    job = make_job(world, state="running", minutes_ago=45)
    text = client_for("analyst").get(police_url("police_job_status", world, job)).content.decode()
    assert 'data-state="failed"' in text and "hx-trigger" not in text
    assert STOPPED_WORKER in text
    job.refresh_from_db()
    assert job.state == "failed"
    assert AuditEvent.objects.filter(event_type="import_interrupted").count() == 1
    # someone who may not see the job gets a 404 and recovers nothing
    other = make_job(world, state="running", minutes_ago=45)
    response = client_for("outsider").get(police_url("police_job_status", world, other))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.state == "running"


def test_fresh_running_job_keeps_running_and_polling(world, client_for):
    job = make_job(world, state="running", minutes_ago=5)
    assert jobs.recover_stale_jobs() == []
    text = client_for("coordinator").get(police_url("police_job", world, job)).content.decode()
    assert 'data-state="running"' in text and 'hx-trigger="every 1s"' in text
    job.refresh_from_db()
    assert job.state == "running"
    assert not AuditEvent.objects.filter(event_type="import_interrupted").exists()


def test_finished_jobs_are_never_touched(world):
    done = make_job(world, state="done", minutes_ago=600, created_count=7)
    failed = make_job(world, state="failed", minutes_ago=600, message="earlier problem")
    assert jobs.recover_stale_jobs() == []
    done.refresh_from_db()
    failed.refresh_from_db()
    assert (done.state, done.created_count) == ("done", 7)
    assert (failed.state, failed.message) == ("failed", "earlier problem")


def test_the_limit_is_a_setting(world):
    job = make_job(world, state="running", minutes_ago=20)
    assert jobs.recover_stale_jobs() == []
    with override_settings(BRYGGA_IMPORT_STALE_MINUTES=10):
        assert [j.pk for j in jobs.recover_stale_jobs()] == [job.pk]


def test_waiting_job_whose_task_is_lost_is_failed(world):
    from django_tasks_db.models import DBTaskResult

    from brygga.incidents.imports.tasks import run_police_import

    lost = make_job(world, state="pending", minutes_ago=40, stored_file="imports/police/x.jsonl")
    queued = make_job(world, state="pending", minutes_ago=40)
    DBTaskResult.objects.create(
        task_path=run_police_import.module_path,
        args_kwargs={"args": [queued.pk], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
    )
    # a CSV/Excel import whose columns are still being chosen waits for the user, not a task
    choosing = make_job(world, kind="tabular", state="pending", minutes_ago=600)
    recent = make_job(world, state="pending", minutes_ago=5)
    # with tasks queued elsewhere than the database, a lost task cannot be told from a queued one
    assert jobs.recover_stale_jobs() == []
    with override_settings(TASKS=DB_TASKS):
        assert [j.pk for j in jobs.recover_stale_jobs()] == [lost.pk]
    for job, state in ((lost, "failed"), (queued, "pending"), (choosing, "pending")):
        job.refresh_from_db()
        assert job.state == state
    recent.refresh_from_db()
    assert recent.state == "pending"
    assert lost.stored_file == "", "a police upload that cannot be restarted is removed"
    audit = AuditEvent.objects.get(event_type="import_interrupted")
    assert audit.changes["reason"] == "lost_task"


def test_stale_csv_import_removes_its_file_and_says_to_upload_it_again(world, client_for):
    """A job recovered as stuck removes its upload at once, CSV/Excel like police (#8)."""
    name = upload_storage().save(f"imports/2281/{uuid.uuid4().hex}.csv", ContentFile(b"a;b\n"))
    job = make_job(
        world,
        kind="tabular",
        state="running",
        minutes_ago=31,
        stored_file=name,
        options={"started": True},
    )
    client = client_for("analyst")
    base = f"/kommuner/2281/handelser/importer/{job.pk}/"
    response = client.get(f"{base}status/", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true", "the progress box reloads the page once"
    job.refresh_from_db()
    assert job.state == "failed" and job.stored_file == ""
    assert not upload_storage().exists(name)
    assert job.message == STOPPED_WORKER
    text = client.get(base).content.decode()
    assert job.message in text and "hx-trigger" not in text
    assert f'href="{base}kolumner/"' not in text, "nothing to start again without the file"


def test_a_job_updated_meanwhile_is_left_alone(world):
    job = make_job(world, state="running", minutes_ago=31)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now())  # its worker is alive
    assert jobs.recover_if_stale(job) is False
    job.refresh_from_db()
    assert job.state == "running"


def test_progress_updates_refresh_updated_at(world):
    """A long import is not taken for a stuck one: every progress step moves ``updated_at``."""
    for kind, step in (
        ("tabular", lambda job: tabular.job_progress(job.pk)("validate", 10, 0.5)),
        ("police", lambda job: jobs.progress(job, processed_rows=2000, progress=10)),
    ):
        job = make_job(world, kind=kind, state="running", minutes_ago=31)
        step(job)
        job.refresh_from_db()
        assert timezone.now() - job.updated_at < timedelta(minutes=1), kind
    assert jobs.recover_stale_jobs() == []


# --- the commands ---------------------------------------------------------------------------
def test_import_jobs_command_lists_and_recovers(world):
    stale = make_job(world, state="running", minutes_ago=31, file_name="gammal.jsonl")
    make_job(world, state="done", minutes_ago=600, file_name="klar.jsonl")
    out = io.StringIO()
    call_command("import-jobs", stdout=out)
    listing = out.getvalue()
    assert "gammal.jsonl" in listing and "klar.jsonl" in listing
    assert "(stuck)" in listing and "--recover" in listing
    stale.refresh_from_db()
    assert stale.state == "running", "listing changes nothing"
    out = io.StringIO()
    call_command("import-jobs", "--recover", stdout=out)
    assert str(stale.pk) in out.getvalue()
    stale.refresh_from_db()
    assert stale.state == "failed" and stale.message == STOPPED_WORKER
    out = io.StringIO()
    call_command("import-jobs", "--recover", stdout=out)
    assert "No import job is stuck" in out.getvalue()


def test_import_jobs_command_with_its_own_limit(world):
    job = make_job(world, state="running", minutes_ago=10)
    call_command("import-jobs", "--recover", stdout=io.StringIO())
    job.refresh_from_db()
    assert job.state == "running"
    call_command("import-jobs", "--recover", "--stale-minutes", "5", stdout=io.StringIO())
    job.refresh_from_db()
    assert job.state == "failed"
    with pytest.raises(CommandError):
        call_command("import-jobs", "--recover", "--stale-minutes", "0", stdout=io.StringIO())


def test_worker_recovers_at_start(world):
    """`brygga worker` fails the stuck jobs before it takes the first task (the queue loop
    itself is django-tasks-db's and not run here)."""
    from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

    stale = make_job(world, state="running", minutes_ago=31)
    fresh = make_job(world, state="running", minutes_ago=1)
    out = io.StringIO()
    with (
        override_settings(TASKS=DB_TASKS),
        mock.patch.object(DbWorkerCommand, "handle", return_value=None) as loop,
    ):
        call_command("worker", "--batch", stdout=out)
    assert loop.called, "the worker then runs the queue"
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.state, fresh.state) == ("failed", "running")
    assert str(stale.pk) in out.getvalue()


def write(tmp_path, records) -> Path:
    path = tmp_path / "handelser.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def test_cli_police_import_creates_a_job_with_the_counts(world, tmp_path):
    records = sample()
    path = write(tmp_path, records)
    call_command("import-police", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    job = ImportJob.objects.get()
    assert (job.kind, job.state, job.municipality) == ("police", "done", None)
    assert job.file_name == "handelser.jsonl" and job.options["cli"] is True
    assert job.created_count == len(records) == stored_events()
    assert set(Incident.objects.values_list("import_job", flat=True)) == {job.pk}
    audit = AuditEvent.objects.get(event_type="police_import")
    assert audit.object_id == str(job.pk) and audit.actor_label == "brygga import-police"
    # the second run adds nothing and says so on its own job
    call_command("import-police", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    second = ImportJob.objects.order_by("pk").last()
    assert second.pk != job.pk and second.state == "done"
    assert (second.created_count, second.unchanged_count) == (0, len(records))
    assert stored_events() == len(records)
    # a dry run saves nothing, and so lists nothing either
    call_command("import-police", str(path), "--dry-run", stdout=io.StringIO())
    assert ImportJob.objects.count() == 2


def test_cli_police_import_for_a_municipality_is_in_its_history(world, tmp_path, client_for):
    path = write(tmp_path, sample())
    call_command("import-police", str(path), "--municipality", "2281", stdout=io.StringIO())
    job = ImportJob.objects.get()
    expected = sum(1 for r in sample() if place_of(r) in LOCAL)
    assert job.municipality == world.sundsvall and job.options["scope"] == "municipality"
    assert job.created_count == expected
    assert AuditEvent.objects.get(event_type="police_import").municipality_id == (
        world.sundsvall.pk
    )
    client = client_for("coordinator")
    page = client.get(reverse("incidents:police_upload", kwargs={"code": "2281"}))
    assert police_url("police_job", world, job) in page.content.decode()
    text = client.get(police_url("police_job", world, job)).content.decode()
    assert f'data-count="created">{expected}<' in text


def test_cli_police_import_of_a_bad_file_fails_its_job(world, tmp_path):
    records = sample()[:5]
    records[3]["datetime"] = "2024-13-45"
    path = write(tmp_path, records)
    with pytest.raises(CommandError):
        call_command(
            "import-police",
            str(path),
            "--municipality",
            "2281",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    job = ImportJob.objects.get()
    assert job.state == "failed" and job.errors[0]["record"] == 4
    assert not Incident.objects.exists()


def test_interrupted_cli_police_import_fails_its_job_at_once(world, tmp_path):
    path = write(tmp_path, sample()[:5])
    command = importlib.import_module("brygga.incidents.management.commands.import-police")
    with (
        mock.patch.object(command, "import_records", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        call_command("import-police", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    job = ImportJob.objects.get()
    assert job.state == "failed" and "the command was interrupted" in job.message
    assert AuditEvent.objects.get(event_type="import_interrupted").changes["reason"] == (
        "interrupted"
    )
