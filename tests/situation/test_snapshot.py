"""The lägesbild's snapshot: its figures equal the dashboard's and direct counts of the
incidents; a published report shows the same after new incidents are added (issue #15's
Done-when); for the public every count under k is hidden and no hidden cell can be worked out
from a shown total; free-text observations stay with the partners."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from django.http import QueryDict

from brygga.audit.context import acting_as
from brygga.incidents.models import Category
from brygga.incidents.services.rollups import rebuild_counts
from brygga.situation import figures, services
from brygga.situation.audiences import recoverable_cells
from brygga.situation.models import SECTION_KEYS
from brygga.situation.scope import Period, scope_from_query
from brygga.situation.snapshot import COUNT_COLUMNS, build_snapshot, report_query

from ..incidents.factories import IncidentFactory, category
from .test_figures import counted, events, make_incidents

pytestmark = pytest.mark.django_db

YEAR = Period.parse("2025")
K = 5


@pytest.fixture
def data(world):
    make_incidents(world)
    return world


def _report(world, audience="partners", texts=None):
    return services.report_create(
        actor=world.users["coordinator"],
        municipality=world.sundsvall,
        title="Lägesbild 2025",
        period_start=YEAR.start,
        period_end=YEAR.end,
        scope={"period": "2025", "lager": str(world.areas["centrum"].layer_id)},
        forum=world.forums["safety"],
        audience=audience,
        texts=texts or {},
    )


def _tables(snap) -> dict:
    return {t["key"]: t for key in SECTION_KEYS for t in snap[key]["tables"]}


def _column(table, col):
    i = table["columns"].index(col)
    return [r[i] for r in table["rows"]]


def test_the_snapshot_holds_every_section_and_equals_the_dashboard(data):
    world = data
    coordinator = world.users["coordinator"]
    report = _report(world)
    snap = build_snapshot(coordinator, report)
    assert list(snap) == ["meta", *SECTION_KEYS]
    json.dumps(snap)  # JSON-safe as it is
    scope = scope_from_query(coordinator, world.sundsvall, report_query(report))
    d = figures.dashboard(coordinator, scope)
    # the headline against a direct count from Incident
    direct = events(counted(world, YEAR))
    assert snap["meta"]["headline"]["events"] == direct == d.headline.events
    assert snap["meta"]["headline"]["previous_events"] == events(counted(world, YEAR.previous()))
    tables = _tables(snap)
    # per main category: direct counts
    cats = tables["kategorier"]
    for code, n in zip(_column(cats, "key"), _column(cats, "events"), strict=True):
        main = Category.objects.get(code=code)
        assert n == events(counted(world, YEAR, main=main))
    # per area: the incidents placed in the area
    areas = tables["omraden"]
    for name, n in zip(_column(areas, "name"), _column(areas, "events"), strict=True):
        area = next(a for a in world.areas.values() if a.name == name)
        assert n == events(counted(world, YEAR, area=[area]))
    # the weekday × hour table and the months equal the dashboard's
    heat = tables["veckodag-timme"]
    assert [r[1:25] for r in heat["rows"]] == d.heat.cells
    assert _column(tables["manader"], "events") == [m.events for m in d.months.months]
    # the generated text states the count, and the charts are drawn on the server
    assert f"{direct} " in " ".join(snap["summary"]["paragraphs"]).replace("\u00a0", " ")
    assert any('role="img"' in c for c in snap["crime"]["charts"])
    assert tables["prioriteringar"]["rows"], "the ranking of the layer's areas is saved"


def test_a_published_report_is_unchanged_after_new_incidents(data):
    world = data
    coordinator = world.users["coordinator"]
    report = _report(world, texts={"summary": "Lugnt år."})
    published = services.report_publish(
        actor=coordinator, report=report, snapshot=build_snapshot(coordinator, report)
    )
    frozen = json.loads(json.dumps(published.snapshot))
    before = published.snapshot["meta"]["headline"]["events"]
    with acting_as(label="test setup"):
        for i in range(7):
            IncidentFactory(
                municipality=world.sundsvall,
                category=category("klotter"),
                occurred_from=dt.datetime(2025, 6, 10 + i, 12, tzinfo=dt.UTC),
                count=1,
                reporting_organisation=world.orgs["field"],
                area=world.areas["centrum"],
            )
    rebuild_counts(municipality_id=world.sundsvall.pk)
    published.refresh_from_db()
    assert published.snapshot == frozen
    assert published.snapshot["meta"]["headline"]["events"] == before
    assert published.snapshot["summary"]["text"] == "Lugnt år."
    # what it would show now is different: the freeze is what keeps it
    assert events(counted(world, YEAR)) == before + 7


def _int_cells(table):
    """(column, value) of every integer in a count column (and the heat table's hours)."""
    hours = {f"{h:02d}" for h in range(24)}
    for i, col in enumerate(table["columns"]):
        if col in COUNT_COLUMNS or col in hours or col.startswith("events"):
            for row in table["rows"]:
                if isinstance(row[i], int) and not isinstance(row[i], bool):
                    yield col, row[i]


def test_for_the_public_no_count_under_k_and_no_recoverable_cell(data, settings):
    settings.BRYGGA_SITUATION_MIN_COUNT = K
    world = data
    coordinator = world.users["coordinator"]
    texts = {"other": "Polisen ser mer langning vid skolan.", "summary": "Sammanfattning."}
    public = build_snapshot(coordinator, _report(world, "public", texts))
    open_ = build_snapshot(coordinator, _report(world, "partners", texts))
    public_tables, open_tables = _tables(public), _tables(open_)
    hidden_seen = 0
    for key, table in public_tables.items():
        for col, value in _int_cells(table):
            assert value >= K, (key, col, value)
        hidden_seen += sum(row.count(f"<{K}") for row in table["rows"])
    assert hidden_seen > 0, "the data holds small counts, so something must be hidden"
    # every protected line: no hidden cell follows from the shown cells and the shown total
    for key in ("kategorier", "omraden", "kallor", "veckor", "manader"):
        for col in ("events", "previous_period"):
            if col not in open_tables[key]["columns"]:
                continue
            values = np.array(_column(open_tables[key], col), dtype=np.int64)
            hidden = np.array([v == f"<{K}" for v in _column(public_tables[key], col)])
            assert recoverable_cells(values, hidden, True, K) == [], (key, col)
            # rates and shares of a hidden cell are hidden too
            if "rate_per_1000" in public_tables[key]["columns"] and col == "events":
                for row_hidden, rate in zip(
                    hidden, _column(public_tables[key], "rate_per_1000"), strict=True
                ):
                    assert not row_hidden or rate is None
    heat = public_tables["veckodag-timme"]
    open_heat = open_tables["veckodag-timme"]
    for row, open_row in zip(heat["rows"], open_heat["rows"], strict=True):
        hidden = np.array([v == f"<{K}" for v in row[1:25]])
        total_shown = row[25] != f"<{K}"
        assert recoverable_cells(open_row[1:25], hidden, total_shown, K) == []
    # nor can a weekday's hidden total be worked out from the shown headline
    if isinstance(public["meta"]["headline"]["events"], int):
        totals = [row[25] for row in open_heat["rows"]]
        hidden = np.array([row[25] == f"<{K}" for row in heat["rows"]])
        assert recoverable_cells(totals, hidden, True, K) == []
    # the free-text observations stay with the partners; the analyst's summary is kept
    assert public["other"]["text"] == "" and open_["other"]["text"] == texts["other"]
    assert public["summary"]["text"] == "Sammanfattning."
    # the paragraphs state no hidden count: a hidden category is not named with a number
    hidden_cats = [r[1] for r in public_tables["kategorier"]["rows"] if r[2] == f"<{K}"]
    crime_text = " ".join(public["crime"]["paragraphs"])
    for name in hidden_cats:
        assert f"{name} (" not in crime_text
    assert "<5" in " ".join(public["sources"]["paragraphs"])
    assert public["meta"]["min_count"] == K and open_["meta"]["min_count"] is None


def test_a_report_of_a_forum_reads_the_forums_areas(data):
    world = data
    coordinator = world.users["coordinator"]
    report = _report(world)
    forum = world.forums["safety"]
    report.scope = {"period": "2025-K2", "forum": str(forum.pk)}
    report.period_start, report.period_end = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    q = report_query(report)
    # the report's own period wins over a stale one in its scope
    assert q["forum"] == str(forum.pk) and q["period"] == "2025-01-01..2025-12-31"
    scope = scope_from_query(coordinator, world.sundsvall, QueryDict(q.urlencode()))
    assert scope.forum == forum and scope.areas
    snap = build_snapshot(coordinator, report)
    assert snap["meta"]["scope_title"] == scope.title
    assert snap["meta"]["headline"]["events"] == events(counted(world, YEAR, area=scope.areas))
