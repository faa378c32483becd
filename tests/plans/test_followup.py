"""The report-back (återrapportering): what a draft shows equals the plan's rows counted
directly, issuing freezes it, who may make and issue one, bad input, the PDF and the API."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.audit.models import AuditEvent
from brygga.plans import services
from brygga.plans.followup import build_snapshot
from brygga.plans.models import Evaluation, FollowUpReport, IndicatorValue, link_defaults

from . import factories as f

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281/aterrapporter/"


def _at(day: dt.date, hour: int = 18) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def plan_world(world):
    """A plan of the safety group with two measures, operations inside and outside the first
    half of 2025, a promise, an evaluation and a draft report-back of that half year."""
    plan = f.plan(world.sundsvall, forum=world.forums["safety"])
    problem = f.problem(plan, offender="Unga vuxna", place="Torget", victim="Handlare")
    promise = f.promise(world.sundsvall, title="Tryggare torg")
    with acting_as(label="test setup"):
        promise.problems.set([problem], through_defaults=link_defaults(promise))
    walk = f.measure(
        plan,
        world.orgs["field"],
        title="Helgvandringar",
        status="ongoing",
        problem=problem,
        promise=promise,
    )
    school = f.measure(plan, world.orgs["social"], title="Skolkontakt", status="planned")
    hours = {walk.pk: Decimal(0), school.pk: Decimal(0)}
    counts = {walk.pk: 0, school.pk: 0}
    for measure, day, h in [
        (walk, dt.date(2025, 1, 10), "4.5"),
        (walk, dt.date(2025, 3, 7), "8.0"),
        (walk, dt.date(2025, 6, 30), "2.0"),
        (walk, dt.date(2025, 7, 1), "99.0"),  # after the period
        (school, dt.date(2024, 12, 31), "50.0"),  # before it
        (school, dt.date(2025, 2, 2), "1.5"),
    ]:
        f.operation(
            world.sundsvall,
            measure=measure,
            started_at=_at(day),
            hours=Decimal(h),
            organisations=[measure.owner],
        )
        if dt.date(2025, 1, 1) <= day <= dt.date(2025, 6, 30):
            hours[measure.pk] += Decimal(h)
            counts[measure.pk] += 1
    with acting_as(label="test setup"):
        evaluation = Evaluation.objects.create(
            municipality=world.sundsvall,
            measure=walk,
            title="Torget före och efter",
            before_start=dt.date(2024, 1, 1),
            before_end=dt.date(2024, 12, 31),
            after_start=dt.date(2025, 1, 1),
            after_end=dt.date(2025, 6, 30),
            result={
                "method": "did_poisson",
                "rate_ratio": 0.71,
                "ci_lower": 0.55,
                "ci_upper": 0.92,
                "p_value": 0.01,
            },
            reading="minskning med 29 %",
        )
    report = services.follow_up_create(
        actor=world.users["coordinator"],
        plan=plan,
        title="Återrapport våren 2025",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 6, 30),
        learned="Helgvandringarna nådde fler unga än skolkontakten.",
    )
    world.fu = {
        "plan": plan,
        "walk": walk,
        "school": school,
        "promise": promise,
        "hours": hours,
        "counts": counts,
        "evaluation": evaluation,
        "report": report,
    }
    return world


def test_the_draft_shows_each_measure_with_the_work_of_the_period(plan_world):
    w = plan_world.fu
    s = build_snapshot(plan_world.users["coordinator"], w["report"])
    rows = {m["id"]: m for m in s["measures"]}
    assert set(rows) == {w["walk"].pk, w["school"].pk}
    for pk in rows:
        assert rows[pk]["operations"] == w["counts"][pk]
        assert rows[pk]["hours"] == float(w["hours"][pk])
    assert rows[w["walk"].pk]["status"] == "ongoing"
    assert s["meta"]["operations"] == sum(w["counts"].values()) == 4
    assert s["meta"]["hours"] == float(sum(w["hours"].values())) == 16.0
    assert s["meta"]["measures_by_status"] == {"ongoing": 1, "planned": 1}
    assert [p["id"] for p in s["promises"]] == [w["promise"].pk]
    assert s["evaluations"][0]["rate_ratio"] == 0.71
    assert s["learned"].startswith("Helgvandringarna")


def test_the_indicators_stand_against_their_baseline_and_target(plan_world):
    """A manual quarterly series: the baseline is the mean of 2024's quarters, the latest value
    the last quarter that is over at the end of the period, the target met when it is at or
    under the target (lower is better)."""
    w = plan_world.fu
    ind = f.indicator(
        plan_world.sundsvall,
        measure=w["walk"],
        name="Otrygga kvällar",
        source="manual",
        granularity="quarter",
        target_value=8.0,
    )
    values = {
        (2024, 1): 10,
        (2024, 4): 12,
        (2024, 7): 8,
        (2024, 10): 10,
        (2025, 1): 7,
        (2025, 4): 6,
        (2025, 7): 1,
    }
    with acting_as(label="test setup"):
        for (year, month), value in values.items():
            start = dt.date(year, month, 1)
            end = dt.date(year + (month == 10), (month + 3 - 1) % 12 + 1, 1) - dt.timedelta(days=1)
            IndicatorValue.objects.create(
                indicator=ind, period_start=start, period_end=end, value=value
            )
    row = build_snapshot(plan_world.users["coordinator"], w["report"])["indicators"][0]
    baseline = (10 + 12 + 8 + 10) / 4
    assert row["baseline"] == baseline
    assert row["current"] == 6  # 2025 Q2; Q3 lies after the period
    assert row["change_pct"] == round(100 * (6 - baseline) / baseline, 4)
    assert row["target_met"] is True


def test_a_forum_member_reads_it_but_the_viewer_does_not(plan_world, client_for):
    pk = plan_world.fu["report"].pk
    assert client_for("reporter").get(f"{BASE}{pk}/").status_code == 200
    assert client_for("viewer").get(f"{BASE}{pk}/").status_code == 404
    assert client_for("outsider").get(f"{BASE}{pk}/").status_code == 404


def test_only_coordinators_make_and_issue_report_backs(plan_world):
    w = plan_world.fu
    for actor in ("reporter", "analyst", "viewer"):
        with pytest.raises(PermissionDenied):
            services.follow_up_create(
                actor=plan_world.users[actor],
                plan=w["plan"],
                title="x",
                period_start=dt.date(2025, 1, 1),
                period_end=dt.date(2025, 2, 1),
            )
        with pytest.raises(PermissionDenied):
            services.follow_up_issue(actor=plan_world.users[actor], report=w["report"], snapshot={})


def test_issuing_freezes_what_it_shows(plan_world, client_for):
    w = plan_world.fu
    coordinator = client_for("coordinator")
    url = f"{BASE}{w['report'].pk}/"
    assert coordinator.post(url + "utfarda/").status_code == 302
    report = FollowUpReport.objects.get(pk=w["report"].pk)
    assert report.state == "issued" and report.snapshot["meta"]["operations"] == 4
    event = AuditEvent.objects.filter(event_type="follow_up_issued").get()
    assert len(event.changes["sha256"]) == 64
    # more work is logged in the period: the issued report-back does not change
    f.operation(
        plan_world.sundsvall,
        measure=w["walk"],
        started_at=_at(dt.date(2025, 5, 5)),
        hours=Decimal("30.0"),
    )
    page = coordinator.get(url).content.decode()
    assert 'data-state="issued"' in page
    row = page[page.index(f'data-measure="{w["walk"].pk}"') :].split("</tr>")[0]
    assert "14,5" in row  # 4.5 + 8.0 + 2.0 hours in the period, not the 30 logged later
    api = coordinator.get(f"/api/v1/plans/2281/follow-ups/{report.pk}/").json()
    assert api["content"]["meta"]["operations"] == 4 and api["state"] == "issued"
    # and it can no longer be edited or issued again
    assert (
        coordinator.post(
            url, {"title": "Ny", "period_start": "2025-01-01", "period_end": "2025-06-30"}
        ).status_code
        == 403
    )
    assert coordinator.get(url + "utfarda/").status_code == 403


def test_a_period_that_ends_before_it_starts_is_refused_on_the_form(plan_world, client_for):
    w = plan_world.fu
    response = client_for("coordinator").post(
        f"/kommuner/2281/planer/{w['plan'].pk}/aterrapporter/ny/",
        {"title": "Fel", "period_start": "2025-06-30", "period_end": "2025-01-01"},
    )
    assert response.status_code == 200
    assert 'id="id_period_end_error"' in response.content.decode()
    assert not FollowUpReport.objects.filter(title="Fel").exists()


def test_the_pdf_holds_every_measure_and_the_lessons(plan_world, client_for):
    w = plan_world.fu
    response = client_for("reporter").get(f"{BASE}{w['report'].pk}/aterrapport.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = pdfium.PdfDocument(io.BytesIO(response.content))
    text = "".join(pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf)))
    flat = " ".join(text.split())
    for needle in (
        "Helgvandringar",
        "Skolkontakt",
        "Tryggare torg",
        "Torget före och efter",
        "nådde fler unga",
    ):
        assert needle in flat, needle


def test_the_api_lists_the_report_backs_the_client_may_read(plan_world, client_for):
    pk = plan_world.fu["report"].pk
    listed = client_for("reporter").get("/api/v1/plans/2281/follow-ups/").json()
    assert [r["id"] for r in listed] == [pk]
    assert client_for("viewer").get("/api/v1/plans/2281/follow-ups/").json() == []
    detail = client_for("analyst").get(f"/api/v1/plans/2281/follow-ups/{pk}/").json()
    assert detail["state"] == "draft" and len(detail["content"]["measures"]) == 2
