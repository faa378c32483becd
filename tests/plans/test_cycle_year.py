"""The yearly cycle: entered events, events derived from plans, agreements, published
lägesbilder, survey waves and meetings, and their status with a fixed today."""

import datetime as dt

import pytest
from django.urls import reverse

from brygga.plans.selectors import cycle_year

from . import evidence as ev
from . import factories as f

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 1)


def _by_title(world, actor="coordinator"):
    return {i.title: i for i in cycle_year(world.users[actor], world.sundsvall, 2025, TODAY)}


def test_entered_and_derived_events_with_their_status(world):
    ev.cycle_event(world, "report_back", dt.date(2025, 5, 1), title="Återrapport")
    ev.cycle_event(world, "other", dt.date(2025, 6, 20), title="Samråd")
    ev.cycle_event(world, "survey", dt.date(2025, 10, 1), title="Mätning")
    ev.cycle_event(world, "situation", dt.date(2025, 3, 31), title="Lägesbild ska klar")
    ev.cycle_event(world, "other", dt.date(2024, 6, 1), title="Förra året")
    f.plan(world.sundsvall, title="Plan 2024", revise_by=dt.date(2025, 9, 30))
    f.agreement(world.sundsvall, title="Avtal", period_end=dt.date(2025, 12, 31))
    f.meeting(world.forums["safety"], title="Möte april", state="held")
    items = _by_title(world)
    assert "Förra året" not in items
    assert items["Återrapport"].status == "overdue"
    assert items["Samråd"].status == "due_soon"
    assert items["Mätning"].status == "planned"
    assert items["Lägesbild ska klar"].status == "overdue"
    revision = next(i for i in items.values() if i.kind == "plan_revision")
    assert (revision.due_on, revision.status, revision.source) == (
        dt.date(2025, 9, 30),
        "planned",
        "plan",
    )
    renewal = next(i for i in items.values() if i.kind == "agreement")
    assert (renewal.due_on, renewal.status) == (dt.date(2025, 12, 31), "planned")
    assert items["Trygghetsgrupp Centrum: Möte april"].status == "done"

    # the evidence arrives: a published lägesbild and the survey wave of 2025
    ev.published_report(world, day=dt.date(2025, 3, 2), title="Lägesbild 2024")
    ev.survey_wave(world, 2025)
    items = _by_title(world)
    entered = items["Lägesbild ska klar"]
    assert (entered.status, entered.done_on) == ("done", dt.date(2025, 3, 2))
    assert entered.evidence and entered.url
    assert items["Mätning"].status == "done"
    assert items["Lägesbild 2024"].source == "situation"
    assert items["Trygghetsmätning 2025"].status == "done"


def test_the_page_lists_events_per_month_and_the_api_agrees(world, client_for):
    ev.cycle_event(world, "report_back", dt.date(2025, 5, 1), title="Återrapport")
    f.meeting(world.forums["safety"], title="Möte april")
    client = client_for("coordinator")
    page = client.get(reverse("plans:cycle", args=["2281"]) + "?ar=2025").content.decode()
    may = page.split('data-month="5"')[1].split('data-month="6"')[0]
    assert "Återrapport" in may and 'data-kind="report_back"' in may
    april = page.split('data-month="4"')[1].split('data-month="5"')[0]
    assert "Möte april" in april
    data = client.get(reverse("api:plans-cycle-list", args=["2281"]) + "?year=2025").json()
    assert {d["title"] for d in data} >= {"Återrapport"}
    assert any(d["source"] == "meeting" for d in data)
    # the viewer does not sit in the safety group: its meeting is not in their cycle
    viewer = (
        client_for("viewer")
        .get(reverse("api:plans-cycle-list", args=["2281"]) + "?year=2025")
        .json()
    )
    assert [d["title"] for d in viewer] == ["Återrapport"]


def test_coordinator_enters_an_event_and_bad_input_is_a_message(world, client_for):
    client = client_for("coordinator")
    url = reverse("plans:cycle_event_new", args=["2281"])
    bad = client.post(url, {"kind": "survey", "title": "", "due_on": "inte-ett-datum"})
    assert bad.status_code == 400
    ok = client.post(url, {"kind": "survey", "title": "Trygghetsmätning", "due_on": "2025-09-01"})
    assert ok.status_code == 302 and "ar=2025" in ok["Location"]
    assert (
        client_for("analyst")
        .post(url, {"kind": "other", "title": "x", "due_on": "2025-01-01"})
        .status_code
        == 403
    )
