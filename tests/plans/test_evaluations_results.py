"""Evaluation results equal direct computations: the counts per area and month built by hand
from the incident rows, handed to the analysis library directly, give the stored rate ratio,
interval, p-value and totals; without comparison areas the before/after estimate with its
caveat. Bad input is refused with messages on the fields."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from brygga.analysis.evaluation import before_after, did_poisson
from brygga.plans import services
from brygga.plans.evaluations import CAVEAT_SV

from .test_work_helpers import direct_events, main, make_incidents, plan_and_measure

BEFORE = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
AFTER = (dt.date(2025, 2, 1), dt.date(2025, 12, 15))  # a gap, and a partial month at the end


@pytest.fixture
def data(world):
    make_incidents(world, n=300)
    _plan, measure = plan_and_measure(world)
    world.measure = measure
    return world


def _months(start, end):
    out, s = [], start
    while s <= end:
        nxt = dt.date(s.year + (s.month == 12), s.month % 12 + 1, 1)
        out.append((s, min(end, nxt - dt.timedelta(days=1))))
        s = nxt
    return out


def _evaluate(w, comparison, cats, actor="analyst"):
    return services.evaluation_create(
        actor=w.users[actor],
        municipality=w.sundsvall,
        measure=w.measure,
        title="Utvärdering",
        treated_areas=[w.areas["centrum"]],
        comparison_areas=comparison,
        categories=cats,
        before_start=BEFORE[0],
        before_end=BEFORE[1],
        after_start=AFTER[0],
        after_end=AFTER[1],
    )


def test_difference_in_differences_equals_a_direct_call(data):
    w = data
    cats = [main("skadegorelse"), main("klotter")]
    ev = _evaluate(w, [w.areas["nacksta"]], cats)
    months = _months(*BEFORE) + _months(*AFTER)
    counts = np.array(
        [
            [direct_events(w, a, b, areas=[area], cats=cats) for a, b in months]
            for area in (w.areas["centrum"], w.areas["nacksta"])
        ]
    )
    exposure = np.tile([(b - a).days + 1 for a, b in months], (2, 1))
    after = np.array([a >= AFTER[0] for a, _b in months])
    direct = did_poisson(counts, np.array([True, False]), after, exposure=exposure)
    r = ev.result
    assert r["design"] == "did"
    assert r["rate_ratio"] == pytest.approx(direct.rate_ratio)
    assert r["ci_lower"] == pytest.approx(direct.ci_lower)
    assert r["ci_upper"] == pytest.approx(direct.ci_upper)
    assert r["p_value"] == pytest.approx(direct.p_value)
    assert r["treated_before"] == counts[0, ~after].sum() == direct.treated_before
    assert r["treated_after"] == counts[0, after].sum()
    assert r["comparison_before"] == counts[1, ~after].sum()
    assert r["comparison_after"] == counts[1, after].sum()
    assert counts.sum() > 0
    assert ev.reading.lower().startswith(direct.text_sv[:10].lower())
    assert ev.computed_at is not None


def test_before_after_without_comparison_area_says_so(data):
    w = data
    ev = _evaluate(w, [], [])
    tb = direct_events(w, *BEFORE, areas=[w.areas["centrum"]])
    ta = direct_events(w, *AFTER, areas=[w.areas["centrum"]])
    direct = before_after(
        tb,
        ta,
        exposure_before=(BEFORE[1] - BEFORE[0]).days + 1,
        exposure_after=(AFTER[1] - AFTER[0]).days + 1,
    )
    r = ev.result
    assert r["design"] == "before_after"
    assert (r["treated_before"], r["treated_after"]) == (tb, ta)
    assert r["comparison_before"] is None
    assert r["rate_ratio"] == pytest.approx(direct.rate_ratio)
    assert r["p_value"] == pytest.approx(direct.p_value)
    assert CAVEAT_SV in ev.reading


def test_recompute_follows_new_data(data):
    from ..incidents.factories import IncidentFactory, category

    w = data
    ev = _evaluate(w, [w.areas["nacksta"]], [])
    before = ev.result["treated_after"]
    IncidentFactory(
        municipality=w.sundsvall,
        category=category("klotter"),
        occurred_from=dt.datetime(2025, 6, 10, 12, tzinfo=dt.UTC),
        count=4,
        reporting_organisation=w.orgs["field"],
        area=w.areas["centrum"],
    )
    services.evaluation_recompute(actor=w.users["coordinator"], evaluation=ev)
    ev.refresh_from_db()
    assert ev.result["treated_after"] == before + 4


@pytest.mark.parametrize(
    "change, field",
    [
        ({"after_start": dt.date(2024, 12, 1)}, "after_start"),  # after does not follow before
        ({"before_end": dt.date(2023, 12, 1)}, "before_end"),  # ends before it starts
        ({"treated_areas": []}, "treated_areas"),
        ({"comparison_areas": ["centrum"]}, "comparison_areas"),  # both treated and comparison
        ({"comparison_areas": ["timra"]}, "treated_areas"),  # another municipality's area
    ],
)
def test_bad_evaluations_are_refused(data, change, field):
    w = data
    kw = {
        "actor": w.users["analyst"],
        "municipality": w.sundsvall,
        "measure": w.measure,
        "title": "Fel",
        "treated_areas": [w.areas["centrum"]],
        "comparison_areas": [],
        "before_start": BEFORE[0],
        "before_end": BEFORE[1],
        "after_start": AFTER[0],
        "after_end": AFTER[1],
    }
    for k, v in change.items():
        kw[k] = [w.areas[a] for a in v] if k.endswith("areas") else v
    with pytest.raises(ValidationError) as exc:
        services.evaluation_create(**kw)
    assert field in exc.value.message_dict


def test_only_planners_evaluate(data):
    w = data
    with pytest.raises(PermissionDenied):
        _evaluate(w, [], [], actor="reporter")
