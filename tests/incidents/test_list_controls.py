"""The list's own controls: free-text search (never in text the user may not read), sorting by
column, quick date choices, the date-order error and the summary line."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brygga.incidents.filters import IncidentFilter
from brygga.incidents.models import Incident, Status

from .factories import CENTRE, PoliceEventFactory, category, make_incident

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281/handelser/"


def _ids(response) -> list[int]:
    return [i.pk for i in response.context["page"].object_list]


def _ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


# --- search ---------------------------------------------------------------------------------
def test_search_matches_category_place_and_readable_text(world, client_for):
    window = make_incident(world, place_description="Köpmangatan 12")
    graffiti = make_incident(world, category=category("klotter-stotande"))
    text = make_incident(world, description="Krossad busskurs vid hållplatsen")
    police = PoliceEventFactory(source_type="Rån väpnat", description="Ett rån i centrum")
    c = client_for("coordinator")
    assert _ids(c.get(f"{BASE}?q=köpmangatan")) == [window.pk]
    main = category("klotter")  # the main category's name finds its sub-categories
    assert set(_ids(c.get(f"{BASE}?q={main.name.split()[0]}"))) >= {graffiti.pk}
    assert _ids(c.get(f"{BASE}?q=busskurs")) == [text.pk]
    assert _ids(c.get(f"{BASE}?q=väpnat")) == [police.pk]
    # every word must match, in any field
    assert _ids(c.get(f"{BASE}?q=busskurs hållplatsen")) == [text.pk]
    assert _ids(c.get(f"{BASE}?q=busskurs köpmangatan")) == []
    # the search narrows the other filters' selection
    assert _ids(c.get(f"{BASE}?q=busskurs&source=police")) == []


def _search(user, q: str) -> set[int]:
    request = RequestFactory().get("/", {"q": q})
    request.user = user
    # the whole table, not the user's selection: the search alone must keep the text private
    f = IncidentFilter(request.GET, queryset=Incident.objects.all(), request=request)
    return set(f.qs.values_list("pk", flat=True))


def test_search_never_matches_personal_text_the_user_may_not_read(world, client_for):
    """Privacy: a word of a description with personal data must not find the incident for
    someone who may not read that description (a hit would reveal the word)."""
    secret = make_incident(
        world,
        has_personal_data=True,
        description="Anmälaren Hemligsson såg det",
        place_description="Torget",
    )
    open_one = make_incident(world, description="Hemligsson-skylten är nedklottrad")
    # the filter on its own, over every row
    assert _search(world.users["viewer"], "Hemligsson") == {open_one.pk}
    assert _search(world.users["analyst"], "Hemligsson") == {open_one.pk}
    assert _search(world.users["outsider"], "Hemligsson") == {open_one.pk}
    # the place is no personal data: found by its place, the incident is not hidden by the search
    assert secret.pk in _search(world.users["viewer"], "Torget")
    # those who may read the text: the reporting organisation, the coordinator, the admin
    assert _search(world.users["reporter"], "Hemligsson") == {secret.pk, open_one.pk}
    assert _search(world.users["coordinator"], "Hemligsson") == {secret.pk, open_one.pk}
    assert _search(world.users["system_admin"], "Hemligsson") == {secret.pk, open_one.pk}
    # and the page
    r = client_for("viewer").get(f"{BASE}?q=Hemligsson")
    assert _ids(r) == [open_one.pk]
    assert r.context["summary"]["total"] == 1
    assert set(_ids(client_for("coordinator").get(f"{BASE}?q=Hemligsson"))) == {
        secret.pk,
        open_one.pk,
    }


def test_search_in_the_api_keeps_personal_text_private(world, client_for):
    make_incident(world, has_personal_data=True, description="Hemligsson igen")
    r = client_for("viewer").get("/api/v1/incidents/?municipality=2281&q=Hemligsson")
    assert r.status_code == 200 and r.json()["results"] == []


def test_an_export_of_a_search_logs_no_search_words(world, client_for):
    from brygga.audit.models import AuditEvent

    found = make_incident(world, place_description="Hos Anna Andersson")
    r = client_for("coordinator").get(f"{BASE}export/csv/?q=Andersson")
    body = b"".join(r.streaming_content).decode("utf-8-sig")
    assert r.status_code == 200 and str(found.pk) in body
    event = AuditEvent.objects.get(event_type="incidents_exported")
    assert event.changes["filters"] == {"q": "[search]"} and event.changes["rows"] == 1
    assert "Andersson" not in str(event.changes)


# --- sorting --------------------------------------------------------------------------------
@pytest.fixture
def three(world):
    return {
        "old": make_incident(
            world,
            occurred_from=_ago(3),
            category=category("klotter-stotande"),
            area=world.areas["nacksta"],
            status=Status.REVIEWED,
        ),
        "mid": make_incident(
            world,
            occurred_from=_ago(2),
            category=category("skadegorelse-fonster"),
            area=None,
            status=Status.NEW,
        ),
        "new": make_incident(
            world,
            occurred_from=_ago(1),
            category=category("klotter-stotande"),
            area=world.areas["centrum"],
            status=Status.REJECTED,
        ),
    }


def _order(client, ordning: str, three) -> list[str]:
    names = {v.pk: k for k, v in three.items()}
    return [names[pk] for pk in _ids(client.get(f"{BASE}?ordning={ordning}"))]


def test_sort_by_each_column(world, client_for, three):
    c = client_for("coordinator")
    cat = {i.category.name for i in three.values()}
    assert len(cat) == 2
    assert _order(c, "", three) == ["new", "mid", "old"]  # default: newest first
    assert _order(c, "nar", three) == ["old", "mid", "new"]
    assert _order(c, "-nar", three) == ["new", "mid", "old"]
    klotter_first = three["old"].category.name < three["mid"].category.name
    by_category = ["new", "old", "mid"] if klotter_first else ["mid", "new", "old"]
    assert _order(c, "kategori", three) == by_category  # equal names: newest first
    assert _order(c, "omrade", three) == ["new", "old", "mid"]  # Centrum, Nacksta, none last
    assert _order(c, "-omrade", three) == ["old", "new", "mid"]
    assert _order(c, "status", three) == ["mid", "old", "new"]  # new, reviewed, rejected
    assert _order(c, "-status", three) == ["new", "old", "mid"]
    # anything else is the default, never an error or a field name from the query string
    for bad in ("description", "-has_personal_data", "--nar", "nar;drop", "pk"):
        assert _order(c, bad, three) == ["new", "mid", "old"], bad


def test_sort_headers_are_links_with_aria_sort(world, client_for, three):
    c = client_for("coordinator")
    html = c.get(f"{BASE}?status=new").content.decode()
    heads = re.findall(r"<th scope=\"col\"([^>]*)>(.*?)</th>", html)
    assert [a for a, _ in heads].count(' aria-sort="descending"') == 1
    assert heads[0][0] == ' aria-sort="descending"' and "När" in heads[0][1]
    # the sorted column's link reverses it, the others sort ascending; the filter is kept
    assert "ordning=nar" in heads[0][1] and "status=new" in heads[0][1]
    assert "ordning=kategori" in heads[1][1]
    html = c.get(f"{BASE}?ordning=omrade&sida=2").content.decode()
    heads = re.findall(r"<th scope=\"col\"([^>]*)>(.*?)</th>", html)
    assert [a for a, _ in heads] == ["", "", ' aria-sort="ascending"', "", ""]
    assert "ordning=-omrade" in heads[2][1] and "sida" not in heads[2][1]
    assert "Händelser efter ”Var”, stigande" in html
    # the filter form keeps the order
    assert '<input type="hidden" name="ordning" value="omrade">' in html


# --- dates ----------------------------------------------------------------------------------
def test_from_after_to_is_a_swedish_form_error_not_an_empty_list(world, client_for, three):
    r = client_for("coordinator").get(f"{BASE}?date_from=2026-02-01&date_to=2026-01-01")
    assert r.status_code == 200
    errors = r.context["filter"].errors
    assert list(errors) == ["date_to"]
    assert "är före" in errors["date_to"][0] and "2026-02-01" in errors["date_to"][0]
    assert "är före" in r.content.decode()
    # the dates are left out: the list shows the selection without them, not zero rows
    assert len(_ids(r)) == 3


def test_quick_date_choices_fill_the_dates(world, client_for):
    today = timezone.localdate()
    recent = make_incident(world, occurred_from=_ago(2))
    month = make_incident(world, occurred_from=_ago(20))
    last_year = make_incident(
        world,
        occurred_from=timezone.make_aware(dt.datetime(today.year - 1, 6, 15, 12)),
    )
    c = client_for("coordinator")
    r = c.get(f"{BASE}?source=manual")
    links = {str(d["label"]): d for d in r.context["quick_dates"]}
    assert list(links) == ["Senaste 7 dagarna", "Senaste 30 dagarna", "I år", "Förra året"]
    week = links["Senaste 7 dagarna"]["query"]
    assert f"date_from={(today - dt.timedelta(days=6)).isoformat()}" in week
    assert f"date_to={today.isoformat()}" in week and "source=manual" in week
    assert _ids(c.get(f"{BASE}?{week}")) == [recent.pk]
    assert _ids(c.get(f"{BASE}?{links['Senaste 30 dagarna']['query']}")) == [recent.pk, month.pk]
    assert _ids(c.get(f"{BASE}?{links['Förra året']['query']}")) == [last_year.pk]
    r = c.get(f"{BASE}?{links['Förra året']['query']}")
    assert [d["current"] for d in r.context["quick_dates"]] == [False, False, False, True]
    assert 'aria-current="true">Förra året</a>' in r.content.decode()


# --- summary --------------------------------------------------------------------------------
def test_summary_line_counts_incidents_and_police_events_in_one_query(world, client_for):
    for _ in range(3):
        make_incident(world, lat=CENTRE[0], lon=CENTRE[1])
    PoliceEventFactory(source_id="p-1")
    PoliceEventFactory(source_id="p-2")
    c = client_for("coordinator")
    with CaptureQueriesContext(connection) as queries:
        r = c.get(BASE)
    assert "5 händelser, varav 2 polisens" in r.content.decode()
    assert r.context["summary"] == {"total": 5, "police": 2, "capped": False}
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1, counts
    # narrowed by the filter
    r = c.get(f"{BASE}?source=manual")
    assert r.context["summary"] == {"total": 3, "police": 0, "capped": False}
    text = r.content.decode()
    assert "3 händelser" in text and "varav" not in text


def test_summary_line_says_more_than_the_cap(world, client_for, monkeypatch):
    from brygga.incidents.views import lists

    monkeypatch.setattr(lists, "LIST_COUNT_CAP", 2)
    for _ in range(3):
        make_incident(world)
    r = client_for("coordinator").get(BASE)
    assert r.context["summary"]["capped"] is True
    assert "Fler än 2 händelser" in r.content.decode()
