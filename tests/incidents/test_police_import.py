"""The police events import: formats, dedupe, places, times, types, summaries and bad input.

The fixture ``fixtures/police_sample.jsonl`` holds 322 real, unmodified records picked from the
police events archive (2022-09 … 2024-12) and one live API response (2026-08-22), both from
github.com/dnouri/polisen-se-events-history (see /work/shared/data/PROVENANCE.md when building
it): every police type seen in Sundsvall, Västernorrlands län with its night summaries, Timrå,
summaries placed in a municipality, every type missing from the shipped mapping, place names
written differently from the official ones ("Upplands-bro"), an event published after New Year,
times written "17.59", and a random spread of the country.
"""

from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from brygga.audit.models import AuditEvent
from brygga.core.models import County, Municipality
from brygga.incidents.imports import police
from brygga.incidents.imports.police import (
    POLICE_TZ,
    PoliceImportError,
    event_time,
    import_records,
    parse_police_datetime,
    read_police_file,
)
from brygga.incidents.models import Category, Incident, PoliceTypeMapping, Source

from .factories import ImportJobFactory, stored_events

SAMPLE = Path(__file__).parent / "fixtures" / "police_sample.jsonl"


def sample() -> list[dict]:
    with open(SAMPLE, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def place_of(r: dict) -> str:
    """Where the import puts an event, counted straight from the record: ``location.name``; for
    a county there, the municipality named at the end of the title if there is one (the 2026
    live API). Over the 2022–2024 archive this is exactly ``location.name``."""
    loc = r["location"]["name"]
    tail = r["name"].rsplit(",", 1)[-1].strip()
    return tail if loc.endswith(" län") and not tail.endswith(" län") else loc


def write(tmp_path, name: str, content) -> Path:
    path = tmp_path / name
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    if name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def jsonl(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def record_line(text: str, record_id) -> int:
    """The line where the record with ``record_id`` starts in a pretty-printed JSON list."""
    brace = text.rfind("{", 0, text.index(f'"id": {record_id}'))
    return text.count("\n", 0, brace) + 1


def run(path: Path):
    return import_records(read_police_file(path, path.name), file_name=path.name)


def fails(path: Path) -> PoliceImportError:
    with translation.override("en"), pytest.raises(PoliceImportError) as info:
        run(path)
    assert not Incident.objects.filter(source=Source.POLICE).exists(), "nothing half-written"
    return info.value


# --- formats and dedupe ---------------------------------------------------------------------
def test_sample_is_real_and_varied():
    records = sample()
    assert 250 <= len(records) <= 400
    places = Counter(place_of(r) for r in records)
    assert places["Sundsvall"] >= 50 and places["Västernorrlands län"] >= 20
    assert any(r["type"].startswith("Sammanfattning") for r in records)


def test_import_and_second_run_adds_nothing(db, tmp_path):
    path = write(tmp_path, "police_sample.jsonl", SAMPLE.read_text(encoding="utf-8"))
    records = sample()
    first = run(path)
    assert first.total == len(records)
    assert first.created == len({r["id"] for r in records}) == stored_events()
    assert first.unchanged == 0
    second = run(path)
    assert second.created == 0
    assert second.unchanged == first.created
    assert stored_events() == first.created
    audit = AuditEvent.objects.filter(event_type="police_import").order_by("seq")
    assert [a.changes["created"] for a in audit] == [first.created, 0]


def test_api_json_jsonl_and_gz_read_the_same(db, tmp_path):
    records = sample()
    api = json.dumps(records, ensure_ascii=False, indent=2)
    variants = [
        write(tmp_path, "events.json", api),
        write(tmp_path, "events.json.gz", api),
        write(tmp_path, "events.jsonl", jsonl(records)),
        write(tmp_path, "events.jsonl.gz", jsonl(records)),
    ]
    read = [list(read_police_file(p, p.name)) for p in variants]
    assert all(r == records for r in read)
    # a file object (as from an upload) works as well
    with open(variants[1], "rb") as fh:
        assert list(read_police_file(fh, "upload.json.gz")) == records
    assert run(variants[0]).created == len(records)
    assert all(run(p).created == 0 for p in variants[1:])


def test_fields_of_an_imported_event(db, tmp_path):
    run(write(tmp_path, "s.jsonl", SAMPLE.read_text(encoding="utf-8")))
    rec = next(r for r in sample() if r["location"]["name"] == "Sundsvall")
    inc = Incident.objects.get(source=Source.POLICE, source_id=str(rec["id"]))
    assert inc.municipality.name == "Sundsvall" and inc.county.name == "Västernorrlands län"
    assert inc.source_url == "https://polisen.se" + rec["url"]
    assert inc.source_type == rec["type"]
    assert inc.description == rec["summary"]
    assert inc.lat is None and inc.lon is None and not inc.has_point
    assert inc.category == PoliceTypeMapping.objects.get(police_type=rec["type"]).category


def test_county_events_attach_to_the_county(db, tmp_path):
    run(write(tmp_path, "s.jsonl", SAMPLE.read_text(encoding="utf-8")))
    n = sum(1 for r in sample() if place_of(r) == "Västernorrlands län")
    county = County.objects.get(name="Västernorrlands län")
    qs = Incident.objects.filter(county=county, county_event=True)
    assert stored_events(qs) == n
    # a copy for every municipality of the county, and only of that county
    n_municipalities = Municipality.objects.filter(county=county).count()
    assert qs.count() == n * n_municipalities
    assert set(qs.values_list("municipality__county", flat=True)) == {county.pk}
    others = Incident.objects.filter(county_event=True).exclude(county=county)
    assert stored_events(others) == sum(1 for r in sample() if place_of(r).endswith(" län")) - n


def test_summaries_are_kept_and_flagged(db, tmp_path):
    result = run(write(tmp_path, "s.jsonl", SAMPLE.read_text(encoding="utf-8")))
    summaries = [r for r in sample() if r["type"].startswith("Sammanfattning")]
    assert summaries
    assert result.summaries == len(summaries)
    flagged = Incident.objects.filter(is_summary=True)
    assert set(flagged.values_list("source_id", flat=True)) == {str(r["id"]) for r in summaries}


def test_unknown_types_are_imported_as_ovrigt_and_listed(db, tmp_path):
    records = sample()[:5]
    records[0] = {**records[0], "type": "Helt ny händelsetyp"}
    records[1] = {**records[1], "type": "Sammanfattning förmiddag"}
    result = run(write(tmp_path, "new.jsonl", jsonl(records)))
    assert result.new_types == ["Helt ny händelsetyp", "Sammanfattning förmiddag"]
    assert set(result.unreviewed_types) >= set(result.new_types)
    ovrigt = Category.objects.get(code="ovrigt", municipality__isnull=True)
    new = PoliceTypeMapping.objects.get(police_type="Helt ny händelsetyp")
    assert new.category == ovrigt and not new.reviewed and not new.is_summary
    assert PoliceTypeMapping.objects.get(police_type="Sammanfattning förmiddag").is_summary
    inc = Incident.objects.get(source_id=str(records[0]["id"]))
    assert inc.category == ovrigt
    assert Incident.objects.get(source_id=str(records[1]["id"])).is_summary
    assert run(write(tmp_path, "new2.jsonl", jsonl(records))).new_types == []


def test_type_with_stray_space_matches_its_mapping(db, tmp_path):
    rec = {**sample()[0], "type": "  Brand  "}
    run(write(tmp_path, "t.jsonl", jsonl([rec])))
    assert Incident.objects.get().source_type == "Brand"
    assert not PoliceTypeMapping.objects.filter(police_type__startswith=" ").exists()


def test_place_names_written_differently_match(db, tmp_path):
    records = [r for r in sample() if r["location"]["name"] in ("Upplands-bro", "Östra göinge")]
    assert len(records) == 2
    run(write(tmp_path, "p.jsonl", jsonl(records)))
    names = set(Incident.objects.values_list("municipality__name", flat=True))
    assert names == {"Upplands-Bro", "Östra Göinge"}


def test_live_api_county_events_go_to_the_municipality_in_the_title(db, tmp_path):
    """The 2026 API names the county in location.name and the municipality only at the end of
    the title: such an event goes to that municipality if it lies in that county."""
    live = [
        r
        for r in sample()
        if r["datetime"].startswith("2026") and r["location"]["name"] == "Västernorrlands län"
    ]
    in_title = [r for r in live if not r["name"].endswith("län")]
    assert in_title, "the sample has live-API events placed by title"
    base = {**in_title[0], "location": {"name": "Västernorrlands län", "gps": "62.6,17.9"}}
    cases = [
        ({**base, "id": 1, "name": "22 augusti 16.01, Brand, Sundsvall"}, "Sundsvall"),
        ({**base, "id": 2, "name": "22 augusti 16.01, Brand, Västernorrlands län"}, None),
        # a municipality of another county in the title: the county stands
        ({**base, "id": 3, "name": "22 augusti 16.01, Brand, Kävlinge"}, None),
        ({**base, "id": 4, "name": "22 augusti 16.01, Brand, Ingenstans"}, None),
    ]
    result = run(write(tmp_path, "live.jsonl", jsonl([c for c, _ in cases])))
    assert result.placed_from_name == 1 and result.county_level == 3
    for record, municipality in cases:
        rows = Incident.objects.filter(source_id=str(record["id"]))
        if municipality is None:  # county-level: one copy per municipality of the county
            assert {(i.county_event, i.county.name) for i in rows} == {
                (True, "Västernorrlands län")
            }
            assert rows.count() == Municipality.objects.filter(county=rows[0].county).count()
        else:
            inc = rows.get()
            assert (inc.municipality.name, inc.county_event) == (municipality, False)
            assert inc.county.name == "Västernorrlands län"


def test_archive_titles_repeat_the_location():
    """In the 2022–2024 archive records the end of the title is the location (so the rule
    above changes nothing there)."""
    old = [r for r in sample() if not r["datetime"].startswith("2026")]
    assert all(place_of(r) == r["location"]["name"] for r in old)


def test_duplicates_inside_a_file_count_once(db, tmp_path):
    records = sample()[:3]
    result = run(write(tmp_path, "d.jsonl", jsonl(records + records[:2])))
    assert (result.created, result.duplicates) == (3, 2)


def test_deleted_event_stays_deleted(db, tmp_path):
    path = write(tmp_path, "d.jsonl", jsonl(sample()[:3]))
    run(path)
    Incident.objects.filter(source_id=str(sample()[0]["id"])).update(
        deleted_at=datetime.now(POLICE_TZ)
    )
    assert run(path).unchanged == 3
    assert Incident.objects.alive().count() == 2


def test_limit_to_one_municipality_and_its_county(db, tmp_path):
    records = sample()
    sundsvall = Municipality.objects.get(code="2281")
    result = import_records(records, file_name="s.jsonl", municipality=sundsvall)
    expected = [r for r in records if place_of(r) in ("Sundsvall", "Västernorrlands län")]
    assert result.created == len(expected) == stored_events()
    assert result.out_of_scope == len(records) - len(expected)


def test_dry_run_saves_nothing(db):
    result = import_records(sample(), file_name="s.jsonl", dry_run=True)
    assert result.created == len(sample()) and result.dry_run
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.filter(event_type="police_import").exists()


def test_progress_is_reported_up_to_the_total(db):
    calls = []
    import_records(sample(), file_name="s.jsonl", progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (len(sample()), len(sample()))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- times ----------------------------------------------------------------------------------
def local(*args) -> datetime:
    return datetime(*args, tzinfo=POLICE_TZ)


@pytest.mark.parametrize(
    ("name", "published", "expected"),
    [
        # the time in the name is the event time
        (
            "26 september 14:21, Mord/dråp, försök, Stockholm",
            "2022-09-26 15:55:23 +02:00",
            local(2022, 9, 26, 14, 21),
        ),
        # written with a dot in the live API
        (
            "22 augusti 17.59, Brand, Kävlinge",
            "2026-08-22 19:51:41 +02:00",
            local(2026, 8, 22, 17, 59),
        ),
        # published after New Year: the event belongs to the year before
        ("31 december 00.07, Brand, Nacka", "2024-01-01 0:40:16 +01:00", local(2023, 12, 31, 0, 7)),
        # the feed's datetime carries the UTC date with the local time (a day early)
        (
            "31 december 23.25, Trafikolycka, Enköping",
            "2023-12-31 0:36:31 +01:00",
            local(2023, 12, 31, 23, 25),
        ),
        # announced before New Year for early January
        (
            "02 januari 08:00, Övrigt, Stockholm",
            "2023-12-29 10:00:00 +01:00",
            local(2024, 1, 2, 8, 0),
        ),
        # summer time
        ("01 juli 03:30, Brand, Sundsvall", "2024-07-01 05:00:00 +02:00", local(2024, 7, 1, 3, 30)),
    ],
)
def test_event_time_from_name(name, published, expected):
    assert event_time(name, parse_police_datetime(published)) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Sammanfattning natt, Västernorrlands län",
        "30 februari 10:00, Brand, Sundsvall",
        "12 mars 10:00, Brand, Sundsvall",
    ],
)
def test_event_time_falls_back_to_datetime(name):
    published = parse_police_datetime("2024-08-01 06:00:00 +02:00")
    assert event_time(name, published) == published


def test_sample_times_are_near_their_publication(db):
    for r in sample():
        published = parse_police_datetime(r["datetime"])
        assert abs((event_time(r["name"], published) - published).total_seconds()) < 10 * 86400


# --- bad input: file, record (line) and field are named; nothing is written -----------------
def test_empty_file(db, tmp_path):
    for name, content in [("empty.json", ""), ("blank.jsonl", "  \n\n"), ("empty.json.gz", "")]:
        err = fails(write(tmp_path, name, content))
        assert str(err).startswith(f"{name}: ") and "empty" in str(err)


def test_empty_list(db, tmp_path):
    err = fails(write(tmp_path, "none.json", "[]"))
    assert str(err) == "none.json: The file contains no events."


def test_truncated_json_list(db, tmp_path):
    text = json.dumps(sample(), ensure_ascii=False, indent=2)
    cut = text.index(f'"id": {sample()[41]["id"]}') + 30  # inside record 42
    err = fails(write(tmp_path, "cut.json", text[:cut]))
    problem = err.problems[0]
    assert (problem.file_name, problem.record) == ("cut.json", 42)
    assert problem.line == record_line(text, sample()[41]["id"])
    assert "truncated" in str(err) and "record 42" in str(err)


def test_truncated_json_list_between_records(db, tmp_path):
    text = json.dumps(sample()[:3], ensure_ascii=False)
    err = fails(write(tmp_path, "cut.json", text[:-1]))
    assert err.problems[0].record == 3 and "truncated" in str(err)


def test_truncated_jsonl(db, tmp_path):
    text = jsonl(sample()[:10])
    err = fails(write(tmp_path, "cut.jsonl", text[: len(text) - 40]))
    assert (err.problems[0].record, err.problems[0].line) == (10, 10)
    assert "cut.jsonl, record 10 (line 10)" in str(err) and "truncated" in str(err)


def test_truncated_gzip(db, tmp_path):
    data = gzip.compress(jsonl(sample()).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    err = fails(path)
    assert str(err).startswith("cut.jsonl.gz: ") and "truncated" in str(err)


def test_not_gzip_despite_magic(db, tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    assert fails(path).problems[0].file_name == "bad.gz"


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('[{"foo": 1, "bar": 2}]', {"record": 1}),
        ('{"foo": 1}\n{"foo": 2}\n', {"record": 1, "line": 1}),
        ('{\n  "events": []\n}\n', {"line": 1}),
        ("datum;typ;plats\n2024-01-01;Brand;Sundsvall\n", {"line": 1}),
        ('"just a string"', {"line": 1}),
        ('{"type": "FeatureCollection", "features": []}\n', {"record": 1, "line": 1}),
    ],
)
def test_json_that_is_not_police_data(db, tmp_path, content, where):
    err = fails(write(tmp_path, "other.json", content))
    problem = err.problems[0]
    assert problem.file_name == "other.json"
    for k, v in where.items():
        assert getattr(problem, k) == v
    assert len(err.problems) == 1


def test_record_that_is_not_an_object(db, tmp_path):
    err = fails(write(tmp_path, "mixed.json", json.dumps([sample()[0], 17, sample()[1]])))
    assert err.problems[0].record == 2 and "not a JSON object" in str(err)


def test_missing_field(db, tmp_path):
    records = sample()[:8]
    del records[4]["datetime"]
    del records[6]["location"]
    err = fails(write(tmp_path, "missing.jsonl", jsonl(records)))
    assert [(p.record, p.line, p.field) for p in err.problems] == [
        (5, 5, "datetime"),
        (7, 7, "location"),
    ]
    assert "missing.jsonl, record 5 (line 5), field “datetime”: The field is missing." in str(err)


def test_bad_datetime(db, tmp_path):
    records = sample()[:8]
    records[6]["datetime"] = "igår kväll"
    text = json.dumps(records, indent=1, ensure_ascii=False)
    err = fails(write(tmp_path, "dt.json", text))
    p = err.problems[0]
    assert (p.file_name, p.record, p.field) == ("dt.json", 7, "datetime")
    assert p.line == record_line(text, records[6]["id"]) > 7
    assert "igår kväll" in str(p)


def test_bad_field_types(db, tmp_path):
    records = sample()[:4]
    records[0]["id"] = "abc"
    records[1]["type"] = ""
    records[2]["location"] = {"name": 5}
    records[3]["summary"] = None
    err = fails(write(tmp_path, "types.jsonl", jsonl(records)))
    assert [(p.record, p.field) for p in err.problems] == [
        (1, "id"),
        (2, "type"),
        (3, "location.name"),
        (4, "summary"),
    ]


def test_unknown_municipality_name(db, tmp_path):
    records = sample()[:20]
    records[12]["location"]["name"] = "Atlantis"
    err = fails(write(tmp_path, "place.jsonl", jsonl(records)))
    assert [(p.record, p.line, p.field) for p in err.problems] == [(13, 13, "location.name")]
    assert "Atlantis" in str(err)


def test_invalid_utf8(db, tmp_path):
    raw = jsonl(sample()[:3]).encode("utf-8")
    at = raw.index(b"\n") + 20  # inside line 2
    err = fails(write(tmp_path, "latin1.jsonl", raw[:at] + b"\xf6" + raw[at:]))
    assert err.problems[0].line == 2 and "UTF-8" in str(err)


def test_many_bad_records_are_counted_and_capped(db, tmp_path):
    records = [{**r, "datetime": "x"} for r in sample()[:150]]
    err = fails(write(tmp_path, "many.jsonl", jsonl(records)))
    assert err.total == 150 and len(err.problems) == police.MAX_PROBLEMS
    assert "(150 problems in all)" in str(err)


def test_failed_import_marks_the_job(db, tmp_path, world):
    from brygga.incidents.models import ImportJob

    job = ImportJobFactory(
        municipality=world.sundsvall, kind=ImportJob.Kind.POLICE, file_name="bad.jsonl"
    )
    records = sample()[:3]
    records[1]["datetime"] = "nope"
    with pytest.raises(PoliceImportError):
        import_records(records, file_name="bad.jsonl", job=job)
    job.refresh_from_db()
    assert job.state == "failed" and job.error_count == 1
    assert job.errors[0]["record"] == 2 and job.errors[0]["field"] == "datetime"
    assert not Incident.objects.exists()


# --- the command ----------------------------------------------------------------------------
def test_command_imports_then_changes_nothing(db, tmp_path):
    path = write(tmp_path, "police_sample.jsonl.gz", SAMPLE.read_text(encoding="utf-8"))
    out = io.StringIO()
    with translation.override("en"):
        call_command("import-police", str(path), stdout=out, stderr=io.StringIO())
        n = stored_events()
        assert n == len(sample())
        assert "police_sample.jsonl.gz" in out.getvalue()
        assert "Created" in out.getvalue() and str(n) in out.getvalue()
        out2 = io.StringIO()
        call_command("import-police", str(path), stdout=out2, stderr=io.StringIO())
    assert stored_events() == n
    assert AuditEvent.objects.filter(event_type="police_import").count() == 2
    row = AuditEvent.objects.filter(event_type="police_import").order_by("seq").last()
    assert row.changes["created"] == 0 and row.changes["unchanged"] == n
    assert row.actor_label == "brygga import-police"


def test_command_bad_file_exits_with_the_error(db, tmp_path):
    records = sample()[:5]
    records[3]["datetime"] = "2024-13-45"
    path = write(tmp_path, "bad.jsonl", jsonl(records))
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError) as info:
        call_command("import-police", str(path), stdout=io.StringIO(), stderr=err)
    assert "bad.jsonl, record 4 (line 4), field “datetime”" in str(info.value)
    assert "bad.jsonl, record 4" in err.getvalue()
    assert not Incident.objects.exists()


