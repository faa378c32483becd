"""Near repeats: the sentence a KnoxResult gives, the figures against ``knox_test`` called
directly on the incidents' points, and too few events."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.http import QueryDict
from django.utils import translation

from brygga.analysis.knox import KnoxResult, knox_test
from brygga.incidents.models import Incident
from brygga.incidents.rollup_models import counted_through
from brygga.situation import near_repeats
from brygga.situation.scope import scope_from_query

from ..incidents.factories import category, make_incident

TZ = dt.timezone(dt.timedelta(hours=1))


def _result(ratio: float, p: float) -> KnoxResult:
    table = np.array([[ratio, 1.0], [1.0, 1.0]])
    return KnoxResult(
        space_edges=np.array([200.0]),
        time_edges=np.array([14.0]),
        space_labels=["0-200", ">200"],
        time_labels=["0-14", ">14"],
        observed=np.array([[18, 100], [300, 4000]]),
        expected=np.array([[10.0, 100.0], [300.0, 4000.0]]),
        expected_analytic=np.array([[10.0, 100.0], [300.0, 4000.0]]),
        knox_ratio=table,
        p_value=np.array([[p, 0.5], [0.5, 0.5]]),
        p_value_lower=np.array([[1 - p, 0.5], [0.5, 0.5]]),
        n_events=92,
        n_pairs=92 * 91 // 2,
        n_close_pairs=118,
        permutations=999,
        seed=0,
    )


def test_sentence_of_a_near_repeat_pattern_in_swedish_numbers():
    with translation.override("sv"):
        text = near_repeats.describe("stold-inbrott", _result(1.8, 0.01), 92, 200, 14)
    assert "200 m" in text and "14" in text
    assert "1,8" in text and "p = 0,01" in text
    with translation.override("en"):
        text = near_repeats.describe("stold-inbrott", _result(1.8, 0.01), 92, 200, 14)
    assert text.startswith("After a burglary or theft, the risk of another within 200 m and 14")
    assert "1.8 times the expected (p = 0.01)" in text


def test_sentence_without_a_pattern_and_with_too_few_events():
    with translation.override("en"):
        none = near_repeats.describe("skadegorelse", _result(1.2, 0.31), 92, 200, 14)
        fewer = near_repeats.describe("skadegorelse", _result(0.6, 0.001), 92, 200, 14)
        few = near_repeats.describe("skadegorelse", None, 7, 200, 14)
    assert none.startswith("No near-repeat pattern was found") and "p = 0.31" in none
    assert fewer.startswith("No near-repeat pattern was found")
    assert "Too few events" in few and " 7 " in few and "20" in few


@pytest.fixture
def burglaries(world):
    """Burglaries in pairs close in space and time, and vandalism spread out; one rejected."""
    rng = np.random.default_rng(11)
    start = dt.datetime(2025, 1, 1, 12, tzinfo=TZ)
    for _ in range(25):
        lat, lon = 62.37 + rng.uniform(0, 0.05), 17.25 + rng.uniform(0, 0.1)
        day = int(rng.integers(0, 300))
        for k in range(2):
            make_incident(
                world,
                lat=lat + k * 0.0003,
                lon=lon,
                occurred_from=start + dt.timedelta(days=day + 3 * k),
                category=category("stold-inbrott-inbrott"),
            )
    for _ in range(8):
        make_incident(
            world,
            lat=62.37 + rng.uniform(0, 0.05),
            lon=17.25 + rng.uniform(0, 0.1),
            occurred_from=start + dt.timedelta(days=int(rng.integers(0, 300))),
            category=category("skadegorelse-fonster"),
        )
    make_incident(
        world,
        lat=62.39,
        lon=17.3,
        occurred_from=start,
        status="rejected",
        category=category("stold-inbrott-inbrott"),
    )


def test_figures_equal_knox_test_called_directly(world, burglaries):
    scope = scope_from_query(world.users["analyst"], world.sundsvall, QueryDict("period=2025"))
    found = {n.code: n for n in near_repeats.near_repeats(world.users["analyst"], scope)}
    rows = list(
        Incident.objects.filter(counted_through(), category__parent__code="stold-inbrott")
        .order_by("pk")
        .values_list("sweref_e", "sweref_n", "occurred_from")
    )
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    t = np.array([r[2].timestamp() / 86400 for r in rows])
    direct = knox_test(x, y, t, space_bands=200, time_bands=14, permutations=999, seed=0)
    nr = found["stold-inbrott"]
    assert nr.n_events == 50 == direct.n_events
    np.testing.assert_array_equal(nr.result.observed, direct.observed)
    assert nr.ratio == pytest.approx(direct.knox_ratio[0, 0])
    assert nr.p_value == pytest.approx(direct.p_value[0, 0])
    assert nr.ratio > 1.5 and nr.p_value <= 0.05
    assert nr.sentence.startswith("After a burglary or theft") or nr.sentence.startswith("Efter")
    assert nr.table()[0]["observed"] == int(direct.observed[0, 0])
    vandalism = found["skadegorelse"]
    assert vandalism.result is None and vandalism.n_events == 8
    assert "8" in vandalism.sentence


def test_parameters_and_categories(world, burglaries):
    user = world.users["analyst"]
    q = QueryDict("period=2025&kategori=skadegorelse")
    scope = scope_from_query(user, world.sundsvall, q)
    assert [n.code for n in near_repeats.near_repeats(user, scope)] == ["skadegorelse"]
    scope = scope_from_query(user, world.sundsvall, QueryDict("period=2025&kategori=klotter"))
    assert near_repeats.near_repeats(user, scope) == []
    assert near_repeats.params_from_query(QueryDict("avstand=300&dagar=7")) == (300, 7)
    nr = near_repeats.near_repeats(
        user,
        scope_from_query(user, world.sundsvall, QueryDict("period=2025")),
        distance=300,
        days=7,
    )[0]
    assert list(nr.result.space_edges) == [300.0] and list(nr.result.time_edges) == [7.0]


def test_map_page_states_the_finding(client_for, world, burglaries):
    r = client_for("viewer").get("/kommuner/2281/lagesbild/karta/?period=2025")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="knox-table-stold-inbrott"' in html
    assert "near-repeats-heading" in html
