"""The police events pages in a real browser: upload → job page (with live status), the
summary per police type, and the mapping page with an edit; axe-core checks every page."""

import json
from pathlib import Path

import pytest

from brygga.incidents.imports.police import import_records
from brygga.incidents.models import Category, ImportJob, Incident, PoliceTypeMapping

from ..incidents.factories import ImportJobFactory, stored_events

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/handelser/polisen"
SAMPLE = Path(__file__).resolve().parents[1] / "incidents" / "fixtures" / "police_sample.jsonl"
LOCAL = ("Sundsvall", "Västernorrlands län", "Timrå")


def place_of(r: dict) -> str:
    """Where the import puts an event, counted straight from the record: ``location.name``; for
    a county there, the municipality named at the end of the title if there is one (the 2026
    live API). Over the 2022–2024 archive this is exactly ``location.name``."""
    loc = r["location"]["name"]
    tail = r["name"].rsplit(",", 1)[-1].strip()
    return tail if loc.endswith(" län") and not tail.endswith(" län") else loc


def local_records() -> list[dict]:
    with open(SAMPLE, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    return [r for r in records if place_of(r) in LOCAL]


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def submit_upload(s, path: Path) -> None:
    s.page.set_input_files("#id_file", str(path))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/importer/*/")
    s.check()


def test_upload_job_summary_and_mapping_pages(session_for, world, tmp_path):
    records = local_records()
    # county-level events come from the installation-wide feed only (issue #10); a
    # municipality's upload brings its own events
    feed = [r for r in records if place_of(r) == "Västernorrlands län"]
    import_records(feed, file_name="flöde.jsonl")
    expected = sum(1 for r in records if place_of(r) == "Sundsvall")
    s = session_for("coordinator")
    s.goto(f"{BASE}/")
    s.goto(f"{BASE}/importera/")
    submit_upload(s, write_jsonl(tmp_path / "polisen.jsonl", records))
    assert s.page.locator('[data-count="created"]').inner_text() == str(expected)
    assert stored_events() == expected + len(feed)
    s.goto(f"{BASE}/")
    assert s.page.locator("#police-types tbody tr").count() > 5
    assert s.page.locator("#police-summaries tbody tr").count() >= 1
    s.goto(f"{BASE}/?ar=2023")
    s.goto(f"{BASE}/typer/")
    assert s.page.locator("#police-mappings tbody tr").count() == PoliceTypeMapping.objects.count()
    s.goto(f"{BASE}/importera/")  # now with the job in the list

    # a faulty file: nothing imported, the problems listed
    bad = [dict(r) for r in records[:5]]
    bad[2]["datetime"] = "i morgon"
    submit_upload(s, write_jsonl(tmp_path / "fel.jsonl", bad))
    assert s.page.locator("#police-import-errors tbody tr").count() == 1
    assert "datetime" in s.page.locator("#police-import-errors").inner_text()
    # the form refuses another file type
    s.goto(f"{BASE}/importera/")
    csv = tmp_path / "tabell.csv"
    csv.write_text("a;b\n1;2\n", "utf-8")
    s.page.set_input_files("#id_file", str(csv))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_load_state("load")
    s.check()
    assert "tabell.csv" in s.page.locator(".field-error").inner_text()


def test_job_page_follows_a_running_job(session_for, world):
    job = ImportJobFactory(
        municipality=world.sundsvall,
        kind=ImportJob.Kind.POLICE,
        file_name="pågår.jsonl",
        state=ImportJob.State.RUNNING,
        total_rows=100,
        processed_rows=30,
        progress=30,
    )
    s = session_for("analyst")
    s.goto(f"{BASE}/importer/{job.pk}/")
    assert s.page.locator("#police-job-status progress").get_attribute("value") == "30"
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=100, progress=100)
    s.page.wait_for_selector("#police-job-status progress:not([value])", timeout=5000)
    s.check()
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.DONE, created_count=100, options={"result": {"records": 100}}
    )
    s.page.wait_for_selector('#police-job-status[data-state="done"]', timeout=5000)
    s.check()
    assert s.page.locator('[data-count="created"]').inner_text() == "100"


def test_system_admin_maps_a_type(session_for, world, tmp_path):
    records = local_records()[:40]
    records[0] = {**records[0], "type": "Ny polistyp"}
    s = session_for("system_admin")
    s.goto(f"{BASE}/importera/")
    submit_upload(s, write_jsonl(tmp_path / "ny.jsonl", records))
    s.goto(f"{BASE}/typer/")
    rows = s.page.locator("#police-mappings tbody tr")
    unreviewed = PoliceTypeMapping.objects.filter(reviewed=False).count()
    assert "Ny polistyp" in [rows.nth(i).get_attribute("data-type") for i in range(unreviewed)], (
        "unreviewed types come first"
    )
    s.page.locator('#police-mappings tr[data-type="Ny polistyp"] a').click()
    s.page.wait_for_url(f"**{BASE}/typer/*/")
    s.check()
    target = Category.objects.get(code="ordningsstorning", municipality__isnull=True)
    s.page.select_option("#id_category", str(target.pk))
    s.page.click("main form button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/typer/")
    s.check()
    assert Incident.objects.get(source_type="Ny polistyp").category == target
    assert PoliceTypeMapping.objects.get(police_type="Ny polistyp").reviewed
