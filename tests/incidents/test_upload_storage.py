"""Uploaded import files (`brygga.incidents.imports.storage`, issue #8): readable by the service
user only (files 0600, directories 0700, whatever the umask), removed as soon as they are of no
use, and at the latest after `BRYGGA_UPLOAD_RETENTION_HOURS` (purged on upload, at worker start and
by `brygga import-jobs --purge-files`). Temporary files that hold rows are 0600 too."""

from __future__ import annotations

import io
import os
import stat
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from brygga.incidents import exports
from brygga.incidents.imports import storage, tabular
from brygga.incidents.imports.storage import upload_storage
from brygga.incidents.imports.tabular import importer as tabular_importer
from brygga.incidents.models import ImportJob, Incident

from .factories import ImportJobFactory, csv_bytes, row
from .importing import BASE, command, start, upload

pytestmark = pytest.mark.usefixtures("default_categories")
SAMPLE = Path(__file__).parent / "fixtures" / "police_sample.jsonl"
FS = "django.core.files.storage.FileSystemStorage"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def disk(settings, tmp_path):
    """A real file system storage in ``tmp_path/uploads`` (the test settings use memory)."""
    settings.MEDIA_ROOT = str(tmp_path / "uploads")
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": FS}}
    return tmp_path / "uploads"


@pytest.fixture
def en(client_for):
    def make(actor: str):
        c = client_for(actor)
        c.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        return c

    return make


def stored(name: str, content: bytes = b"Id;Tidpunkt\nA1;2024-03-05 21:30\n") -> str:
    return upload_storage().save(name, ContentFile(content))


def make_job(world, *, hours_ago: float, stored_file: str = "", **fields) -> ImportJob:
    return ImportJobFactory(
        municipality=world.sundsvall,
        kind=fields.pop("kind", ImportJob.Kind.TABULAR),
        state=fields.pop("state", ImportJob.State.FAILED),
        file_name=fields.pop("file_name", "handelser.csv"),
        stored_file=stored_file,
        updated_ago=timedelta(hours=hours_ago),
        **fields,
    )


def age(path: Path, hours: float) -> None:
    t = (timezone.now() - timedelta(hours=hours)).timestamp()
    os.utime(path, (t, t))


# --- permissions ----------------------------------------------------------------------------
def test_uploads_are_0600_in_0700_directories_even_with_umask_022(
    world, en, disk, settings, umask_022
):
    # a CSV upload read into memory, and a police file spooled to a temporary file and moved
    response = upload(en("analyst"), csv_bytes([row()]))
    assert response.status_code == 302
    job = ImportJob.objects.get(kind="tabular")
    path = disk / job.stored_file
    assert path.is_file() and mode(path) == 0o600
    for d in (disk, disk / "imports", disk / "imports" / "2281"):
        assert mode(d) == 0o700, d
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    police = SimpleUploadedFile("h.jsonl", SAMPLE.read_bytes())
    with mock.patch("brygga.incidents.views.police.run_police_import"):
        response = en("coordinator").post(
            reverse("incidents:police_upload", kwargs={"code": "2281"}), {"file": police}
        )
    assert response.status_code == 302
    job = ImportJob.objects.get(kind="police")
    assert mode(disk / job.stored_file) == 0o600
    assert mode(disk / "imports" / "police") == 0o700


def test_without_media_root_uploads_go_to_var_uploads_with_the_same_modes(
    settings, tmp_path, umask_022
):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": FS}}
    settings.MEDIA_ROOT = ""
    settings.VAR_DIR = tmp_path / "var"
    # the storage keeps its modes even if the settings were loosened
    settings.FILE_UPLOAD_PERMISSIONS = 0o644
    settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o755
    name = storage.save_upload("imports/2281/x.csv", ContentFile(b"a;b\n"))
    path = tmp_path / "var" / "uploads" / name
    assert path.is_file() and mode(path) == 0o600
    assert mode(tmp_path / "var" / "uploads") == 0o700
    assert mode(tmp_path / "var" / "uploads" / "imports" / "2281") == 0o700


def test_directories_left_open_by_an_older_version_are_closed(disk, umask_022):
    old = disk / "imports" / "2281"
    old.mkdir(parents=True)
    os.chmod(disk / "imports", 0o755)  # noqa: S103 (as an older version left it)
    os.chmod(old, 0o755)  # noqa: S103
    storage.save_upload("imports/2281/y.csv", ContentFile(b"a;b\n"))
    assert mode(disk / "imports") == mode(old) == 0o700


