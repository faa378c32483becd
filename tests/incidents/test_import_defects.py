"""Defects of the CSV/Excel import found with hostile files (issue #13, item 5). Each test
failed before its fix. Messages are English msgids here."""

from __future__ import annotations

import io
import os
import signal

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from brygga.audit.models import AuditEvent
from brygga.incidents.imports.tabular import importer as tabular_importer
from brygga.incidents.imports.tabular import validate as tabular_validate
from brygga.incidents.models import Category, ImportJob, Incident

from .factories import csv_bytes, row
from .importing import command

pytestmark = pytest.mark.usefixtures("default_categories")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_a_last_row_cut_off_without_a_line_end_is_an_error(world, profile, tmp_path):
    """Regression: a CSV cut off in its last value (no final line end) was imported silently,
    with the shortened value."""
    whole = csv_bytes([row("A1"), row("A2", text="Klotter på busskuren vid torget")])
    path = tmp_path / "avklippt.csv"
    path.write_bytes(whole[:-12])  # "…busskuren v", no line end
    with pytest.raises(CommandError) as exc:
        command(path, "--profile", "Fältrapporter", "--errors-csv", str(tmp_path / "fel.csv"))
    assert "Nothing was imported" in str(exc.value)
    errors = (tmp_path / "fel.csv").read_text("utf-8-sig")
    assert 'avklippt.csv;3;;"The last row ends without a line end' in errors
    assert not Incident.objects.exists()
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED and job.errors[0]["row"] == 3
    # the same file with its line end is complete and imported
    path.write_bytes(whole)
    out, _ = command(path, "--profile", "Fältrapporter")
    assert "2 incidents imported" in out


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_command_marks_its_job_failed(world, profile, tmp_path, monkeypatch, how):
    """Regression: Ctrl-C or SIGTERM during `import-incidents` left the job "running" for ever
    (and SIGTERM killed the process without a word)."""
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes([row("A1"), row("A2")]))

    def interrupted(self, spool):
        assert ImportJob.objects.get().state == ImportJob.State.RUNNING
        if how == "ctrl-c":
            raise KeyboardInterrupt
        # without a handler SIGTERM would end the test run: fail instead
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(tabular_importer.Importer, "write", interrupted)
    with pytest.raises(CommandError) as exc:
        command(path, "--profile", "Fältrapporter")
    assert "f.csv: the import was interrupted" in str(exc.value)
    assert exc.value.returncode != 0
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED
    assert "kommandot avbröts" in job.message  # the job's language: Swedish
    assert AuditEvent.objects.filter(event_type="import_interrupted").exists()
    assert not Incident.objects.exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back afterwards


def test_a_changed_row_imported_before_is_a_conflict_not_unchanged(world, profile, tmp_path):
    """Regression: a row whose id was imported before but whose content differs was reported
    as unchanged."""
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes([row("A1"), row("A2")]))
    command(path, "--profile", "Fältrapporter")
    path.write_bytes(csv_bytes([row("A1", cat="Skadegörelse"), row("A2")]))
    out, err = command(path, "--profile", "Fältrapporter")
    assert "0 incidents imported, 1 already imported before (unchanged)" in out
    assert "1 rows have an id imported before but other content (conflicts)" in out
    assert "f.csv, row 2: the id “A1” was imported before with other content (category)" in err
    assert "--on-conflict update" in err
    a1 = Incident.objects.get(source_id="A1")
    assert a1.category.code == "klotter"
    out, err = command(path, "--profile", "Fältrapporter", "--on-conflict", "update")
    assert "1 incidents imported before were updated" in out
    a1.refresh_from_db()
    assert a1.category.code == "skadegorelse"
    history = AuditEvent.objects.filter(
        object_type="incidents.incident", object_id=str(a1.pk), kind="update"
    ).get()
    assert history.actor_label == "brygga import-incidents"
    klotter = Category.objects.get(municipality=None, code="klotter")
    assert history.changes["category_id"] == [klotter.pk, a1.category_id]


def test_the_command_says_when_the_errors_csv_is_cut_short(world, profile, tmp_path, monkeypatch):
    """Regression: the error CSV stopped at 10,000 rows without the command saying so."""
    monkeypatch.setattr(tabular_validate, "MAX_STORED_ERRORS", 5)
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes([row(f"A{i}", cat="Okänd") for i in range(30)]))
    errors = tmp_path / "fel.csv"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import-incidents",
            str(path),
            "--municipality",
            "2281",
            "--profile",
            "Fältrapporter",
            "--errors-csv",
            str(errors),
            stderr=err,
            stdout=io.StringIO(),
        )
    assert len(errors.read_text("utf-8-sig").splitlines()) == 1 + 5
    assert f"30 errors in total; only the first 5 were written to {errors}" in err.getvalue()
