"""The CSV/Excel import pages (upload → mapping → result), the background task and the
`brygga import-incidents` command."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import translation

from brygga.audit.models import AuditEvent
from brygga.incidents.imports.storage import upload_storage
from brygga.incidents.models import ImportJob, ImportProfile, Incident

from .factories import HEADER, P2, ImportJobFactory, ImportProfileFactory, csv_bytes, row, xlsx
from .importing import BASE, command, start, upload

pytestmark = pytest.mark.usefixtures("default_categories")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def en(client_for):
    """A signed-in client that chose English with the language switch (messages are English
    msgids, so the tests do not depend on the Swedish catalogue)."""

    def make(actor: str):
        c = client_for(actor)
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return c

    return make


def test_upload_mapping_and_result(world, en):
    c = en("analyst")
    assert c.get(BASE).status_code == 200
    assert c.get(f"{BASE}ny/").status_code == 200
    data = csv_bytes(
        [row(text="Tags på vägg"), row("A2", cat="Krossad ruta", point=P2)], encoding="cp1252"
    )
    response = upload(c, data)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{BASE}{job.pk}/kolumner/"
    assert job.created_by == world.users["analyst"] and job.state == "pending"
    page = c.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-detected="encoding">Windows-1252<' in html
    assert 'data-detected="header"' in html
    assert 'id="preview"' in html and "Krossad ruta" in html
    # the guessed mapping is preselected; the category values are matched
    assert '<option value="Tidpunkt" selected>' in html
    assert '<option value="skadegorelse-fonster" selected>' in html
    # the reporting organisation is preselected when the user has exactly one
    assert f'<option value="{world.orgs["police"].pk}" selected>' in html
    stored = job.stored_file
    assert upload_storage().exists(stored)
    response = start(c, job, organisation=world.orgs["police"].pk)
    assert response.status_code == 302 and response["Location"] == f"{BASE}{job.pk}/"
    job.refresh_from_db()
    assert job.state == "done" and job.created_count == 2 and job.options["started"]
    # the file is removed (the in-memory test storage may hold other tests' kept files)
    assert job.stored_file == "" and not upload_storage().exists(stored)
    assert set(Incident.objects.values_list("reporting_organisation", flat=True)) == {
        world.orgs["police"].pk
    }
    html = c.get(response["Location"]).content.decode()
    assert 'data-count="created">2<' in html
    assert AuditEvent.objects.filter(event_type="incident_import").count() == 1
    # the mapping page of a finished import leads to the result
    assert c.get(f"{BASE}{job.pk}/kolumner/")["Location"] == f"{BASE}{job.pk}/"


@override_settings(BRYGGA_IMPORT_MAX_MB=0.001)
def test_upload_over_the_size_limit_is_refused(world, en):
    c = en("coordinator")
    data = csv_bytes([row(f"A{i}") for i in range(40)])
    response = upload(c, data, name="stor.csv")
    assert response.status_code == 400
    assert "stor.csv" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"", "tom.csv"),
        ("Id;Tid\n1;2\n".encode("utf-16"), "utf16.csv"),
        (b"PK\x03\x04 trasig", "trasig.xlsx"),
        (b"\x00\x01\x02\x03" * 50, "binar.csv"),
    ],
)
def test_unreadable_uploads_get_a_message_naming_the_file(world, en, data, name):
    response = upload(en("analyst"), data, name=name)
    assert response.status_code == 400
    assert name in response.content.decode()
    assert not ImportJob.objects.exists()


def test_mapping_problems_are_shown(world, en):
    c = en("analyst")
    upload(c, csv_bytes([row()]))
    job = ImportJob.objects.get()
    response = start(c, job, col_occurred_at="", col_lat="")
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="form-errors"') == 1 and "time or the date" in html
    job.refresh_from_db()
    assert not job.options.get("started")


def test_failed_import_lists_errors_offers_csv_and_valid_rows(world, en):
    c = en("analyst")
    data = csv_bytes([row(), row("A2", when="2024-02-30"), row("A3", cat="Okänt")])
    upload(c, data, name="fel.csv")
    job = ImportJob.objects.get()
    start(c, job)
    job.refresh_from_db()
    assert job.state == "failed" and job.error_count == 2 and job.stored_file
    html = c.get(f"{BASE}{job.pk}/").content.decode()
    assert 'id="import-errors"' in html and "Tidpunkt" in html and "Kategori" in html
    assert "fel.csv" in html and 'value="valid_only"' in html
    csv = c.get(f"{BASE}{job.pk}/fel.csv")
    assert csv["Content-Type"].startswith("text/csv")
    body = b"".join(csv.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and body.count("\r\n") == 3
    assert "fel.csv;3;Tidpunkt;" in body and "fel.csv;4;Kategori;" in body
    # import the valid rows without uploading again
    response = c.post(f"{BASE}{job.pk}/", {"action": "valid_only"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "done" and job.created_count == 1 and job.options["valid_only"]
    assert Incident.objects.get().source_id == "A1"


def test_change_the_mapping_after_a_failure(world, en):
    c = en("coordinator")
    upload(c, csv_bytes([row(cat="Tags"), row("A2", cat="Tags")]))
    job = ImportJob.objects.get()
    start(c, job)
    job.refresh_from_db()
    assert job.state == "failed" and job.error_count == 2
    html = c.get(f"{BASE}{job.pk}/kolumner/").content.decode()
    assert 'id="category-mapping"' in html and "Tags" in html
    response = start(c, job, cat_0="klotter")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "done" and job.created_count == 2 and job.errors == []


def test_changing_the_category_column_refreshes_the_values(world, en):
    c = en("analyst")
    upload(c, csv_bytes([row(text="klotter")]))
    job = ImportJob.objects.get()
    response = start(c, job, col_category="Beskrivning", col_description="")
    assert response.status_code == 200  # shown again with the new values, not started
    html = response.content.decode()
    assert 'name="category_column" value="Beskrivning"' in html
    assert 'class="form-errors"' not in html
    job.refresh_from_db()
    assert not job.options.get("started")


def test_save_and_reuse_a_profile(world, en):
    c = en("analyst")
    upload(c, csv_bytes([row(cat="Tags")]))
    job = ImportJob.objects.get()
    start(c, job, cat_0="klotter", save_profile="on", profile_name="Systemet X", valid_only="on")
    profile = ImportProfile.objects.get()
    assert profile.name == "Systemet X" and profile.municipality == world.sundsvall
    assert profile.mapping["columns"]["occurred_at"] == "Tidpunkt"
    assert profile.mapping["categories"] == {"tags": "klotter"}
    # a later export with the columns in another order and a new id
    header = ["Beskrivning", "Kategori", "Lon", "Lat", "Tidpunkt", "Id"]
    later = csv_bytes([["", "Tags", "17,3069", "62,3908", "2024-04-01 10:00", "B7"]], header=header)
    upload(c, later, name="april.csv", profile=profile.pk)
    job2 = ImportJob.objects.latest("pk")
    assert job2.profile == profile
    html = c.get(f"{BASE}{job2.pk}/kolumner/").content.decode()
    assert '<option value="Tidpunkt" selected>' in html
    assert '<option value="klotter" selected>' in html
    response = start(
        c,
        job2,
        col_occurred_at="Tidpunkt",
        cat_0="klotter",
        save_profile="on",
        profile_name="Systemet X",
    )
    assert response.status_code == 302  # same name as the job's profile: updated
    job2.refresh_from_db()
    assert job2.created_count == 1
    # another job may not take an existing name
    upload(c, later, name="maj.csv")
    job3 = ImportJob.objects.latest("pk")
    response = start(c, job3, save_profile="on", profile_name="systemet x", cat_0="klotter")
    assert response.status_code == 400 and "already a profile" in response.content.decode()
    assert ImportProfile.objects.count() == 1
    # list and remove
    assert "Systemet X" in c.get(f"{BASE}profiler/").content.decode()
    assert c.get(f"{BASE}profiler/{profile.pk}/ta-bort/").status_code == 200
    assert c.post(f"{BASE}profiler/{profile.pk}/ta-bort/").status_code == 302
    assert not ImportProfile.objects.exists()


def test_profile_with_a_missing_column_is_flagged(world, en):
    c = en("analyst")
    profile = ImportProfileFactory(
        municipality=world.sundsvall,
        name="Gammal",
        mapping={"columns": {"occurred_at": "Datum och tid", "category": "Kategori"}},
    )
    upload(c, csv_bytes([row()]), profile=profile.pk)
    job = ImportJob.objects.get()
    html = c.get(f"{BASE}{job.pk}/kolumner/").content.decode()
    assert "Datum och tid" in html and 'role="alert"' in html


def test_xlsx_sheet_choice(world, en):
    data = xlsx(
        {
            "Info": [["Export"]],
            "Data": [HEADER, ["X1", "2024-03-05", "Klotter", 62.39, 17.30, ""]],
        }
    )
    c = en("analyst")
    upload(c, data, name="bok.xlsx")
    job = ImportJob.objects.get()
    html = c.get(f"{BASE}{job.pk}/kolumner/").content.decode()
    assert 'name="sheet"' in html and "2 sheets" in html
    response = start(c, job, sheet="Data", action="refresh")
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.options["detected"]["sheet"] == "Data"
    assert "X1" in response.content.decode()
    response = start(c, job, sheet="Data")
    job.refresh_from_db()
    assert job.state == "done" and job.created_count == 1


def test_progress_partial(world, en):
    c = en("analyst")
    upload(c, csv_bytes([row()]))
    job = ImportJob.objects.get()
    start(c, job)
    response = c.get(f"{BASE}{job.pk}/status/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    ImportJob.objects.filter(pk=job.pk).update(state="running", progress=40, processed_rows=123)
    response = c.get(f"{BASE}{job.pk}/status/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "HX-Refresh" not in response and 'hx-trigger="every 1s"' in html
    assert 'value="40"' in html and "123" in html


def test_task_without_the_stored_file_fails_cleanly(world, en):
    from brygga.incidents.imports.tasks import run_tabular_import

    c = en("analyst")
    upload(c, csv_bytes([row()]))
    job = ImportJob.objects.get()
    upload_storage().delete(job.stored_file)
    ImportJob.objects.filter(pk=job.pk).update(
        options={**job.options, "started": True, "mapping": {"columns": {}}, "language": "en"}
    )
    run_tabular_import.call(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and "no longer stored" in job.message
    assert run_tabular_import.call(job.pk) == {"skipped": True}


def test_other_municipalities_jobs_are_not_found(world, en):
    job = ImportJobFactory(municipality=world.timra, kind="tabular", file_name="t.csv")
    assert en("system_admin").get(f"{BASE}{job.pk}/").status_code == 404


# --- the command (the fixture ``profile`` is in conftest.py) ----------------------------------
def test_command_imports_and_reimports(world, profile, tmp_path):
    path = tmp_path / "falt.csv"
    path.write_bytes(csv_bytes([row(), row("A2", point=P2)]))
    out, _ = command(path, "--profile", "Fältrapporter", "--organisation", "Mitthem")
    assert "2 incidents imported" in out
    assert Incident.objects.filter(reporting_organisation=world.orgs["housing"]).count() == 2
    out, _ = command(path, "--profile", "Fältrapporter")
    assert "0 incidents imported, 2 already imported" in out
    assert ImportJob.objects.filter(profile=profile, state="done").count() == 2
    assert (
        AuditEvent.objects.get(event_type="incident_import", changes__created=2).actor_label
        == "brygga import-incidents"
    )


def test_command_errors_exit_non_zero_and_name_file_row_column(world, profile, tmp_path):
    path = tmp_path / "falt.csv"
    path.write_bytes(csv_bytes([row(), row("A2", when="2024-02-30")]))
    errors = tmp_path / "fel.csv"
    with pytest.raises(CommandError) as exc:
        command(path, "--profile", "Fältrapporter", "--errors-csv", str(errors))
    assert exc.value.returncode == 1 and "Nothing was imported" in str(exc.value)
    assert not Incident.objects.exists()
    assert "falt.csv;3;Tidpunkt;" in errors.read_text(encoding="utf-8-sig")
    with pytest.raises(CommandError) as exc:
        command(path, "--profile", "Fältrapporter", "--valid-only")
    assert exc.value.returncode == 2
    assert Incident.objects.count() == 1


def test_command_reports_bad_arguments(world, profile, tmp_path):
    path = tmp_path / "falt.csv"
    path.write_bytes(csv_bytes([row()]))
    with pytest.raises(CommandError, match="Fältrapporter"):
        command(path, "--profile", "Saknas")
    with pytest.raises(CommandError, match="no such file"):
        command(tmp_path / "saknas.csv", "--profile", "Fältrapporter")
    with pytest.raises(CommandError, match="Okänd org"):
        command(path, "--profile", "Fältrapporter", "--organisation", "Okänd org")
    empty = tmp_path / "tom.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="tom.csv"):
        command(empty, "--profile", "Fältrapporter")
    renamed = tmp_path / "annan.csv"
    renamed.write_bytes(csv_bytes([row()], header=["Id", "Tid", "Kategori", "Lat", "Lon", "B"]))
    with pytest.raises(CommandError, match="annan.csv.*Tidpunkt"):
        command(renamed, "--profile", "Fältrapporter")