def test_temporary_files_holding_rows_are_0600(world, en, umask_022, monkeypatch):
    """The spool of checked rows (CSV/Excel import) and the on-disk part of an Excel export."""
    seen = []
    real_temporary, real_spooled = tempfile.TemporaryFile, tempfile.SpooledTemporaryFile

    def temporary(*args, **kwargs):
        f = real_temporary(*args, **kwargs)
        seen.append(("spool", mode(f.fileno())))
        return f

    def spooled(*args, **kwargs):
        kwargs["max_size"] = 1  # on disk at the first write, as a large export would be
        f = real_spooled(*args, **kwargs)
        seen.append(("xlsx", f))
        return f

    monkeypatch.setattr(tabular_importer.tempfile, "TemporaryFile", temporary)
    c = en("analyst")
    upload(c, csv_bytes([row()]))
    start(c, ImportJob.objects.get())
    assert Incident.objects.count() == 1
    monkeypatch.setattr(exports.tempfile, "SpooledTemporaryFile", spooled)
    response = exports.response(Incident.objects.all(), "xlsx", "x.xlsx")
    [spool] = [f for kind, f in seen if kind == "xlsx"]
    assert spool._rolled and mode(spool.fileno()) == 0o600
    response.close()
    assert ("spool", 0o600) in seen


def test_the_errors_csv_of_the_command_is_0600(world, profile, tmp_path, umask_022):
    """`brygga import-incidents --errors-csv` quotes cell values, which may be personal data."""
    path = tmp_path / "falt.csv"
    path.write_bytes(csv_bytes([row(), row("A2", when="2024-02-30")]))
    errors = tmp_path / "fel.csv"
    with pytest.raises(CommandError):
        command(path, "--profile", "Fältrapporter", "--errors-csv", str(errors))
    assert "falt.csv;3;Tidpunkt;" in errors.read_text(encoding="utf-8-sig")
    assert mode(errors) == 0o600
    os.chmod(errors, 0o644)  # a file left by an earlier run is closed when it is rewritten
    with pytest.raises(CommandError):
        command(path, "--profile", "Fältrapporter", "--errors-csv", str(errors))
    assert mode(errors) == 0o600


# --- retention ------------------------------------------------------------------------------
def test_purge_removes_exactly_the_expired_files_and_keeps_the_jobs(world, disk):
    expired = make_job(
        world,
        hours_ago=25,
        stored_file=stored("imports/2281/old.csv"),
        error_count=2,
        total_rows=3,
        message="2 errors",
    )
    fresh = make_job(world, hours_ago=23, stored_file=stored("imports/2281/new.csv"))
    police = make_job(
        world,
        hours_ago=30,
        kind="police",
        state="pending",
        stored_file=stored("imports/police/p.jsonl"),
    )
    make_job(world, hours_ago=100)  # no file: nothing to do
    orphan_old = disk / stored("imports/2281/orphan-old.csv")
    orphan_new = disk / stored("imports/2281/orphan-new.csv")
    age(orphan_old, 25)
    age(disk / fresh.stored_file, 30)  # a file's own age does not matter while its job lives

    assert storage.purge_expired_uploads() == 3
    left = {p.relative_to(disk).as_posix() for p in disk.rglob("*") if p.is_file()}
    assert left == {fresh.stored_file, orphan_new.relative_to(disk).as_posix()}
    expired.refresh_from_db()
    assert expired.stored_file == "" and expired.options["upload_expired_hours"] == 24
    assert (expired.state, expired.error_count, expired.total_rows, expired.message) == (
        "failed",
        2,
        3,
        "2 errors",
    ), "the job keeps its state and counts"
    police.refresh_from_db()
    assert police.stored_file == "" and police.state == "pending"
    fresh.refresh_from_db()
    assert fresh.stored_file and "upload_expired_hours" not in fresh.options
    assert storage.purge_expired_uploads() == 0


def test_the_retention_is_a_setting(world, disk, settings):
    settings.BRYGGA_UPLOAD_RETENTION_HOURS = 2
    job = make_job(world, hours_ago=3, stored_file=stored(f"imports/2281/{uuid.uuid4().hex}.csv"))
    assert storage.purge_expired_uploads() == 1
    job.refresh_from_db()
    assert job.stored_file == "" and job.options["upload_expired_hours"] == 2


def test_purge_runs_on_upload_and_when_the_worker_starts(world, en, disk, settings):
    from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

    first = make_job(world, hours_ago=25, stored_file=stored("imports/2281/a.csv"))
    upload(en("analyst"), csv_bytes([row()]))
    first.refresh_from_db()
    assert first.stored_file == "" and not (disk / "imports/2281/a.csv").exists()
    second = make_job(world, hours_ago=25, stored_file=stored("imports/police/b.jsonl"))
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with mock.patch.object(DbWorkerCommand, "handle", return_value=None):
        call_command("worker", "--batch", stdout=io.StringIO())
    second.refresh_from_db()
    assert second.stored_file == "" and not (disk / "imports/police/b.jsonl").exists()


