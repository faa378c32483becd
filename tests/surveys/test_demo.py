"""The demo surveys: three waves of about 4,000 respondents for Sundsvall's demo areas, with
realistic non-response and weights, area differences that follow the demo incidents, and one
area (Nacksta) clearly better after the demo measure. The indices are computed with the
analysis library (brygga/analysis/surveys.py), from the table and from the stored rows."""

from __future__ import annotations

import time

import numpy as np
import pytest

from brygga.analysis.surveys import (
    difference,
    score_mean_index,
    score_share_index,
    weighted_estimate,
)
from brygga.core.demo import load_demo
from brygga.core.models import Municipality
from brygga.surveys import demo
from brygga.surveys.models import SurveyResponse, SurveyWave
from brygga.surveys.services import load_template

pytestmark = pytest.mark.django_db


def _questions():
    template = load_template()
    return {q["code"]: q for q in template["questions"]}, template["indices"]


def index_scores(columns, rows, index_code: str) -> np.ndarray:
    """Per-respondent scores of an index of the national template (NaN: not scored)."""
    questions, indices = _questions()
    index = next(i for i in indices if i["code"] == index_code)
    codes = index["question_codes"]
    matrix = np.full((len(rows), len(codes)), np.nan)
    lows, highs = [], []
    for j, code in enumerate(codes):
        q = questions[code]
        missing = set(q["missing"])
        values = [o["value"] for o in q["scale"] if o["value"] not in missing]
        lows.append(min(values))
        highs.append(max(values))
        col = columns.index(code)
        for i, row in enumerate(rows):
            v = row[col]
            if v is not None and v not in missing:
                matrix[i, j] = v
    if index["rule"] == "mean":
        return score_mean_index(matrix, low=lows, high=highs, min_answered=index["min_answered"])
    return 100 * score_share_index(
        matrix, threshold=index["threshold"], min_answered=index["min_answered"]
    )


def per_area(columns, rows, index_code: str) -> dict:
    scores = index_scores(columns, rows, index_code)
    weights = np.array([r[columns.index("vikt")] for r in rows])
    areas = np.array([r[columns.index("omrade")] for r in rows])
    return {
        name: weighted_estimate(scores[areas == name], weights[areas == name])
        for name in sorted(set(areas))
    }


@pytest.fixture
def sundsvall(db):
    load_demo()
    return Municipality.objects.get(code="2281")


def test_a_wave_table_looks_like_a_vendor_file(sundsvall):
    columns, rows = demo.demo_wave_table(sundsvall, 2024)
    codes = [q["code"] for q in load_template()["questions"]]
    assert columns == ["lopnr", "omrade", "aldersgrupp", "kon", "vikt", *codes]
    assert 3600 <= len(rows) <= 4400
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    sample = demo.sample_size(sundsvall, 2024)
    assert 8500 <= sample <= 9700 and 0.40 <= len(rows) / sample <= 0.50
    assert {r[2] for r in rows} == {"16-29", "30-49", "50-64", "65-84"}
    assert {r[3] for r in rows} == {"Kvinna", "Man"}
    weights = np.array([r[4] for r in rows])
    assert weights.min() >= 0.5 and weights.max() <= 2.5 and weights.std() > 0.1
    areas = {r[1] for r in rows}
    assert len(areas) == 13
    answers = np.array([[np.nan if v is None else v for v in r[5:]] for r in rows], dtype=float)
    assert 0.01 < np.isnan(answers).mean() < 0.06  # item non-response
    narko = answers[:, codes.index("oppen_narkotikahandel")]
    assert 0.10 < (narko == 9).mean() < 0.22  # "vet ej" where few can judge
    assert ((answers[:, codes.index("trygg_kvall")] == 5).mean()) > 0.02  # never goes out
    # the young answer less often: weighted up
    young = np.array([r[2] == "16-29" for r in rows])
    assert weights[young].mean() > weights[~young].mean()
    again = demo.demo_wave_table(sundsvall, 2024)
    assert again == (columns, rows)  # deterministic


