"""What the import pages say about the background worker: a job no worker picked up within a
minute says what an administrator must start, and the import list shows whether a worker is
alive (from the task queue's state, as /healthz reports it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from brygga.core import health
from brygga.incidents.models import ImportJob

from .factories import ImportJobFactory
from .importing import BASE

pytestmark = pytest.mark.usefixtures("default_categories")


@pytest.fixture
def en(client_for):
    def make(actor: str):
        c = client_for(actor)
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return c

    return make


def _task(**fields) -> DBTaskResult:
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="brygga.incidents.imports.tasks.run_tabular_import",
        backend_name="default",
        run_after=get_date_max(),
        **fields,
    )


def _waiting_job(world, ago: timedelta) -> ImportJob:
    return ImportJobFactory(
        municipality=world.sundsvall,
        created_by=world.users["analyst"],
        options={"started": True},
        updated_ago=ago,
    )


def test_a_job_no_worker_picked_up_within_a_minute_says_what_to_start(world, client_for):
    c = client_for("analyst")
    fresh = _waiting_job(world, timedelta(seconds=10))
    html = c.get(f"{BASE}{fresh.pk}/").content.decode()
    assert "Väntar på att bakgrundsprocessen ska starta importen." in html
    assert 'id="import-waiting"' not in html
    job = _waiting_job(world, timedelta(minutes=2))
    for url in (f"{BASE}{job.pk}/", f"{BASE}{job.pk}/status/"):
        html = c.get(url).content.decode()
        assert 'data-worker="none"' in html
        assert "Ingen bakgrundsprocess har startat importen ännu." in html
        assert "brygga-worker.service" in html and "brygga worker" in html
        assert 'hx-trigger="every 5s"' in html  # polled less often while nothing happens
    # a worker that is busy with another task: the import waits for it
    _task(status="RUNNING", started_at=timezone.now() - timedelta(minutes=3))
    html = c.get(f"{BASE}{job.pk}/status/").content.decode()
    assert 'data-worker="busy"' in html and "brygga-worker.service" not in html


def test_a_police_upload_no_worker_picked_up_says_so_too(world, client_for):
    c = client_for("analyst")
    job = ImportJobFactory(
        municipality=world.sundsvall,
        kind=ImportJob.Kind.POLICE,
        created_by=world.users["analyst"],
        updated_ago=timedelta(minutes=2),
    )
    url = f"/kommuner/2281/handelser/polisen/importer/{job.pk}/"
    for page in (url, f"{url}status/"):
        html = c.get(page).content.decode()
        assert 'data-worker="none"' in html and "brygga-worker.service" in html
    # a command's job runs in the foreground: no worker to wait for
    cli = ImportJobFactory(
        municipality=world.sundsvall,
        kind=ImportJob.Kind.POLICE,
        options={"cli": True},
        updated_ago=timedelta(minutes=2),
    )
    html = c.get(f"/kommuner/2281/handelser/polisen/importer/{cli.pk}/status/").content.decode()
    assert 'id="import-waiting"' not in html


def test_the_import_list_shows_whether_a_worker_is_alive(world, en):
    c = en("municipal_admin")
    html = c.get(BASE).content.decode()
    assert 'data-worker="not-seen"' in html
    assert "No background worker has picked up or finished a task in the last 5 minutes." in html
    assert "brygga-worker.service" in html
    _task(status="READY")
    html = c.get(BASE).content.decode()
    assert "1 task is waiting." in html
    _task(
        status="SUCCESSFUL",
        started_at=timezone.now() - timedelta(minutes=2),
        finished_at=timezone.now() - timedelta(minutes=1),
    )
    html = c.get(BASE).content.decode()
    assert 'data-worker="alive"' in html and "last picked up or finished a task" in html


def test_queue_state_tells_a_live_worker_from_none(db):
    now = timezone.now()
    assert health.queue_state(now)["worker"] == "not seen"
    assert health.queue_state(now)["last_activity_seconds"] is None
    _task(status="SUCCESSFUL", started_at=now - timedelta(minutes=9), finished_at=now)
    state = health.queue_state(now + timedelta(minutes=2))
    assert state["worker"] == "alive" and state["last_activity_seconds"] == 120
    assert health.queue_state(now + timedelta(minutes=6))["worker"] == "not seen"
    # a task picked up long ago and still running: its worker is busy
    _task(status="RUNNING", started_at=now)
    later = health.queue_state(now + timedelta(minutes=20))
    assert later["worker"] == "alive" and later["running"] == 1
    # ... but not for ever (a killed worker leaves its task "running")
    assert health.queue_state(now + timedelta(hours=1))["worker"] == "not seen"
