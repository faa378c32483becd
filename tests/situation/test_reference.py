"""The reference comparison: police events per 1,000 inhabitants of the municipality against its
county, the country and municipalities of similar size — checked against direct counts from
``Incident``, ``Municipality.population`` and ``garwood_interval`` called directly."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import number_format

from brygga.analysis import garwood_interval
from brygga.core.models import Municipality
from brygga.incidents.models import Incident, Source
from brygga.incidents.rollup_models import COUNTED
from brygga.incidents.services.rollups import day_start, rebuild_counts
from brygga.situation import reference
from brygga.situation.reference import RateRow, YearRates
from brygga.situation.scope import Period, Scope

from ..incidents.factories import PoliceEventFactory
from .html import find, page_of, text

pytestmark = pytest.mark.django_db

# Västernorrland: Sundsvall, Timrå, Härnösand, Kramfors; elsewhere: Gävle, Umeå, Kalix
EVENTS = {
    "2281": {2024: [5, 3, 7, 1], 2023: [4, 4], 2022: [9]},
    "2262": {2024: [2, 2], 2023: [1]},
    "2280": {2024: [6], 2022: [2]},
    "2282": {2023: [3]},  # Kramfors: no police events in 2024
    "2180": {2024: [8, 8, 1], 2023: [5]},
    "2480": {2024: [10, 4]},
    "2514": {2024: [1]},
}


def _fill():
    for code, years in EVENTS.items():
        m = Municipality.objects.get(code=code)
        for year, counts in years.items():
            for i, n in enumerate(counts):
                PoliceEventFactory(
                    municipality=m,
                    county_id=m.county_id,
                    occurred_from=day_start(dt.date(year, 3 + i, 10)) + dt.timedelta(hours=12),
                    count=n,
                    description=f"Inbrott i {m.name} nummer {i}",
                    placed=False,
                )
    sundsvall = Municipality.objects.get(code="2281")
    # not counted: a county-level event and a deleted one; the first minute of 2025 is not 2024
    PoliceEventFactory(
        municipality=sundsvall,
        county_level=True,
        occurred_from=day_start(dt.date(2024, 6, 1)),
        count=40,
        placed=False,
    )
    PoliceEventFactory(
        municipality=sundsvall,
        occurred_from=day_start(dt.date(2024, 6, 2)),
        deleted_at=timezone.now(),
        count=40,
        placed=False,
    )
    PoliceEventFactory(
        municipality=sundsvall, occurred_from=day_start(dt.date(2025, 1, 1)), count=40, placed=False
    )
    for m in Municipality.objects.filter(incidents__isnull=False).distinct():
        rebuild_counts(municipality_id=m.pk)


def _direct(year: int) -> dict[int, int]:
    """Police events per municipality in ``year`` (local days), straight from the incidents."""
    out: dict[int, int] = {}
    for inc in Incident.objects.filter(COUNTED, source=Source.POLICE):
        if timezone.localtime(inc.occurred_from).year == year:
            out[inc.municipality_id] = out.get(inc.municipality_id, 0) + inc.count
    return out


def _expected(events: int, population: int) -> tuple[float, float, float]:
    lo, hi = garwood_interval([events])
    return events * 1000 / population, lo[0] * 1000 / population, hi[0] * 1000 / population


def _check(row: RateRow, ids: list[int], direct: dict[int, int]):
    pops = dict(Municipality.objects.filter(pk__in=ids).values_list("pk", "population"))
    events, population = sum(direct.get(i, 0) for i in ids), sum(pops.values())
    assert (row.events, row.population, row.municipalities) == (events, population, len(ids))
    assert (row.rate, row.lower, row.upper) == pytest.approx(_expected(events, population))


def _scope(world, municipality=None, period="2024"):
    return Scope(municipality=municipality or world.sundsvall, period=Period.parse(period))


def test_rates_and_intervals_equal_direct_counts_for_every_group(world):
    _fill()
    comparison = reference.reference_comparison(world.users["coordinator"], _scope(world))
    direct = _direct(2024)
    assert direct[world.sundsvall.pk] == 16  # neither the county-level nor the deleted event
    rows = comparison.by_key
    _check(rows["municipality"], [world.sundsvall.pk], direct)
    county = list(
        Municipality.objects.filter(
            county_id=world.sundsvall.county_id, pk__in=list(direct)
        ).values_list("pk", flat=True)
    )
    assert len(county) == 3  # Sundsvall, Timrå, Härnösand: Kramfors has none in 2024
    _check(rows["county"], county, direct)
    _check(rows["country"], list(direct), direct)
    assert comparison.country_municipalities == len(direct) == 6
    assert comparison.county_municipalities == 3
    assert (
        comparison.county_total
        == Municipality.objects.filter(county_id=world.sundsvall.county_id).count()
    )
    similar = [m.pk for m in Municipality.objects.filter(name__in=comparison.similar)]
    assert world.sundsvall.pk not in similar and len(similar) == 5
    _check(rows["similar"], similar, direct)


def test_the_development_covers_the_same_period_of_the_years_before(world):
    _fill()
    comparison = reference.reference_comparison(world.users["coordinator"], _scope(world))
    assert [y.period for y in comparison.history] == [
        Period.parse("2022"),
        Period.parse("2023"),
        Period.parse("2024"),
    ]
    for y in comparison.history:
        direct = _direct(y.period.start.year)
        _check(y.rows["municipality"], [world.sundsvall.pk], direct)
        _check(y.rows["country"], list(direct), direct)


def test_similar_size_is_the_nearest_in_population(world, monkeypatch):
    _fill()
    monkeypatch.setattr(reference, "SIMILAR", 2)
    comparison = reference.reference_comparison(world.users["coordinator"], _scope(world))
    candidates = Municipality.objects.filter(pk__in=list(_direct(2024))).exclude(
        pk=world.sundsvall.pk
    )
    nearest = sorted(
        candidates, key=lambda m: (abs(m.population - world.sundsvall.population), m.code)
    )[:2]
    assert comparison.similar == [m.name for m in nearest]
    _check(comparison.by_key["similar"], [m.pk for m in nearest], _direct(2024))


def test_the_sentence_names_the_groups_and_the_coverage(world):
    _fill()
    with translation.override("en"):
        comparison = reference.reference_comparison(world.users["coordinator"], _scope(world))

    def f1(value):
        with translation.override("en"):
            return number_format(value, 1)

    own = comparison.by_key["municipality"]
    assert comparison.sentence.startswith(
        f"Sundsvall had {f1(own.rate)} police events per 1,000 inhabitants in 2024 "
        f"(95 % interval {f1(own.lower)}–{f1(own.upper)}), "
    )
    county = comparison.by_key["county"]
    word = (
        "more than"
        if county.rate < own.lower
        else "fewer than"
        if county.rate > own.upper
        else "about as many as"
    )
    assert f"{word} the county ({f1(county.rate)})" in comparison.sentence
    assert "the country (" in comparison.sentence
    assert "The same period earlier years: 2022 " in comparison.sentence
    assert "covers the 6 municipalities with police events in Brygga" in comparison.sentence


def test_a_user_of_one_municipality_gets_the_comparison_but_no_rows_of_another(world):
    _fill()
    outsider = world.users["outsider"]  # Timrå's coordinator
    with pytest.raises(PermissionDenied):
        reference.reference_comparison(outsider, _scope(world))
    comparison = reference.reference_comparison(outsider, _scope(world, world.timra))
    direct = _direct(2024)
    _check(comparison.by_key["municipality"], [world.timra.pk], direct)
    _check(comparison.by_key["country"], list(direct), direct)  # Sundsvall's events in the sum
    # only group totals and names: no incident or rollup row of another municipality
    assert all(isinstance(r, RateRow) for r in comparison.rows)
    assert all(isinstance(y, YearRates) for y in comparison.history)
    assert all(isinstance(n, str) for n in comparison.similar)
    with translation.override("en"):
        markup = render_to_string("situation/_reference.html", {"comparison": comparison})
    assert "Inbrott" not in markup


def test_the_reference_section_renders_chart_table_and_sentence(world):
    _fill()
    with translation.override("en"):
        comparison = reference.reference_comparison(world.users["coordinator"], _scope(world))
        page = page_of(render_to_string("situation/_reference.html", {"comparison": comparison}))
    (svg,) = find(page, "svg", role="img")
    assert find(svg, "title") and find(svg, "desc")
    assert len(find(svg, "circle")) == len(comparison.rows) == 4
    (table,) = find(page, "table", cls="reference-table")
    rows = find(find(table, "tbody")[0], "tr")
    assert [text(find(r, "th")[0]) for r in rows] == [r.label for r in comparison.rows]
    assert text(find(page, "p", cls="reference-sentence")[0]) == comparison.sentence
    assert not find(page, None, attr="style") and not find(page, "script")


def test_a_period_without_police_events_says_so(world):
    _fill()
    with translation.override("en"):
        comparison = reference.reference_comparison(
            world.users["coordinator"], _scope(world, period="2021")
        )
    assert comparison.country_municipalities == 0 and comparison.similar == []
    assert comparison.by_key["municipality"].events == 0
    assert (
        comparison.sentence
        == "Brygga holds no police events for 2021, so there is nothing to compare."
    )