def test_the_measure_area_gets_clearly_better_and_the_others_do_not(sundsvall):
    before = demo.demo_wave_table(sundsvall, 2024)
    after = demo.demo_wave_table(sundsvall, 2025)
    for index_code in ("problemindex", "otrygghetsindex"):
        earlier, later = per_area(*before, index_code), per_area(*after, index_code)
        change = difference(later[demo.IMPROVING_AREA], earlier[demo.IMPROVING_AREA])
        assert 250 <= earlier[demo.IMPROVING_AREA].n <= 500
        assert change.clear and change.high < -0.5, (index_code, change)
        steady = [
            name
            for name in earlier
            if name not in (demo.IMPROVING_AREA, demo.WORSENING_AREA)
            and difference(later[name], earlier[name]).clear
        ]
        assert len(steady) <= 2, (index_code, steady)  # chance, at 95 %, across 11 areas


def test_the_areas_with_more_incidents_see_more_problems(sundsvall):
    from django.db.models import Count

    from brygga.incidents.demo import load_synthetic
    from brygga.incidents.models import Incident
    from brygga.incidents.services.placements import place_municipality

    load_synthetic()
    place_municipality(municipality_id=sundsvall.pk)
    layer = demo.demo_layer(sundsvall)
    counts = dict(
        Incident.objects.filter(municipality=sundsvall, area__layer=layer)
        .values_list("area__name")
        .annotate(n=Count("pk"))
        .values_list("area__name", "n")
    )
    table = demo.demo_wave_table(sundsvall, 2025)
    for index_code in ("problemindex", "otrygghetsindex", "utsatthet"):
        estimates = per_area(*table, index_code)
        names = sorted(estimates)
        incidents = np.array([counts.get(n, 0) for n in names], dtype=float)
        values = np.array([estimates[n].mean for n in names])
        ranks = np.argsort(np.argsort(incidents)), np.argsort(np.argsort(values))
        rho = np.corrcoef(*ranks)[0, 1]
        assert rho > 0.5, (index_code, rho, dict(zip(names, incidents, strict=True)))
    problem = per_area(*table, "problemindex")
    assert 1.0 < min(e.mean for e in problem.values()) < max(e.mean for e in problem.values()) < 7


def test_load_stores_three_waves_once_and_quickly(sundsvall):
    started = time.monotonic()
    first = demo.load_survey_demo()
    elapsed = time.monotonic() - started
    assert first["waves"] == 3 and 11000 <= first["respondents"] <= 13000
    assert elapsed < 15, elapsed  # < 5 s on a developer's SQLite; CI machines are slower
    waves = SurveyWave.objects.filter(municipality=sundsvall).order_by("year")
    assert [w.year for w in waves] == [2023, 2024, 2025]
    for wave in waves:
        columns, rows = demo.demo_wave_table(sundsvall, wave.year)
        assert wave.responses == len(rows) == SurveyResponse.objects.filter(wave=wave).count()
        assert wave.layer == demo.demo_layer(sundsvall)
        assert 0.40 <= wave.response_rate <= 0.50
        assert "demo" in wave.name.lower()
    # the stored rows give the table's figures
    wave = waves.get(year=2025)
    stored = SurveyResponse.objects.filter(wave=wave).select_related("area")
    nacksta = [r for r in stored if r.area and r.area.name == demo.IMPROVING_AREA]
    columns, rows = demo.demo_wave_table(sundsvall, 2025)
    mine = [r for r in rows if r[1] == demo.IMPROVING_AREA]
    assert len(nacksta) == len(mine)
    assert sum(r.weight for r in nacksta) == pytest.approx(sum(r[4] for r in mine))
    # stored as an import stores them: "vet ej" (9) and "never goes out" (5) left out
    assert not [r for r in nacksta if r.answers.get("nedskrapning") == 9]
    assert not [r for r in nacksta if r.answers.get("trygg_kvall") in (5, 9)]
    again = demo.load_survey_demo()
    assert (again["waves"], again["existing"]) == (0, 3)
    assert SurveyResponse.objects.filter(municipality=sundsvall).count() == first["respondents"]


def test_brygga_demo_loads_the_surveys(capsys):
    from django.core.management import call_command

    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "Trygghetsmätning" in out
    assert SurveyWave.objects.filter(municipality__code="2281").count() == 3
