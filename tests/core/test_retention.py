"""Gallring (`brygga gallra`, Administration → Gallring): what has passed its retention period is
removed, exactly what the dry run listed, per municipality, and nothing else.

The rules (``brygga.core.retention`` and the apps' ``retention.py``), with their defaults:
deleted incidents 30 days, personal-data texts 365 days, tip contacts 90 days, import row
errors 90 days, uploaded files 24 hours, sign-in records 30 days (installation only), every
incident: off (0)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format

from brygga.audit.chain import verify_chain
from brygga.audit.context import acting_as
from brygga.audit.models import AuditEvent, ChainHead
from brygga.core import retention, services
from brygga.core.models import Municipality, RetentionPeriod
from brygga.incidents.imports.storage import upload_storage
from brygga.incidents.models import (
    ImportJob,
    Incident,
    Open311Contact,
    Open311Request,
)

from ..conftest import login
from ..incidents.factories import ImportJobFactory, make_incident

pytestmark = pytest.mark.django_db

PAGE = "/kommuner/2281/gallring/"
DONE = ImportJob.State.DONE
# What a run may never write anywhere (page, list, audit trail): the personal data of the rows.
SECRET_TEXT = "Elev i åk 7 (Kalle) hotade en lärare"
SECRET_PLACE = "Skolgården bakom idrottshallen"
SECRET_NAME = "Tipsarsson"
SECRET_EMAIL = "tips.lamnare@example.se"
SECRET_ERROR = "Okänd kategori ”Pelles port”."
SECRET_FILE = "elevrapporter-hemlig.csv"


@pytest.fixture(autouse=True)
def swedish():
    with translation.override("sv"):
        yield


# --- helpers --------------------------------------------------------------------------------
def gallra(*args: str) -> str:
    out = io.StringIO()
    call_command("gallra", *args, stdout=out)
    return out.getvalue()


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def backdate(obj, **fields) -> None:
    type(obj).objects.filter(pk=obj.pk).update(**fields)


def admin(world):
    return world.users["municipal_admin"]


def set_period(world, rule_key: str, value: int, municipality=None) -> None:
    services.retention_period_set(
        actor=world.users["system_admin"] if municipality is not None else admin(world),
        municipality=municipality or world.sundsvall,
        rule_key=rule_key,
        value=value,
    )


def personal_incident(world, *, recorded: datetime, municipality=None, **kw) -> Incident:
    m = municipality or world.sundsvall
    incident = make_incident(
        world,
        municipality=m,
        county_id=m.county_id,
        reporting_organisation=world.orgs["field" if m == world.sundsvall else "timra"],
        description=SECRET_TEXT,
        place_description=SECRET_PLACE,
        has_personal_data=True,
        **kw,
    )
    backdate(incident, created_at=recorded)
    return incident


def tip_with_contact(world, *, recorded: datetime, municipality=None) -> Open311Contact:
    m = municipality or world.sundsvall
    incident = make_incident(
        world,
        municipality=m,
        county_id=m.county_id,
        reporting_organisation=None,
        source="open311",
        description="Klotter på tunneln.",
    )
    with acting_as(label="test setup"):
        Open311Request.objects.create(incident=incident, municipality=m)
        contact = Open311Contact.objects.create(
            incident=incident,
            municipality=m,
            first_name="Tove",
            last_name=SECRET_NAME,
            email=SECRET_EMAIL,
            phone="070-000 00 09",
        )
    backdate(incident, created_at=recorded)
    return contact


def deleted_incident(world, *, deleted: datetime, municipality=None, **kw) -> Incident:
    m = municipality or world.sundsvall
    incident = make_incident(
        world,
        municipality=m,
        county_id=m.county_id,
        reporting_organisation=world.orgs["field" if m == world.sundsvall else "timra"],
        **kw,
    )
    backdate(incident, deleted_at=deleted)
    return incident


def job_with_errors(world, *, finished: datetime, municipality=None) -> ImportJob:
    job = ImportJobFactory(
        municipality=municipality or world.sundsvall,
        state=DONE,
        file_name=SECRET_FILE,
        total_rows=10,
        processed_rows=10,
        created_count=8,
        error_count=2,
        errors=[
            {"row": 3, "column": "kategori", "message": SECRET_ERROR},
            {"row": 7, "column": "datum", "message": "”31/6” är inget datum."},
        ],
        finished_at=finished,
    )
    return job


def job_with_file(world, *, changed: datetime, municipality=None, name=None) -> ImportJob:
    m = municipality or world.sundsvall
    stored = upload_storage().save(
        name or f"imports/{m.code}/uppladdad.csv", ContentFile(b"Id;Tidpunkt\nA1;2024-03-05\n")
    )
    job = ImportJobFactory(
        municipality=m, state=ImportJob.State.FAILED, stored_file=stored, file_name=SECRET_FILE
    )
    backdate(job, updated_at=changed)
    job.refresh_from_db()
    return job


def planned(municipality, now) -> list[tuple[str, str, str, str]]:
    return [
        (i.rule, i.object_type, i.object_id, i.action)
        for i in retention.plan_scope(municipality, now)
    ]


def sign_in_rows(*, at: datetime, username: str = "viewer"):
    """One sign-in, one failed attempt (with its lock-out expiry) and one failure log row of
    django-axes, recorded at ``at``."""
    from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog

    common = {
        "user_agent": "Mozilla/5.0",
        "ip_address": "198.51.100.7",
        "username": username,
        "http_accept": "text/html",
        "path_info": "/konto/logga-in/",
    }
    log = AccessLog.objects.create(**common)
    attempt = AccessAttempt.objects.create(
        **common, get_data="", post_data="username=" + username, failures_since_start=3
    )
    expiration = AccessAttemptExpiration.objects.create(
        access_attempt=attempt, expires_at=at + timedelta(minutes=15)
    )
    failure = AccessFailureLog.objects.create(**common, locked_out=False)
    for row in (log, attempt, failure):
        backdate(row, attempt_time=at)
    return {"log": log, "attempt": attempt, "expiration": expiration, "failure": failure}


def exists(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


def audit_text() -> str:
    """Every field of every audit row, as one text."""
    return "\n".join(
        json.dumps(row, default=str, ensure_ascii=False) for row in AuditEvent.objects.values()
    )


def chain_head() -> list[tuple[int, int, str]]:
    """The heads of every audit chain (one per municipality, one for the installation)."""
    return list(ChainHead.objects.order_by("id").values_list("id", "seq", "hash"))


# --- the demo: the dry run and the run agree row for row (the Done-when) ----------------------
def test_on_the_demo_the_run_removes_exactly_what_the_dry_run_listed():
    call_command("demo", "--no-serve", stdout=io.StringIO())
    s = Municipality.objects.get(code="2281")
    before = AuditEvent.objects.count()

    listed = gallra("--dry-run", "--format", "csv")
    header, *rows = csv_rows(listed)
    assert header == list(retention.COLUMNS)
    # what the demo leaves past the default periods: one incident deleted 45 days ago, two
    # school reports older than a year, three tips with contacts older than 90 days and the
    # import of four months ago with its three row errors
    assert Counter(r[0] for r in rows) == {
        "incidents.deleted": 1,
        "incidents.personal_text": 2,
        "incidents.tip_contacts": 3,
        "incidents.import_errors": 1,
    }
    assert {r[1] for r in rows} == {"2281"}
    by_rule = {rule: [r[3] for r in rows if r[0] == rule] for rule in {r[0] for r in rows}}
    (gone_pk,) = by_rule["incidents.deleted"]
    cleared_pks = by_rule["incidents.personal_text"]
    contact_pks = by_rule["incidents.tip_contacts"]
    (job_pk,) = by_rule["incidents.import_errors"]
    assert Incident.objects.get(pk=gone_pk).deleted_at is not None  # soft-deleted, still there
    old_texts = [Incident.objects.get(pk=pk).description for pk in cleared_pks]
    assert all(old_texts)
    assert AuditEvent.objects.count() == before, "the dry run wrote nothing"

    done = gallra("--format", "csv")
    assert csv_rows(done) == csv_rows(listed)  # row for row
    assert done == listed
    assert csv_rows(gallra("--dry-run", "--format", "csv")) == [header]  # nothing left

    # the rows are really gone or cleared
    assert not Incident.objects.filter(pk=gone_pk).exists()  # the manager holds deleted ones
    assert (
        Incident.objects.filter(
            municipality=s, source_id__startswith="demo-rec-deleted", deleted_at__isnull=False
        ).count()
        == 2
    ), "the incidents deleted 20 and 3 days ago stay until their time"
    assert not Open311Contact.objects.filter(pk__in=contact_pks).exists()
    cutoff = timezone.now() - timedelta(days=90)
    left = Open311Contact.objects.filter(municipality=s)
    assert left.count() == 2 and all(c.incident.created_at > cutoff for c in left)
    for pk in cleared_pks:
        incident = Incident.objects.get(pk=pk)
        assert (incident.description, incident.place_description) == ("", "")
        assert incident.text_disposed_at is not None and not incident.has_personal_data
    assert not Incident.objects.filter(description__in=old_texts).exists()
    younger = Incident.objects.filter(
        municipality=s, source_id__startswith="demo-rec-personal", text_disposed_at__isnull=True
    )
    assert younger.count() == 2 and all(i.description for i in younger)
    job = ImportJob.objects.get(pk=job_pk)
    assert job.errors == [] and job.error_count == 3 and job.details_disposed_at is not None
    assert job.created_count == 41
    assert ImportJob.objects.get(file_name="faltrapporter-november.csv").details_disposed_at is None

    # one audit row for the run, with the counts; the chain still holds
    (run_row,) = AuditEvent.objects.filter(event_type="retention_run")
    assert run_row.municipality_id == s.pk
    assert run_row.changes["counts"] == {
        "incidents.deleted": 1,
        "incidents.personal_text": 2,
        "incidents.tip_contacts": 3,
        "incidents.import_errors": 1,
    }
    assert run_row.changes["objects"]["incidents.tip_contacts"] == {
        "incidents.open311contact delete": contact_pks
    }
    trail = audit_text()
    assert not any(text in trail for text in old_texts)
    assert "Anna E:s port" not in trail  # a cell an import error quoted
    assert verify_chain().ok


# --- dry run ----------------------------------------------------------------------------------
def _everything_expired(world, now):
    """One row past its default period for every rule of Sundsvall, and sign-in records."""
    return {
        "deleted": deleted_incident(world, deleted=now - timedelta(days=31)),
        "personal": personal_incident(world, recorded=now - timedelta(days=366)),
        "contact": tip_with_contact(world, recorded=now - timedelta(days=91)),
        "errors": job_with_errors(world, finished=now - timedelta(days=91)),
        "file": job_with_file(world, changed=now - timedelta(hours=25)),
        "sign_in": sign_in_rows(at=now - timedelta(days=31)),
        **survey_imports(world, now),
    }


def survey_imports(world, now):
    """A survey file kept past its date and a preview left for more than a day."""
    from brygga.surveys.models import SurveyImport

    kept = SurveyImport.objects.create(
        municipality=world.sundsvall,
        file_name="enkat.csv",
        origin="upload",
        state="done",
        content=b"lopnr;klotter\n1;2\n",
        keep_until=(now - timedelta(days=1)).date(),
    )
    preview = SurveyImport.objects.create(
        municipality=world.sundsvall,
        file_name="enkat.csv",
        origin="upload",
        state="preview",
        content=b"lopnr;klotter\n1;2\n",
    )
    SurveyImport.objects.filter(pk=preview.pk).update(created_at=now - timedelta(hours=25))
    return {"survey_file": kept, "survey_preview": preview}


def _state():
    from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog

    return {
        "incidents": list(
            Incident.objects.order_by("pk").values_list(
                "pk",
                "description",
                "place_description",
                "has_personal_data",
                "deleted_at",
                "text_disposed_at",
            )
        ),
        "contacts": list(Open311Contact.objects.order_by("pk").values_list("pk", "email")),
        "requests": list(Open311Request.objects.order_by("pk").values_list("pk", flat=True)),
        "jobs": list(
            ImportJob.objects.order_by("pk").values_list(
                "pk", "errors", "error_count", "stored_file", "options", "details_disposed_at"
            )
        ),
        "axes": [
            m.objects.count()
            for m in (AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog)
        ],
        "periods": list(RetentionPeriod.objects.values_list("municipality", "rule", "value")),
        "audit": (AuditEvent.objects.count(), chain_head()),
    }


def test_a_dry_run_lists_everything_due_and_changes_nothing(
    world, django_capture_on_commit_callbacks
):
    now = timezone.now()
    rows = _everything_expired(world, now)
    before = _state()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out = gallra("--dry-run")
    assert callbacks == []  # no file removal queued either
    # 7 rows of Sundsvall (2 of them survey imports), 4 sign-in rows of the installation
    assert "Provkörning: 11 rader skulle tas bort eller tömmas. Inget ändrades." in out
    assert "Skulle tas bort" in out
    for r in retention.rules():
        assert (f"{r.key}: " in out) == (r.key != "incidents.all"), r.key
    assert _state() == before
    assert upload_storage().exists(rows["file"].stored_file)
    report = retention.run(dry_run=True, now=now)
    assert len(report.items) == 11 and _state() == before

    # the same list applied: now it all changes
    with django_capture_on_commit_callbacks(execute=True):
        assert "11 rader togs bort eller tömdes." in gallra()
    after = _state()
    assert after["requests"] == before["requests"]  # a tip's contact goes, its record stays
    for part in ("incidents", "contacts", "jobs", "axes"):
        assert after[part] != before[part], part
    assert not upload_storage().exists(rows["file"].stored_file)


# --- each rule at its boundary ----------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    rule: str
    default: int
    object_type: str
    make: Callable[[Any, datetime], Any]  # (world, timestamp that ages the row) → the row
    disposed: Callable[[Any], bool]


def _text_cleared(incident) -> bool:
    incident.refresh_from_db()
    return incident.description == "" and incident.text_disposed_at is not None


def _contact_gone(contact) -> bool:
    return not exists(contact) and Incident.objects.filter(pk=contact.incident_id).exists()


def _errors_cleared(job) -> bool:
    job.refresh_from_db()
    assert job.error_count == 2  # the count stays either way
    return job.errors == [] and job.details_disposed_at is not None


def _file_released(job) -> bool:
    name = job.stored_file
    job.refresh_from_db()
    gone = job.stored_file == "" and not upload_storage().exists(name)
    assert gone == (job.stored_file == ""), "the job and the storage agree"
    return gone


CASES = [
    Case(
        "incidents.deleted",
        30,
        "incidents.incident",
        lambda w, t: deleted_incident(w, deleted=t),
        lambda i: not exists(i),
    ),
    Case(
        "incidents.personal_text",
        365,
        "incidents.incident",
        lambda w, t: personal_incident(w, recorded=t),
        _text_cleared,
    ),
    Case(
        "incidents.tip_contacts",
        90,
        "incidents.open311contact",
        lambda w, t: tip_with_contact(w, recorded=t),
        _contact_gone,
    ),
    Case(
        "incidents.import_errors",
        90,
        "incidents.importjob",
        lambda w, t: job_with_errors(w, finished=t),
        _errors_cleared,
    ),
    Case(
        "incidents.import_files",
        24,
        "incidents.importjob",
        lambda w, t: job_with_file(w, changed=t, name=f"imports/2281/{t.timestamp()}.csv"),
        _file_released,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_each_rule_removes_one_unit_past_its_period_and_keeps_one_unit_inside(
    world, case, django_capture_on_commit_callbacks
):
    rule = retention.rule(case.rule)
    assert retention.periods_for(world.sundsvall)[case.rule] == case.default
    now = timezone.now()
    unit = timedelta(hours=1) if rule.unit == retention.HOURS else timedelta(days=1)
    span = case.default * unit
    kept = case.make(world, now - span + unit)
    gone = case.make(world, now - span - unit)
    items = planned(world.sundsvall, now)
    assert [(r, t, i) for r, t, i, _ in items] == [(case.rule, case.object_type, str(gone.pk))]

    with django_capture_on_commit_callbacks(execute=True):
        report = retention.run(municipalities=[world.sundsvall], installation=False, now=now)
    assert report.counts() == {case.rule: 1}
    assert case.disposed(gone)
    assert not case.disposed(kept)
    assert planned(world.sundsvall, now) == []  # a second run has nothing to do


def test_the_whole_incident_rule_is_off_by_default_and_when_set_takes_the_contact_along(
    world, django_capture_on_commit_callbacks
):
    now = timezone.now()
    old = make_incident(world, occurred_from=now - timedelta(days=3650))
    backdate(old, created_at=now - timedelta(days=3650))
    with acting_as(label="test setup"):
        request = Open311Request.objects.create(incident=old, municipality=world.sundsvall)
        contact = Open311Contact.objects.create(
            incident=old, municipality=world.sundsvall, last_name=SECRET_NAME
        )
    inside = make_incident(world, occurred_from=now - timedelta(days=729))
    outside = make_incident(world, occurred_from=now - timedelta(days=731))

    assert retention.rule("incidents.all").effective_default() == 0
    assert retention.periods_for(world.sundsvall)["incidents.all"] == 0
    # off: only the contact of the ten-year-old tip is due (its own 90 days)
    assert planned(world.sundsvall, now) == [
        ("incidents.tip_contacts", "incidents.open311contact", str(contact.pk), "delete")
    ]

    set_period(world, "incidents.all", 730)
    assert planned(world.sundsvall, now) == [
        ("incidents.all", "incidents.incident", str(old.pk), "delete"),
        ("incidents.all", "incidents.open311contact", str(contact.pk), "delete"),
        ("incidents.all", "incidents.open311request", str(request.pk), "delete"),
        ("incidents.all", "incidents.incident", str(outside.pk), "delete"),
    ], "the contact is listed once, under the rule that deletes its incident"
    with django_capture_on_commit_callbacks(execute=True):
        retention.run(municipalities=[world.sundsvall], installation=False, now=now)
    assert not any(exists(o) for o in (old, request, contact, outside))
    assert exists(inside)

    set_period(world, "incidents.all", 0)  # back to "until further notice"
    assert not RetentionPeriod.objects.filter(rule="incidents.all").exists()
    assert planned(world.sundsvall, now + timedelta(days=3650)) == []


def test_an_incident_hit_by_two_rules_is_listed_and_removed_once(
    world, django_capture_on_commit_callbacks
):
    now = timezone.now()
    both = personal_incident(
        world, recorded=now - timedelta(days=400), occurred_from=now - timedelta(days=400)
    )
    backdate(both, deleted_at=now - timedelta(days=40))
    items = retention.plan_scope(world.sundsvall, now)
    assert [(i.rule, i.object_id, i.action) for i in items] == [
        ("incidents.deleted", str(both.pk), "delete")
    ]
    out = gallra("--dry-run", "-m", "2281", "--format", "csv")
    assert [r[0] for r in csv_rows(out)[1:]] == ["incidents.deleted"]
    with django_capture_on_commit_callbacks(execute=True):
        done = gallra("-m", "2281", "--format", "csv")
    assert done == out
    assert not exists(both)
    (run_row,) = AuditEvent.objects.filter(event_type="retention_run")
    assert run_row.changes["counts"] == {"incidents.deleted": 1}


# --- a municipality's own periods, and only its own rows --------------------------------------
def test_a_municipalitys_own_period_changes_its_plan_and_never_touches_another_municipality(
    world, django_capture_on_commit_callbacks
):
    from axes.models import AccessLog

    now = timezone.now()
    s, t = world.sundsvall, world.timra
    ours = deleted_incident(world, deleted=now - timedelta(days=10))
    our_text = personal_incident(world, recorded=now - timedelta(days=40))
    theirs = {
        "deleted": deleted_incident(world, municipality=t, deleted=now - timedelta(days=40)),
        "text": personal_incident(world, municipality=t, recorded=now - timedelta(days=400)),
        "contact": tip_with_contact(world, municipality=t, recorded=now - timedelta(days=100)),
        "errors": job_with_errors(world, municipality=t, finished=now - timedelta(days=100)),
    }
    sign_in = sign_in_rows(at=now - timedelta(days=40))
    assert planned(s, now) == []  # inside the defaults (30 and 365 days)

    set_period(world, "incidents.deleted", 7)
    set_period(world, "incidents.personal_text", 30)
    assert retention.periods_for(s)["incidents.deleted"] == 7
    assert retention.periods_for(t)["incidents.deleted"] == 30  # Timrå keeps the default
    assert planned(s, now) == [
        ("incidents.deleted", "incidents.incident", str(ours.pk), "delete"),
        ("incidents.personal_text", "incidents.incident", str(our_text.pk), "clear"),
    ]
    timra_before = planned(t, now)
    assert len(timra_before) == 4  # Timrå has its own rows past its own (default) periods

    def timra_state():
        return (
            list(
                Incident.objects.filter(municipality=t)
                .order_by("pk")
                .values_list("pk", "description", "deleted_at", "text_disposed_at")
            ),
            list(Open311Contact.objects.filter(municipality=t).values_list("pk", "email")),
            list(ImportJob.objects.filter(municipality=t).values_list("pk", "errors")),
        )

    before = timra_state()
    with django_capture_on_commit_callbacks(execute=True):
        out = gallra("-m", "2281", "--format", "csv")
    rows = csv_rows(out)[1:]
    assert {r[1] for r in rows} == {"2281"} and len(rows) == 2
    assert not exists(ours)
    our_text.refresh_from_db()
    assert our_text.description == "" and our_text.text_disposed_at is not None
    assert timra_state() == before, "a run for Sundsvall leaves Timrå alone"
    assert planned(t, now) == timra_before
    assert exists(sign_in["log"]), "and leaves the installation's rows to the full run"
    assert AccessLog.objects.count() == 1
    (run_row,) = AuditEvent.objects.filter(event_type="retention_run")
    assert run_row.municipality_id == s.pk

    # Timrå's own run, with Timrå's own period for deleted incidents
    set_period(world, "incidents.deleted", 60, municipality=t)
    with django_capture_on_commit_callbacks(execute=True):
        out = gallra("-m", "2262", "--format", "csv")
    assert sorted(r[0] for r in csv_rows(out)[1:]) == [
        "incidents.import_errors",
        "incidents.personal_text",
        "incidents.tip_contacts",
    ]
    assert exists(theirs["deleted"])  # 40 days < Timrå's 60
    assert not exists(theirs["contact"])


def test_an_unknown_municipality_code_is_named(world):
    with pytest.raises(CommandError) as refused:
        gallra("--dry-run", "-m", "2281", "-m", "9999")
    assert str(refused.value) == "Ingen kommun har koden 9999."
    with pytest.raises(CommandError, match="9998, 9997"):
        gallra("-m", "9998", "-m", "9997")


def test_json_and_summary_formats(world):
    now = timezone.now()
    gone = deleted_incident(world, deleted=now - timedelta(days=31))
    contact = tip_with_contact(world, recorded=now - timedelta(days=91))
    data = json.loads(gallra("--dry-run", "--format", "json"))
    assert [list(row) for row in data] == [list(retention.COLUMNS)] * 2
    assert [(r["rule"], r["municipality"], r["object_id"], r["action"]) for r in data] == [
        ("incidents.deleted", "2281", str(gone.pk), "delete"),
        ("incidents.tip_contacts", "2281", str(contact.pk), "delete"),
    ]
    assert json.loads(gallra("--dry-run", "--format", "json", "-m", "2262")) == []

    summary = gallra("--dry-run", "--format", "summary")
    assert "incidents.deleted: 1  (Borttagna händelser)" in summary
    assert "incidents.tip_contacts: 1  (Kontaktuppgifter från allmänheten)" in summary
    assert "Provkörning: 2 rader skulle tas bort eller tömmas. Inget ändrades." in summary
    assert "Skulle tas bort" not in summary and "Händelse " not in summary  # counts only
    assert exists(gone) and exists(contact)


# --- uploaded files: removed from the disk only after the commit ------------------------------
@pytest.fixture
def disk(settings, tmp_path):
    """A real file system storage in ``tmp_path/uploads`` (the test settings use memory)."""
    settings.MEDIA_ROOT = str(tmp_path / "uploads")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path / "uploads"


def test_an_uploaded_file_leaves_the_disk_after_the_commit_and_the_page_says_so(
    world, disk, client_for, django_capture_on_commit_callbacks
):
    now = timezone.now()
    old = job_with_file(world, changed=now - timedelta(hours=25), name="imports/2281/old.csv")
    fresh = job_with_file(world, changed=now - timedelta(hours=23), name="imports/2281/new.csv")
    running = job_with_file(world, changed=now - timedelta(hours=30), name="imports/2281/run.csv")
    backdate(running, state=ImportJob.State.RUNNING)  # a worker is reading it: it stays
    old_path, fresh_path = disk / old.stored_file, disk / fresh.stored_file
    assert old_path.is_file() and fresh_path.is_file()

    # the run fails after the rows were changed: rolled back, the file stays
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch("brygga.audit.services.log_action", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        retention.run(municipalities=[world.sundsvall], installation=False, now=now)
    assert callbacks == [] and old_path.is_file()
    old.refresh_from_db()
    assert old.stored_file == "imports/2281/old.csv"

    # the run commits: the file is still there until the commit, gone after it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = retention.run(municipalities=[world.sundsvall], installation=False, now=now)
    assert [i.object_id for i in report.items] == [str(old.pk)]
    old.refresh_from_db()
    assert old.stored_file == "" and old_path.is_file(), "not removed before the commit"
    assert len(callbacks) == 1
    callbacks[0]()
    assert not old_path.exists() and fresh_path.is_file()
    assert (disk / "imports/2281/run.csv").is_file()
    running.refresh_from_db()
    assert running.stored_file == "imports/2281/run.csv"

    html = client_for("analyst").get(f"/kommuner/2281/handelser/importer/{old.pk}/")
    assert html.status_code == 200
    page = html.content.decode()
    assert 'id="import-file" data-file="removed"' in page
    assert "Den uppladdade filen togs bort efter 24 timmar utan ändringar." in page


def test_a_shorter_own_period_for_files_is_what_the_page_reports(
    world, disk, client_for, django_capture_on_commit_callbacks
):
    now = timezone.now()
    job = job_with_file(world, changed=now - timedelta(hours=3), name="imports/2281/kort.csv")
    assert planned(world.sundsvall, now) == []
    set_period(world, "incidents.import_files", 2)
    with django_capture_on_commit_callbacks(execute=True):
        retention.run(municipalities=[world.sundsvall], installation=False, now=now)
    assert not (disk / "imports/2281/kort.csv").exists()
    page = client_for("analyst").get(f"/kommuner/2281/handelser/importer/{job.pk}/")
    assert "Den uppladdade filen togs bort efter 2 timmar utan ändringar." in page.content.decode()


# --- sign-in records (django-axes): the installation's rows -----------------------------------
def test_sign_in_records_older_than_30_days_are_removed_in_the_installation_run(
    world, django_capture_on_commit_callbacks
):
    from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog

    now = timezone.now()
    old = sign_in_rows(at=now - timedelta(days=31), username="gammal")
    new = sign_in_rows(at=now - timedelta(days=29), username="ny")
    assert retention.rule("core.sign_in_records").scopes == (retention.INSTALLATION,)
    assert all(i.rule != "core.sign_in_records" for i in retention.plan_scope(world.sundsvall, now))
    # not part of a municipality's run, nor of its page
    gallra("-m", "2281")
    assert all(exists(r) for r in old.values())

    rows = csv_rows(gallra("--dry-run", "--format", "csv"))[1:]
    assert sorted((r[0], r[1], r[2], r[3]) for r in rows) == sorted(
        [
            ("core.sign_in_records", "", "axes.accesslog", str(old["log"].pk)),
            ("core.sign_in_records", "", "axes.accessattempt", str(old["attempt"].pk)),
            (
                "core.sign_in_records",
                "",
                "axes.accessattemptexpiration",
                str(old["expiration"].pk),
            ),
            ("core.sign_in_records", "", "axes.accessfailurelog", str(old["failure"].pk)),
        ]
    )
    assert all("gammal" not in cell for r in rows for cell in r)  # no user name in the list
    with django_capture_on_commit_callbacks(execute=True):
        gallra()
    assert not any(exists(r) for r in old.values())
    assert all(exists(r) for r in new.values())
    for model in (AccessLog, AccessAttempt, AccessAttemptExpiration, AccessFailureLog):
        assert model.objects.count() == 1
    (run_row,) = AuditEvent.objects.filter(event_type="retention_run")
    assert run_row.municipality_id is None
    assert run_row.changes["counts"] == {"core.sign_in_records": 4}
    assert verify_chain().ok
    # (signing in runs django-axes' own clean-up of expired attempts: only now)
    page = client_for_admin(world).get(PAGE).content.decode()
    assert "Inloggningsuppgifter" not in page


def test_copies_of_a_county_level_event_follow_each_municipality_s_period(world):
    """A county-level police event is held by every municipality of its county; once deleted,
    each municipality's copy is removed by that municipality's own period."""
    from brygga.incidents.models import Incident

    from ..incidents.factories import PoliceEventFactory

    now = timezone.now()
    set_period(world, "incidents.deleted", 7)  # Sundsvall's; Timrå keeps the default 30 days
    event = PoliceEventFactory(county_level=True, source_id="lan-9")
    copies = Incident.objects.filter(source_id="lan-9")
    copies.update(deleted_at=now - timedelta(days=10))
    timra = copies.get(municipality=world.timra)
    assert event.municipality == world.sundsvall and copies.count() > 2
    assert planned(world.sundsvall, now) == [
        ("incidents.deleted", "incidents.incident", str(event.pk), "delete")
    ]
    assert planned(world.timra, now) == []
    gallra("-m", "2281")
    assert not exists(event) and exists(timra)


# --- setting a period -----------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["coordinator", "analyst", "viewer", "outsider"])
def test_only_administrators_set_periods(world, actor):
    with pytest.raises(PermissionDenied):
        services.retention_period_set(
            actor=world.users[actor],
            municipality=world.sundsvall,
            rule_key="incidents.deleted",
            value=60,
        )
    assert not RetentionPeriod.objects.exists()
    assert not AuditEvent.objects.filter(event_type="retention_period_changed").exists()


@pytest.mark.parametrize(
    "rule_key, value, message",
    [
        ("incidents.deleted", 0, "Mellan 1 och 365 dagar."),
        ("incidents.deleted", 366, "Mellan 1 och 365 dagar."),
        ("incidents.personal_text", 29, "Mellan 30 och 3650 dagar."),
        ("incidents.tip_contacts", 731, "Mellan 1 och 730 dagar."),
        ("incidents.import_errors", 6, "Mellan 7 och 730 dagar."),
        ("incidents.import_files", 25, "Mellan 1 och 24 timmar."),
        ("incidents.all", 364, "Minst 365 dagar. 0 sparar uppgifterna tills vidare."),
    ],
)
def test_a_period_out_of_range_is_refused_in_swedish_naming_the_range(
    world, rule_key, value, message
):
    with pytest.raises(ValidationError) as refused:
        set_period(world, rule_key, value)
    assert refused.value.messages == [message]
    assert not RetentionPeriod.objects.exists()
    assert not AuditEvent.objects.filter(event_type="retention_period_changed").exists()


def test_an_unknown_rule_is_refused(world):
    with pytest.raises(ValidationError):
        set_period(world, "incidents.everything", 10)
    assert not RetentionPeriod.objects.exists()


def test_each_change_is_one_audit_row_and_the_default_removes_the_setting(world):
    changes = AuditEvent.objects.filter(event_type="retention_period_changed").order_by("seq")

    set_period(world, "incidents.deleted", 60)
    assert list(RetentionPeriod.objects.values_list("municipality", "rule", "value")) == [
        (world.sundsvall.pk, "incidents.deleted", 60)
    ]
    set_period(world, "incidents.deleted", 60)  # no change, no row
    set_period(world, "incidents.deleted", 90)
    set_period(world, "incidents.deleted", 30)  # the default again
    assert not RetentionPeriod.objects.exists()
    assert retention.periods_for(world.sundsvall)["incidents.deleted"] == 30
    set_period(world, "incidents.all", 0)  # the default (off): nothing to change
    set_period(world, "incidents.import_files", 12)

    assert [(e.changes["rule"], e.changes["from"], e.changes["to"]) for e in changes] == [
        ("incidents.deleted", 30, 60),
        ("incidents.deleted", 60, 90),
        ("incidents.deleted", 90, 30),
        ("incidents.import_files", 24, 12),
    ]
    assert {e.municipality_id for e in changes} == {world.sundsvall.pk}
    assert changes.last().changes["unit"] == "hours"
    assert verify_chain().ok


# --- the page ---------------------------------------------------------------------------------
def client_for_admin(world) -> Client:
    c = Client()
    login(c, admin(world))
    return c


RULE_BLOCK = re.compile(r'id="rule-([\w-]+)".*?data-count="(\d+)"', re.DOTALL)


def counts_on(html: str) -> dict[str, int]:
    return {key: int(n) for key, n in RULE_BLOCK.findall(html)}


def form_values(municipality) -> dict[str, str]:
    periods = retention.periods_for(municipality)
    return {r.key: str(periods[r.key]) for r in retention.rules(retention.MUNICIPALITY)}


def _seed_page(world, now):
    return {
        "deleted": [deleted_incident(world, deleted=now - timedelta(days=d)) for d in (31, 40, 10)],
        "personal": personal_incident(world, recorded=now - timedelta(days=400)),
        "contact": tip_with_contact(world, recorded=now - timedelta(days=100)),
        "errors": job_with_errors(world, finished=now - timedelta(days=100)),
        # Timrå's rows are not Sundsvall's business
        "timra": deleted_incident(
            world, municipality=world.timra, deleted=now - timedelta(days=99)
        ),
    }


def test_the_page_shows_each_rule_with_its_count_and_no_personal_data(world):
    now = timezone.now()
    _seed_page(world, now)
    r = client_for_admin(world).get(PAGE)
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>Gallring</h1>" in html
    for label in (
        "Händelser",
        "Borttagna händelser",
        "Text med personuppgifter",
        "Kontaktuppgifter från allmänheten",
        "Felrader i importer",
        "Uppladdade filer",
    ):
        assert f">{label}:</label>" in html, label
    assert counts_on(html) == {
        "incidentsall": 0,
        "incidentsdeleted": 2,
        "incidentspersonal_text": 1,
        "incidentstip_contacts": 1,
        "incidentsimport_errors": 1,
        "incidentsimport_files": 0,
        "surveysimport_files": 0,
        "surveysimport_previews": 0,
    }
    assert "tar nästa körning bort eller tömmer 5 rader" in html
    # Swedish throughout: none of the template's or the rules' English source texts shows
    for english in ("The next run", "Every incident", "Default:", "rows.", "days"):
        assert english not in html, english
    assert 'value="30"' in html and 'value="365"' in html and 'value="24"' in html
    assert "Standard: 0 (0 = tills vidare)." in html and "Standard: 24 timmar." in html
    for secret in (SECRET_TEXT, SECRET_PLACE, SECRET_NAME, SECRET_EMAIL, SECRET_ERROR, SECRET_FILE):
        assert secret not in html, secret


def test_the_list_to_download_is_the_dry_run_of_the_municipality(world):
    now = timezone.now()
    _seed_page(world, now)
    r = client_for_admin(world).get(PAGE, {"format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    stamp = timezone.now().strftime("%Y%m%d")
    assert r["Content-Disposition"] == f'attachment; filename="gallring-2281-{stamp}.csv"'
    body = r.content.decode("utf-8")
    rows = csv_rows(body)
    assert rows == csv_rows(gallra("--dry-run", "-m", "2281", "--format", "csv"))
    assert len(rows) == 1 + 5 and {row[1] for row in rows[1:]} == {"2281"}
    for secret in (SECRET_TEXT, SECRET_PLACE, SECRET_NAME, SECRET_EMAIL, SECRET_ERROR, SECRET_FILE):
        assert secret not in body, secret
    assert Incident.objects.filter(deleted_at__isnull=False).count() == 4  # nothing removed


def test_saving_a_period_redirects_and_changes_the_count(world):
    now = timezone.now()
    _seed_page(world, now)
    c = client_for_admin(world)
    data = {**form_values(world.sundsvall), "incidents.deleted": "7"}
    r = c.post(PAGE, data)
    assert r.status_code == 302 and r["Location"] == PAGE
    assert list(RetentionPeriod.objects.values_list("rule", "value")) == [("incidents.deleted", 7)]
    (change,) = AuditEvent.objects.filter(event_type="retention_period_changed")
    assert change.actor_id == admin(world).pk and change.municipality_id == world.sundsvall.pk
    assert (change.changes["from"], change.changes["to"]) == (30, 7)
    page = c.get(PAGE).content.decode()
    assert "Gallringsfristerna sparades." in page
    assert counts_on(page)["incidentsdeleted"] == 3
    assert 'value="7"' in page


def test_a_period_out_of_range_is_shown_on_the_page_and_nothing_is_saved(world):
    c = client_for_admin(world)
    data = {
        **form_values(world.sundsvall),
        "incidents.tip_contacts": "30",  # valid on its own
        "incidents.deleted": "400",
    }
    r = c.post(PAGE, data)
    assert r.status_code == 400
    html = r.content.decode()
    assert "Mellan 1 och 365 dagar." in html
    assert 'class="field field-error" id="rule-incidentsdeleted"' in html
    assert not RetentionPeriod.objects.exists()
    assert not AuditEvent.objects.filter(event_type="retention_period_changed").exists()
    r = c.post(PAGE, {**form_values(world.sundsvall), "incidents.all": "100"})
    assert r.status_code == 400
    assert "Minst 365 dagar. 0 sparar uppgifterna tills vidare." in r.content.decode()
    assert not RetentionPeriod.objects.exists()


@pytest.mark.parametrize(
    "actor, status", [("coordinator", 403), ("analyst", 403), ("outsider", 404)]
)
def test_others_cannot_see_or_change_the_periods(world, client_for, actor, status):
    c = client_for(actor)
    assert c.get(PAGE).status_code == status
    assert c.get(PAGE, {"format": "csv"}).status_code == status
    data = {**form_values(world.sundsvall), "incidents.deleted": "7"}
    assert c.post(PAGE, data).status_code == status
    assert not RetentionPeriod.objects.exists()
    assert Client().get(PAGE).status_code == 302  # anonymous: to the sign-in page


def test_the_administration_menu_links_the_page_for_administrators_only(world, client_for):
    link = f'href="{PAGE}"'
    assert link in client_for("municipal_admin").get("/kommuner/2281/").content.decode()
    assert link not in client_for("coordinator").get("/kommuner/2281/").content.decode()


# --- what the pages say after the run ---------------------------------------------------------
def test_the_incident_and_import_pages_say_what_was_removed(
    world, client_for, django_capture_on_commit_callbacks
):
    now = timezone.now()
    incident = personal_incident(world, recorded=now - timedelta(days=400))
    job = job_with_errors(world, finished=now - timedelta(days=100))
    coordinator = client_for("coordinator")
    detail = f"/kommuner/2281/handelser/{incident.pk}/"
    imports = f"/kommuner/2281/handelser/importer/{job.pk}/"
    before = coordinator.get(detail).content.decode()
    assert SECRET_TEXT in before and 'id="text-disposed"' not in before
    before = coordinator.get(imports).content.decode()
    assert SECRET_ERROR in before and 'id="import-errors-disposed"' not in before

    with django_capture_on_commit_callbacks(execute=True):
        gallra("-m", "2281")
    day = date_format(timezone.localtime(now), "j F Y")
    page = coordinator.get(detail)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="text-disposed"' in html
    assert (
        f"Texten innehöll personuppgifter och gallrades {day} enligt kommunens gallringsregler."
        in html
    )
    assert SECRET_TEXT not in html and SECRET_PLACE not in html

    html = coordinator.get(imports).content.decode()
    assert 'id="import-errors-disposed"' in html
    assert (
        f"Importen hade 2 felrader. Detaljerna (som citerade filen) gallrades {day} "
        "enligt kommunens gallringsregler." in html
    )
    assert SECRET_ERROR not in html and 'id="import-errors"' not in html


def test_the_tip_contact_page_says_the_details_were_removed_after_the_run(world, client_for):
    """After gallring the contact page of an old tip no longer claims that the sender left
    no contact details."""
    now = timezone.now()
    contact = tip_with_contact(world, recorded=now - timedelta(days=100))
    page = f"/kommuner/2281/handelser/open311/tips/{contact.incident_id}/kontakt/"
    coordinator = client_for("coordinator")
    html = coordinator.get(page).content.decode()
    assert SECRET_EMAIL in html and 'id="contact-disposed"' not in html
    gallra("-m", "2281")
    html = coordinator.get(page).content.decode()
    assert SECRET_EMAIL not in html
    assert 'id="contact-disposed"' in html
    assert "Kontaktuppgifter sparas i 90 dagar efter att ett tips kommit in." in html
    assert "Avsändaren lämnade inga kontaktuppgifter." not in html


def test_an_installation_wide_rule_cannot_be_set_for_a_municipality(world):
    with pytest.raises(ValidationError):
        set_period(world, "core.sign_in_records", 10)
    assert not RetentionPeriod.objects.exists()


def test_details_from_a_register_go_with_the_text_they_may_hold(
    world, django_capture_on_commit_callbacks
):
    """Regression: gallring cleared the description and place of a report with personal data
    but kept the columns a register extract brought with it (``attributes``), which may name
    the same person; a report whose only text is such details is planned too."""
    now = timezone.now()
    both = personal_incident(world, recorded=now - timedelta(days=400))
    backdate(both, attributes={"Anmälare": "Anna Andersson"})
    only = personal_incident(world, recorded=now - timedelta(days=400))
    backdate(only, description="", place_description="", attributes={"Notering": "Bo B."})
    assert {i.object_id for i in retention.plan_scope(world.sundsvall, now)} == {
        str(both.pk),
        str(only.pk),
    }
    with django_capture_on_commit_callbacks(execute=True):
        gallra("-m", "2281")
    for incident in (both, only):
        incident.refresh_from_db()
        assert incident.attributes == {} and incident.description == ""
    assert "Anna Andersson" not in audit_text() and "Bo B." not in audit_text()