def test_command_missing_file_and_dry_run(db, tmp_path):
    with pytest.raises(CommandError) as info:
        call_command(
            "import-police", str(tmp_path / "nope.json"), stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert "nope.json" in str(info.value)
    path = write(tmp_path, "ok.jsonl", jsonl(sample()[:4]))
    call_command("import-police", str(path), "--dry-run", stdout=io.StringIO())
    assert not Incident.objects.exists()
    call_command("import-police", str(path), "--municipality", "2281", stdout=io.StringIO())
    assert Incident.objects.count() == sum(
        1 for r in sample()[:4] if place_of(r) in ("Sundsvall", "Västernorrlands län")
    )


def test_an_event_deleted_and_removed_by_gallring_is_not_imported_again(db, tmp_path):
    """Regression: once gallring removed a deleted police event for good (its row is gone), a
    re-import of the same police file brought it back; its id is now remembered and skipped."""
    from datetime import timedelta

    from django.utils import timezone

    from brygga.core import retention
    from brygga.incidents.models import DisposedSource

    path = write(tmp_path, "police_sample.jsonl", SAMPLE.read_text(encoding="utf-8"))
    first = run(path)
    gone = Incident.objects.filter(source=Source.POLICE, municipality__isnull=False).first()
    Incident.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    report = retention.run(now=timezone.now() + timedelta(days=31))
    removed = [i.object_id for i in report.items if i.rule == "incidents.deleted"]
    assert removed == [str(gone.pk)]
    assert DisposedSource.objects.filter(source=Source.POLICE, source_id=gone.source_id).exists()
    again = run(path)
    assert (again.created, again.unchanged) == (0, first.created)
    assert not Incident.objects.filter(source_id=gone.source_id).exists()