def test_purge_files_command_says_how_many_were_removed(world, disk):
    for name in ("imports/2281/c.csv", "imports/2281/d.xlsx"):
        make_job(world, hours_ago=48, stored_file=stored(name))
    kept = make_job(world, hours_ago=1, stored_file=stored("imports/2281/e.csv"))
    out = io.StringIO()
    call_command("import-jobs", "--purge-files", stdout=out)
    assert out.getvalue().strip() == "2 uploaded files removed (retention time 24 h)."
    assert (disk / kept.stored_file).exists()
    out = io.StringIO()
    call_command("import-jobs", "--purge-files", stdout=out)
    assert out.getvalue().strip() == "0 uploaded files removed (retention time 24 h)."


# --- what ends a file's life, and what the page says -----------------------------------------
def test_failed_validation_keeps_the_file_and_the_page_says_until_when(world, en):
    c = en("analyst")
    upload(c, csv_bytes([row(), row("A2", when="2024-02-30")]))
    job = ImportJob.objects.get()
    start(c, job)
    job.refresh_from_db()
    assert job.state == "failed" and job.error_count == 1 and job.stored_file
    assert upload_storage().exists(job.stored_file)
    until = timezone.localtime(job.updated_at + timedelta(hours=24))
    html = c.get(f"{BASE}{job.pk}/").content.decode()
    with translation.override("en"):
        when = date_format(until, "j F H:i")
    assert f"The file is kept until {when}. After that it is removed" in html, html[-3000:]
    assert 'value="valid_only"' in html
    with translation.override("sv"):
        swedish_month = date_format(until, "F")
    c.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "sv"
    assert (
        f"{until.day} {swedish_month} {until:%H:%M}" in c.get(f"{BASE}{job.pk}/").content.decode()
    )


def test_after_the_purge_the_page_asks_for_a_new_upload(world, en, disk):
    c = en("analyst")
    upload(c, csv_bytes([row(), row("A2", when="2024-02-30")]))
    job = ImportJob.objects.get()
    start(c, job)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=25))
    assert storage.purge_expired_uploads() == 1
    html = c.get(f"{BASE}{job.pk}/").content.decode()
    assert (
        "The uploaded file was removed after 24 hours without changes. "
        "Upload it again to import it." in html
    )
    assert 'value="valid_only"' not in html and f"{BASE}{job.pk}/kolumner/" not in html
    assert "The file is kept until" not in html
    # an upload whose columns were never chosen: its page explains instead of redirecting
    upload(c, csv_bytes([row()]), name="ny.csv")
    pending = ImportJob.objects.get(file_name="ny.csv")
    ImportJob.objects.filter(pk=pending.pk).update(updated_at=timezone.now() - timedelta(hours=25))
    storage.purge_expired_uploads()
    response = c.get(f"{BASE}{pending.pk}/kolumner/", follow=True)
    assert response.redirect_chain == [(f"{BASE}{pending.pk}/", 302)]
    assert "Upload it again to import it." in response.content.decode()


def test_a_tabular_job_failing_on_an_error_removes_its_file(world, en):
    c = en("analyst")
    upload(c, csv_bytes([row()]))
    job = ImportJob.objects.get()
    name = job.stored_file
    with mock.patch.object(tabular, "run_import", side_effect=RuntimeError("boom")):
        start(c, job)
    job.refresh_from_db()
    assert job.state == "failed" and "unexpected error" in job.message
    assert job.stored_file == "" and not upload_storage().exists(name)
    html = c.get(f"{BASE}{job.pk}/").content.decode()
    assert "The file is kept until" not in html and "removed after" not in html


def test_a_police_job_that_fails_removes_its_file(world, client_for):
    c = client_for("coordinator")
    bad = SimpleUploadedFile("trasig.jsonl", b'{"id": 1}\nnot json\n')
    with mock.patch("brygga.incidents.views.police.run_police_import"):
        c.post(reverse("incidents:police_upload", kwargs={"code": "2281"}), {"file": bad})
    job = ImportJob.objects.get(kind="police")
    name = job.stored_file
    assert upload_storage().exists(name)
    from brygga.incidents.imports.tasks import run_police_import

    assert run_police_import.call(job.pk)["state"] == "failed"
    job.refresh_from_db()
    assert job.stored_file == "" and not upload_storage().exists(name)


def test_a_police_job_whose_file_was_purged_fails_with_a_clear_message(world, disk):
    from brygga.incidents.imports.tasks import run_police_import

    job = make_job(
        world,
        hours_ago=25,
        kind="police",
        state="pending",
        file_name="h.jsonl",
        stored_file=stored("imports/police/gone.jsonl"),
        options={"language": "en"},
    )
    storage.purge_expired_uploads()
    assert run_police_import.call(job.pk)["state"] == "failed"
    job.refresh_from_db()
    assert job.message == "h.jsonl: the uploaded file is no longer stored. Upload it again."
