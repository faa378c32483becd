"""Indicator and evaluation pages and API: "indicators on data that does not exist" refused with
a message on the field (no 500), the detail page's chart and table with the computed values,
a manual series' values, the evaluation form, recompute and conclusion, and the API's series."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from brygga.plans.indicator_values import compute
from brygga.plans.models import Evaluation, Indicator

from ..incidents.factories import CategoryFactory, IncidentFactory, category
from .test_work_helpers import make_incidents, plan_and_measure

CODE = "2281"


def _url(name, **kw):
    return reverse(f"plans:{name}", kwargs={"code": CODE, **kw})


@pytest.fixture
def measure(world):
    return plan_and_measure(world)[1]


def _indicator_form(**kw):
    data = {
        "name": "Skadegörelse i centrum",
        "source": "incidents",
        "granularity": "quarter",
        "baseline_start": "2024-01-01",
        "baseline_end": "2024-12-31",
        "direction": "decrease",
        "target_value": "",
        "unit": "händelser",
    }
    data.update(kw)
    return data


def _bad_cases(world):
    foreign = CategoryFactory(municipality=world.timra, code="timra-egen", name="Timrås egen")
    return [
        ({"categories": [foreign.pk]}, "categories"),  # not offered: refused by the form
        ({"areas": [world.areas["timra"].pk]}, "areas"),
        ({"source": "survey_index", "survey_index_code": "problemindex"}, "survey_index_code"),
        ({"source": "survey_index"}, "survey_index_code"),
        ({"source": "incident_rate", "areas": [world.areas["nacksta"].pk]}, "areas"),
        ({"baseline_end": "2024-02-10"}, "baseline_end"),  # shorter than one quarter
        ({"baseline_end": "2023-12-31"}, "baseline_end"),  # ends before it starts
    ]


def test_indicators_on_data_that_does_not_exist_are_refused(world, client_for, measure):
    c = client_for("coordinator")
    url = _url("indicator_new", measure=measure.pk)
    for change, field in _bad_cases(world):
        r = c.post(url, _indicator_form(**change))
        assert r.status_code == 400, change
        assert field in r.context["form"].errors, (change, r.context["form"].errors)
    assert not Indicator.objects.exists()


def test_the_service_refuses_another_municipalitys_category(world, measure):
    from django.core.exceptions import ValidationError

    from brygga.plans import services

    foreign = CategoryFactory(municipality=world.timra, code="timra-x", name="Timrå x")
    with pytest.raises(ValidationError) as exc:
        services.indicator_create(
            actor=world.users["coordinator"],
            municipality=world.sundsvall,
            measure=measure,
            name="x",
            source="incidents",
            categories=[foreign],
            baseline_start=dt.date(2024, 1, 1),
            baseline_end=dt.date(2024, 12, 31),
        )
    assert "categories" in exc.value.message_dict


def test_add_an_indicator_and_see_its_values(world, client_for, measure):
    make_incidents(world, n=80)
    c = client_for("reporter")  # the measure's owner organisation
    cats = [category("skadegorelse").pk]
    r = c.post(
        _url("indicator_new", measure=measure.pk),
        _indicator_form(categories=cats, areas=[world.areas["centrum"].pk], target_value="3"),
    )
    assert r.status_code == 302
    ind = Indicator.objects.get()
    page = c.get(r["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="img"' in html and 'id="indicator-values"' in html
    series = compute(ind, user=world.users["reporter"])
    for p in series.periods:
        assert (
            f'data-start="{p.start:%Y-%m-%d}" data-value="{p.value}" data-count="{p.count}"' in html
        )
    assert 'class="indicator-line indicator-line-target"' in html
    api = c.get(f"/api/v1/plans/{CODE}/indicators/{ind.pk}/").json()
    assert [v["count"] for v in api["series"]["values"]] == [p.count for p in series.periods]
    assert api["series"]["baseline"] == pytest.approx(series.baseline)
    assert [i["id"] for i in c.get(f"/api/v1/plans/{CODE}/indicators/").json()] == [ind.pk]
    # edit: the period becomes a year
    r = c.post(
        _url("indicator_edit", pk=ind.pk),
        _indicator_form(categories=cats, granularity="year", target_value="3"),
    )
    assert r.status_code == 302
    ind.refresh_from_db()
    assert ind.granularity == "year" and list(ind.areas.all()) == []


def test_manual_values_page(world, client_for, measure):
    c = client_for("coordinator")
    r = c.post(
        _url("indicator_new", measure=measure.pk),
        _indicator_form(source="manual", name="Närvaro i skolan", granularity="year"),
    )
    assert r.status_code == 302
    ind = Indicator.objects.get()
    url = _url("indicator_value_new", pk=ind.pk)
    r = c.post(url, {"period_start": "2024-01-01", "period_end": "2024-12-31", "value": "91.5"})
    assert r.status_code == 302
    r = c.post(url, {"period_start": "2024-01-01", "period_end": "2024-12-31", "value": "90"})
    assert r.status_code == 400 and "period_start" in r.context["form"].errors
    r = c.post(url, {"period_start": "2025-12-31", "period_end": "2025-01-01", "value": "90"})
    assert r.status_code == 400 and "period_end" in r.context["form"].errors
    assert [v.value for v in ind.values.all()] == [91.5]
    # a computed indicator has no value form
    other = Indicator.objects.create(
        municipality=world.sundsvall,
        measure=measure,
        name="Beräknad",
        source="incidents",
        baseline_start=dt.date(2024, 1, 1),
        baseline_end=dt.date(2024, 12, 31),
    )
    assert c.get(_url("indicator_value_new", pk=other.pk)).status_code == 404


def test_evaluation_pages(world, client_for, measure):
    tz = dt.UTC
    for month, n, area in (
        (3, 6, "centrum"),
        (9, 2, "centrum"),
        (3, 4, "nacksta"),
        (9, 5, "nacksta"),
    ):
        for i in range(n):
            IncidentFactory(
                municipality=world.sundsvall,
                category=category("klotter"),
                occurred_from=dt.datetime(2024, month, 1 + i, 12, tzinfo=tz),
                reporting_organisation=world.orgs["field"],
                area=world.areas[area],
            )
    c = client_for("analyst")
    url = _url("evaluation_new", measure=measure.pk)
    page = c.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["treated_areas"] == [world.areas["centrum"].pk]
    data = {
        "title": "Utvärdering klotter",
        "treated_areas": [world.areas["centrum"].pk],
        "comparison_areas": [world.areas["nacksta"].pk],
        "categories": [category("klotter").pk],
        "before_start": "2024-01-01",
        "before_end": "2024-06-30",
        "after_start": "2024-07-01",
        "after_end": "2024-12-31",
    }
    r = c.post(url, {**data, "after_start": "2024-06-01"})
    assert r.status_code == 400 and "after_start" in r.context["form"].errors
    r = c.post(url, {**data, "comparison_areas": [world.areas["centrum"].pk]})
    assert r.status_code == 400 and "comparison_areas" in r.context["form"].errors
    r = c.post(url, data)
    assert r.status_code == 302
    ev = Evaluation.objects.get()
    assert (ev.result["treated_before"], ev.result["treated_after"]) == (6, 2)
    assert (ev.result["comparison_before"], ev.result["comparison_after"]) == (4, 5)
    html = c.get(r["Location"]).content.decode()
    assert 'data-design="did"' in html and ev.reading in html
    r = c.post(_url("evaluation_conclusion", pk=ev.pk), {"conclusion": "Minskningen håller i sig."})
    assert r.status_code == 302
    ev.refresh_from_db()
    assert ev.conclusion == "Minskningen håller i sig."
    assert c.post(_url("evaluation_recompute", pk=ev.pk)).status_code == 302
    api = c.get(f"/api/v1/plans/{CODE}/evaluations/{ev.pk}/").json()
    assert api["result"]["rate_ratio"] == pytest.approx(ev.result["rate_ratio"])
    assert api["comparison_areas"] == [world.areas["nacksta"].pk]
    # the reporter reads it, may not recompute it
    reporter = client_for("reporter")
    assert reporter.get(_url("evaluation_detail", pk=ev.pk)).status_code == 200
    assert reporter.post(_url("evaluation_recompute", pk=ev.pk)).status_code == 404
