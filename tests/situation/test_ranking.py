"""Priority areas: every factor equals a direct count from the incidents (placed in the areas)
and the stored population, survey and context figures; the standardisation and the weighted
score are recomputed here independently; the weights in the URL change the order; a missing
factor is left out and the weights renormalised; the sentence names the two largest
contributions; the exports hold the page's table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import statistics
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.http import QueryDict
from django.urls import reverse
from openpyxl import load_workbook

from brygga.areastats.readers import ParsedStats, StatRow
from brygga.areastats.services import import_area_stats
from brygga.audit.context import acting_as
from brygga.incidents.models import Incident, IncidentPlacement, Source, Status
from brygga.incidents.rollup_models import COUNTED
from brygga.incidents.services.rollups import day_start, rebuild_counts
from brygga.situation.ranking import (
    DEFAULT_WEIGHTS,
    FACTORS,
    quarterly_group_ranking,
    rank_areas,
)
from brygga.situation.ranking_score import PHRASES
from brygga.situation.scope import scope_from_query

from ..core.factories import AreaFactory
from ..incidents.factories import IncidentFactory, PoliceEventFactory
from ..surveys.factories import make_wave

YEAR = 2025
CONTEXT = "Andel med låg ekonomisk standard, procent"
POPULATION = {"centrum": 2000, "nacksta": 1000, "haga": 4000}  # Stöde has none
CONTEXT_VALUES = {"centrum": 12.0, "nacksta": 30.0, "haga": 8.0, "stode": 15.0}


def _when(year: int, month: int, day: int = 10) -> dt.datetime:
    return day_start(dt.date(year, month, day)) + dt.timedelta(hours=13)


@pytest.fixture
def ranked(world):
    s, c = world.sundsvall, world.users["coordinator"]
    areas = dict(world.areas)
    with acting_as(label="test setup"):
        layer = areas["centrum"].layer
        areas["haga"] = AreaFactory(municipality=s, name="Haga", layer=layer, geometry=None)
        areas["stode"] = AreaFactory(municipality=s, name="Stöde", layer=layer, geometry=None)
        # partners' reports, register rows and public tips in the year, and a year earlier
        plan = {
            "centrum": (30, 10, 5),  # (this year, a year earlier, police events this year)
            "nacksta": (25, 25, 1),
            "haga": (12, 2, 0),
            "stode": (4, 1, 2),
        }
        for key, (now, before, police) in plan.items():
            area = areas[key]
            for i in range(now):
                source = [Source.MANUAL, Source.IMPORT, Source.OPEN311][i % 3]
                IncidentFactory(
                    municipality=s,
                    area=area,
                    occurred_from=_when(YEAR, 1 + i % 12),
                    source=source,
                    status=Status.REVIEWED,
                    count=2 if i == 0 else 1,
                )
            for i in range(before):
                IncidentFactory(
                    municipality=s, area=area, occurred_from=_when(YEAR - 1, 1 + i % 12)
                )
            for i in range(police):
                PoliceEventFactory(municipality=s, area=area, occurred_from=_when(YEAR, 3 + i))
        # not counted: rejected, deleted, a new public tip, and outside the period
        IncidentFactory(
            municipality=s, area=areas["haga"], occurred_from=_when(YEAR, 5), status=Status.REJECTED
        )
        IncidentFactory(
            municipality=s,
            area=areas["haga"],
            occurred_from=_when(YEAR, 5),
            source=Source.OPEN311,
            status=Status.NEW,
        )
        IncidentFactory(municipality=s, area=areas["haga"], occurred_from=_when(YEAR + 1, 1))
        rebuild_counts(municipality_id=s.pk)
        parsed = ParsedStats(file_name="test", title="test", source="Test")
        for i, key in enumerate(["centrum", "nacksta", "haga", "stode"], start=1):
            if key in POPULATION:
                parsed.rows.append(
                    StatRow(
                        f"T{i}",
                        key,
                        YEAR,
                        "Folkmängd, totalt",
                        "antal",
                        Decimal(POPULATION[key]),
                        i,
                        "A",
                    )
                )
            parsed.rows.append(
                StatRow(
                    f"T{i}",
                    key,
                    YEAR,
                    CONTEXT,
                    "procent",
                    Decimal(str(CONTEXT_VALUES[key])),
                    i + 10,
                    "A",
                )
            )
        import_area_stats(
            actor=c,
            municipality=s,
            parsed=parsed,
            known_areas={
                f"T{i}": areas[k]
                for i, k in enumerate(["centrum", "nacksta", "haga", "stode"], start=1)
            },
        )
    make_wave(
        c,
        s,
        YEAR,
        {
            areas["centrum"]: {"n": 60, "level": 0.6},
            areas["nacksta"]: 50,
            areas["haga"]: 40,
            areas["stode"]: 8,
        },
    )
    world.areas.update(areas)
    return world


def _scope(world, **params):
    q = QueryDict(mutable=True)
    q["period"] = str(YEAR)
    for k, v in params.items():
        q[k] = v
    return scope_from_query(world.users["coordinator"], world.sundsvall, q)


def _direct(area, year, *, police: bool) -> int:
    """Events of the incidents placed in ``area`` in ``year``, straight from the incidents."""
    incidents = Incident.objects.filter(
        COUNTED,
        occurred_from__gte=day_start(dt.date(year, 1, 1)),
        occurred_from__lt=day_start(dt.date(year + 1, 1, 1)),
    )
    incidents = (
        incidents.filter(source=Source.POLICE)
        if police
        else incidents.exclude(source=Source.POLICE)
    )
    ids = IncidentPlacement.objects.filter(area=area).values("incident_id")
    return incidents.filter(pk__in=ids).aggregate(n=Sum("count"))["n"] or 0


def _zscores(values: dict) -> dict:
    present = {k: v for k, v in values.items() if v is not None}
    mean = statistics.fmean(present.values())
    sd = statistics.pstdev(present.values())
    return {k: (v - mean) / sd if sd else 0.0 for k, v in present.items()}


def test_factor_values_equal_direct_computations(ranked):
    w = ranked
    result = rank_areas(w.users["coordinator"], _scope(w))
    by_name = {a.name: a for a in result.areas}
    assert set(by_name) == {"Centrum", "Nacksta", "Haga", "Stöde"}
    for key, area in [(k, w.areas[k]) for k in ("centrum", "nacksta", "haga", "stode")]:
        row = by_name[area.name]
        events, before = _direct(area, YEAR, police=False), _direct(area, YEAR - 1, police=False)
        police = _direct(area, YEAR, police=True)
        assert row.events == events and row.police_events == police
        if key in POPULATION:
            assert row.values["rate"].raw == pytest.approx(events * 1000 / POPULATION[key])
            assert row.values["police"].raw == pytest.approx(police * 1000 / POPULATION[key])
        else:
            assert row.values["rate"].raw is None and row.values["police"].raw is None
        if events + before >= 10:
            assert row.values["trend"].raw == pytest.approx(math.log((events + 1) / (before + 1)))
        else:
            assert row.values["trend"].raw is None  # Stöde: 4 + 1 events, too few
        assert row.values["context"].raw == pytest.approx(CONTEXT_VALUES[key])
    # the counted events: each area's first report counts 2; Haga's rejected, new tip and
    # next year's report are left out
    assert by_name["Centrum"].events == 31 and by_name["Haga"].events == 13
    # the survey: the otrygghetsindex as the survey's own selector gives it; Stöde's 8
    # respondents are too few (suppressed → missing)
    from brygga.surveys.selectors import survey_indicators

    data = survey_indicators(w.sundsvall, YEAR, user=w.users["coordinator"])
    for key in ("centrum", "nacksta", "haga"):
        cell = data["areas"][w.areas[key].pk]["indices"]["otrygghetsindex"]
        assert by_name[w.areas[key].name].values["survey"].raw == pytest.approx(cell["mean"])
    assert by_name["Stöde"].values["survey"].raw is None
    assert result.context_series == CONTEXT and not result.context_low_is_need


def test_score_is_the_weighted_mean_of_z_scores_renormalised_over_available_factors(ranked):
    w = ranked
    weights = {"rate": 4, "trend": 1, "police": 3, "survey": 2, "context": 5}
    result = rank_areas(w.users["coordinator"], _scope(w), weights)
    raw = {f: {a.name: a.values[f].raw for a in result.areas} for f in FACTORS}
    z = {f: _zscores(raw[f]) for f in FACTORS}
    expected = {}
    for a in result.areas:
        have = [f for f in FACTORS if a.name in z[f]]
        total = sum(weights[f] for f in have)
        expected[a.name] = sum(weights[f] * z[f][a.name] for f in have) / total
        for f in have:
            assert a.values[f].standardised == pytest.approx(z[f][a.name])
            assert a.values[f].contribution == pytest.approx(weights[f] / total * z[f][a.name])
        assert a.score == pytest.approx(expected[a.name])
    # Stöde has no population (rate, police) and too few events (trend): scored on the
    # survey? no — too few responses too; on the context alone
    stode = next(a for a in result.areas if a.name == "Stöde")
    assert stode.missing == ["rate", "trend", "police", "survey"]
    assert stode.score == pytest.approx(z["context"]["Stöde"])
    order = sorted(expected, key=lambda n: -expected[n])
    assert [a.name for a in result.areas] == order
    assert [a.rank for a in result.areas] == [1, 2, 3, 4]
    assert any("lack a factor" in n or "saknar en faktor" in n for n in result.notes)


def test_the_sentence_names_the_two_largest_contributions(ranked):
    result = rank_areas(ranked.users["coordinator"], _scope(ranked))
    for a in result.scored:
        contributions = {f: v.contribution for f, v in a.values.items() if v.contribution}
        top = sorted(contributions, key=lambda f: -abs(contributions[f]))[:2]
        assert a.drivers == top
        for f in top:
            phrase = PHRASES[f][0 if contributions[f] > 0 else 1]
            assert str(phrase) in a.sentence
        assert a.name in a.sentence
    first = result.areas[0]
    assert "ranks highest" in first.sentence or "högst" in first.sentence


def test_as_dict_is_plain_data(ranked):
    result = rank_areas(ranked.users["coordinator"], _scope(ranked))
    data = json.loads(json.dumps(result.as_dict()))
    assert data["weights"] == DEFAULT_WEIGHTS
    assert [a["name"] for a in data["areas"]] == [a.name for a in result.areas]
    assert data["areas"][0]["factors"]["rate"]["raw"] == result.areas[0].values["rate"].raw
    assert data["period"]["start"] == f"{YEAR}-01-01"


def _page_order(response) -> list[str]:
    return re.findall(r'<tr data-area="([^"]+)">', response.content.decode())


def _url(world, name="situation:ranking"):
    return reverse(name, args=[world.sundsvall.code])


def test_weights_in_the_url_change_the_order(ranked, client_for):
    client = client_for("viewer")
    only = {f"vikt_{f}": 0 for f in FACTORS}
    by_rate = client.get(_url(ranked), {"period": YEAR, **only, "vikt_rate": 5})
    by_trend = client.get(_url(ranked), {"period": YEAR, **only, "vikt_trend": 5})
    assert by_rate.status_code == by_trend.status_code == 200
    # rates per 1,000: Nacksta 26, Centrum 15.5, Haga 3.25; Stöde has no population
    assert _page_order(by_rate) == ["Nacksta", "Centrum", "Haga", "Stöde"]
    # change from 2024: Haga log(14/3), Centrum log(32/11), Nacksta log(27/26); Stöde too few
    assert _page_order(by_trend) == ["Haga", "Centrum", "Nacksta", "Stöde"]
    page = by_trend.content.decode()
    assert 'name="vikt_trend" value="5"' in page
    # the reset link keeps the period and drops the weights
    reset = re.search(r'href="([^"]+)" id="ranking-reset"', page)[1].replace("&amp;", "&")
    assert "period=2025" in reset and "vikt_" not in reset


def test_bad_parameters_get_the_message_and_400(ranked, client_for):
    client = client_for("viewer")
    for params, words in [
        ({"vikt_rate": "9"}, "vikt_rate"),
        ({"vikt_police": "x"}, "vikt_police"),
        ({"period": "2025-K7"}, "2025-K7"),
        ({f"vikt_{f}": 0 for f in FACTORS}, "0"),
        ({"kontext": "Ingen sådan serie"}, "Ingen sådan serie"),
        ({"kontext_riktning": "upp"}, "kontext_riktning"),
    ]:
        response = client.get(_url(ranked), params)
        assert response.status_code == 400, params
        assert 'id="ranking-error"' in response.content.decode()
        assert words in response.content.decode()
        assert client.get(_url(ranked, "situation:ranking_csv"), params).status_code == 400


def test_exports_hold_the_table(ranked, client_for):
    client = client_for("viewer")
    params = {"period": YEAR, "vikt_context": 0}
    page = client.get(_url(ranked), params).content.decode()
    order = re.findall(r'<tr data-area="([^"]+)">', page)
    scores = re.findall(r'<td class="num ranking-score">([^<]+)</td>', page)
    response = client.get(_url(ranked, "situation:ranking_csv"), params)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[1] for r in rows[1:]] == order
    # the page's score (two decimals) is the export's rounded
    for row, shown in zip(rows[1:], scores, strict=True):
        if shown == "–":
            assert row[2] == ""
        else:
            assert f"{float(row[2].replace(',', '.')):.2f}" == shown.replace(",", ".")
    assert rows[1][-1]  # the sentence
    book = load_workbook(
        io.BytesIO(client.get(_url(ranked, "situation:ranking_xlsx"), params).content)
    )
    sheet = list(book.active.iter_rows(values_only=True))
    assert [r[1] for r in sheet[1:]] == order
    assert [list(r[:1]) for r in sheet[1:]] == [[int(r[0]) if r[0] else None] for r in rows[1:]]


def test_export_escapes_formulas(ranked, client_for):
    area = ranked.areas["haga"]
    from brygga.core.models import Area

    Area.objects.filter(pk=area.pk).update(name="=HYPERLINK(1)")
    response = client_for("viewer").get(_url(ranked, "situation:ranking_csv"), {"period": YEAR})
    assert "'=HYPERLINK(1)" in response.content.decode("utf-8-sig")


def test_a_forum_ranks_its_areas_and_the_quarter_is_the_last_full_one(ranked):
    w = ranked
    forum = w.forums["safety"]
    forum.areas.add(
        w.areas["nacksta"], w.areas["haga"], through_defaults={"municipality": w.sundsvall}
    )
    result = quarterly_group_ranking(w.users["viewer"], forum, dt.date(YEAR + 1, 1, 15))
    assert (result.period.start, result.period.end) == (dt.date(YEAR, 10, 1), dt.date(YEAR, 12, 31))
    assert {a.name for a in result.areas} == {"Centrum", "Nacksta", "Haga"}
    for a in result.areas:
        area = next(x for x in w.areas.values() if x.name == a.name)
        q4 = Incident.objects.filter(
            COUNTED,
            occurred_from__gte=day_start(dt.date(YEAR, 10, 1)),
            occurred_from__lt=day_start(dt.date(YEAR + 1, 1, 1)),
            pk__in=IncidentPlacement.objects.filter(area=area).values("incident_id"),
        ).exclude(source=Source.POLICE)
        assert a.events == (q4.aggregate(n=Sum("count"))["n"] or 0)


def test_the_outsider_cannot_rank_sundsvall(ranked, client_for):
    assert client_for("outsider").get(_url(ranked)).status_code == 404
