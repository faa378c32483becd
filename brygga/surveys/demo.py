"""Demo safety surveys for ``brygga demo``: three yearly waves (2023–2025) of the national
questionnaire for Sundsvall's demo areas, with made-up respondents, clearly labelled as such.

The respondents are generated, deterministically (a seeded numpy generator per wave and area),
the way a vendor's file would hold them:

* a sample of about 9,000 people a year, 600–900 per area (more where there are more
  problems), drawn by age group and gender in
  proportion to a made-up population; about 45 % respond (fewer among the young and in the
  areas with more problems), so about 4,000 respondents a wave;
* item non-response (an empty cell) and "vet ej" (the code 9), more often on the questions few
  can judge (open drug dealing);
* design weights as a vendor computes them: post-stratification on area × age group × gender
  (the sampled over the responding of the cell, relative to the whole wave), within 0.5–2.5;
* area differences that follow the demo incidents (``brygga.incidents.demo.streams``): the
  areas with the clusters of reports (Centrum/Stenstaden, Nacksta, Skönsberg, Bredsand, Haga)
  see more problems and feel less safe than the outer districts; women and the oldest feel
  less safe out alone at night; Granloholm, the emerging hot spot, gets worse in 2025;
* Nacksta gets clearly better in 2025, after the demo measure of 2024–2025 (lighting, a
  rebuilt centre square, evening walks with the field workers): its problem and insecurity
  indices fall by more than their confidence intervals.

:func:`demo_wave_table` gives the respondents of a wave as a table (columns and rows, the raw
codes of a vendor file); :func:`load_survey_demo` stores the waves through the services (the
one writer of respondents), skipping a wave that already has its responses.
"""

from __future__ import annotations

import zlib
from datetime import date

import numpy as np

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import Area, AreaLayer, LayerKind, Municipality

from .models import SurveyWave
from .services import Respondent, load_template, wave_create, wave_responses_replace

DEMO_CODE = "2281"
DEMO_YEARS = (2023, 2024, 2025)
DEMO_VENDOR = "Demo: påhittade svar"
SAMPLE_BASE, SAMPLE_BY_BURDEN = 600, 300  # areas with more problems are oversampled
IMPROVING_AREA = "Nacksta"
WORSENING_AREA = "Granloholm"
MEASURE_YEAR = 2025  # the first wave after the measure

AGE_GROUPS = ("16-29", "30-49", "50-64", "65-84")
AGE_SHARES = (0.22, 0.32, 0.24, 0.22)
AGE_RESPONSE = (0.30, 0.42, 0.52, 0.62)  # how willing each age group is to answer
GENDERS = ("Kvinna", "Man")
GENDER_RESPONSE = (1.08, 0.92)

# How much disorder an area has (0–1), after the demo incidents' clusters and background.
BURDEN = {
    "Centrum": 0.78,
    "Nacksta": 0.88,
    "Skönsberg": 0.74,
    "Bredsand": 0.56,
    "Haga": 0.50,
    "Granloholm": 0.42,
    "Bosvedjan": 0.34,
    "Sidsjö": 0.20,
    "Alnö": 0.14,
    "Kvissleby": 0.26,
    "Njurunda": 0.20,
    "Matfors": 0.22,
    "Stöde": 0.08,
}
DEFAULT_BURDEN = 0.3

PROBLEM_ITEMS = {  # item: (how common at a burden of 0, how much it follows the burden)
    "nedskrapning": (0.22, 0.36),
    "klotter": (0.15, 0.40),
    "skadegorelse": (0.13, 0.40),
    "storande_ungdomsgrupper": (0.10, 0.46),
    "oppen_narkotikahandel": (0.04, 0.44),
    "paverkade_personer": (0.08, 0.42),
    "brak_slagsmal": (0.05, 0.36),
    "storande_biltrafik": (0.22, 0.30),
}
VET_EJ = {"oppen_narkotikahandel": 0.16, "paverkade_personer": 0.08, "brak_slagsmal": 0.07}
VICTIM_ITEMS = {  # item: (share at a burden of 0, added at a burden of 1)
    "utsatt_stold": (0.04, 0.07),
    "utsatt_skadegorelse": (0.03, 0.07),
    "utsatt_hot": (0.02, 0.05),
    "utsatt_vald": (0.01, 0.03),
    "utsatt_inbrott": (0.01, 0.02),
}
SAFETY_ITEMS = ("trygg_kvall", "avstatt_aktivitet", "oro_brott")
ITEM_NONRESPONSE = 0.03
BASE_COLUMNS = ["lopnr", "omrade", "aldersgrupp", "kon", "vikt"]


def question_codes() -> list[str]:
    return [q["code"] for q in load_template()["questions"]]


def demo_layer(municipality: Municipality) -> AreaLayer | None:
    """The layer of the demo's own areas (core's demo makes it)."""
    return (
        AreaLayer.objects.filter(
            municipality=municipality, kind=LayerKind.OWN, areas__is_demo_geometry=True
        )
        .order_by("pk")
        .first()
    )


def demo_areas(municipality: Municipality) -> list[Area]:
    layer = demo_layer(municipality)
    if layer is None:
        return []
    return sorted(
        Area.objects.filter(municipality=municipality, layer=layer, is_demo_geometry=True),
        key=lambda a: a.name,
    )


def area_burden(name: str, year: int) -> float:
    """The area's level of disorder in a year: a little drift, the hot spot's rise and the
    improvement after the measure."""
    burden = BURDEN.get(name, DEFAULT_BURDEN)
    drift = ((zlib.crc32(f"{name}:{year}".encode()) % 1000) / 1000 - 0.5) * 0.04
    if name == IMPROVING_AREA and year >= MEASURE_YEAR:
        burden -= 0.30
    if name == WORSENING_AREA and year >= MEASURE_YEAR:
        burden += 0.10
    return float(np.clip(burden + drift, 0.0, 1.0))


def _ordinal(rng, mean01, n_levels: int, spread: float) -> np.ndarray:
    """Answers 1..n_levels around ``mean01`` (0 = the best end, 1 = the worst) per person."""
    latent = np.clip(mean01 + rng.normal(0.0, spread, size=np.shape(mean01)), 0.0, 1.0)
    return 1 + np.minimum(n_levels - 1, np.floor(latent * n_levels)).astype(int)


def _respondents(rng, name: str, year: int, sample: int):
    """(age index, gender index, answers by code) of those who answer, and the sampled
    counts per age × gender cell."""
    burden = area_burden(name, year)
    age = rng.choice(len(AGE_GROUPS), size=sample, p=AGE_SHARES)
    gender = rng.integers(0, 2, size=sample)
    sampled = np.zeros((len(AGE_GROUPS), 2), dtype=int)
    np.add.at(sampled, (age, gender), 1)
    propensity = (
        np.asarray(AGE_RESPONSE)[age] * np.asarray(GENDER_RESPONSE)[gender] * (1.12 - 0.3 * burden)
    )
    answered = rng.random(sample) < propensity
    age, gender = age[answered], gender[answered]
    n = int(answered.sum())
    person = rng.normal(0.0, 0.10, size=n)  # how much a person sees and fears
    female = (gender == 0).astype(float)
    oldest = (age == 3).astype(float)
    youngest = (age == 0).astype(float)
    answers: dict[str, np.ndarray] = {}
    for code, (base, slope) in PROBLEM_ITEMS.items():
        mean = base + slope * burden + person - 0.03 * oldest + 0.02 * youngest
        answers[code] = _ordinal(rng, mean, 4, 0.16).astype(float)
    fear = 0.12 + 0.42 * burden + person + 0.12 * female + 0.06 * oldest
    answers["trygg_kvall"] = _ordinal(rng, fear, 4, 0.18).astype(float)
    never_out = rng.random(n) < 0.02 + 0.10 * oldest + 0.03 * female
    answers["trygg_kvall"][never_out] = 5.0
    answers["avstatt_aktivitet"] = _ordinal(rng, fear - 0.08, 3, 0.20).astype(float)
    answers["oro_brott"] = _ordinal(rng, fear, 4, 0.20).astype(float)
    for code, (base, slope) in VICTIM_ITEMS.items():
        share = base + slope * burden + 0.02 * youngest
        answers[code] = np.where(rng.random(n) < share, 2.0, 1.0)
    for code, values in answers.items():
        vet_ej = rng.random(n) < VET_EJ.get(code, 0.03 if code in PROBLEM_ITEMS else 0.015)
        values[vet_ej] = 9.0
        values[rng.random(n) < ITEM_NONRESPONSE] = np.nan
    return age, gender, answers, sampled


def _area_sample(rng, name: str) -> int:
    return (
        SAMPLE_BASE
        + round(SAMPLE_BY_BURDEN * BURDEN.get(name, DEFAULT_BURDEN))
        + int(rng.integers(-40, 41))
    )


def demo_wave_table(municipality: Municipality, year: int) -> tuple[list[str], list[list]]:
    """The respondents of the demo wave of ``year`` as a vendor's file holds them: one row per
    respondent, ``lopnr, omrade, aldersgrupp, kon, vikt`` and the question codes (answer codes,
    9 = vet ej / vill inte svara, ``None`` = no answer). Deterministic."""
    codes = question_codes()
    blocks = []
    total_sampled = total_answered = 0
    for area in demo_areas(municipality):
        rng = np.random.default_rng(zlib.crc32(f"brygga-survey-demo:{year}:{area.name}".encode()))
        sample = _area_sample(rng, area.name)
        age, gender, answers, sampled = _respondents(rng, area.name, year, sample)
        answered = np.zeros_like(sampled)
        np.add.at(answered, (age, gender), 1)
        total_sampled += sample
        total_answered += len(age)
        blocks.append((area, age, gender, answers, sampled, answered))
    rows: list[list] = []
    overall = total_sampled / total_answered if total_answered else 1.0
    for area, age, gender, answers, sampled, answered in blocks:
        with np.errstate(divide="ignore", invalid="ignore"):
            cell = np.where(answered > 0, sampled / np.maximum(answered, 1), 1.0) / overall
        weights = np.clip(cell[age, gender], 0.5, 2.5)
        for i in range(len(age)):
            row = [
                0,
                area.name,
                AGE_GROUPS[age[i]],
                GENDERS[gender[i]],
                round(float(weights[i]), 4),
            ]
            for code in codes:
                value = answers[code][i]
                row.append(None if np.isnan(value) else int(value))
            rows.append(row)
    # a vendor's running number, in an order that does not reveal the area
    order = np.random.default_rng(year).permutation(len(rows))
    rows = [rows[i] for i in order]
    for n, row in enumerate(rows, start=1):
        row[0] = n
    return [*BASE_COLUMNS, *codes], rows


def sample_size(municipality: Municipality, year: int) -> int:
    total = 0
    for area in demo_areas(municipality):
        rng = np.random.default_rng(zlib.crc32(f"brygga-survey-demo:{year}:{area.name}".encode()))
        total += _area_sample(rng, area.name)
    return total


def respondents_from_table(columns, rows, areas_by_name: dict[str, Area]):
    """The table as the services' :class:`Respondent` objects, as an import hands them over:
    no answer and the answers meaning "vet ej" (the question's missing values) left out."""
    codes = columns[len(BASE_COLUMNS) :]
    missing = {q["code"]: {float(v) for v in q["missing"]} for q in load_template()["questions"]}
    for row in rows:
        area = areas_by_name.get(row[1])
        yield Respondent(
            answers={
                c: float(v)
                for c, v in zip(codes, row[5:], strict=True)
                if v is not None and float(v) not in missing.get(c, ())
            },
            area_id=area.pk if area else None,
            age_group=row[2],
            gender=row[3],
            weight=row[4],
        )


def _description(year: int) -> str:
    text = (
        "Påhittade svar för demonstration, genererade av Brygga: inga verkliga personer. "
        "Nationella mallens frågor, postenkät med webbsvar, urval om 600–900 personer per "
        "område (fler i områden med mer problem)."
    )
    if year == MEASURE_YEAR:
        text += (
            f" Mellan mätningarna {year - 1} och {year} genomfördes demoåtgärden i "
            f"{IMPROVING_AREA}: ny belysning, ett ombyggt centrumtorg och kvällsvandringar "
            "med fältassistenterna."
        )
    return text


def load_survey_demo() -> dict:
    """Store the demo waves of Sundsvall (a wave that already has responses is left as it
    is). Returns the counts."""
    municipality = Municipality.objects.get(code=DEMO_CODE)
    layer = demo_layer(municipality)
    areas = demo_areas(municipality)
    out = {"waves": 0, "respondents": 0, "existing": 0, "areas": len(areas)}
    if layer is None or not areas:
        return out
    by_name = {a.name: a for a in areas}
    actor = SystemActor("brygga demo")
    with acting_as(actor):
        for year in DEMO_YEARS:
            wave = SurveyWave.objects.filter(municipality=municipality, year=year).first()
            if wave is not None and wave.responses:
                out["existing"] += 1
                continue
            if wave is None:
                wave = wave_create(
                    actor=actor,
                    municipality=municipality,
                    year=year,
                    name=f"Trygghetsmätning {year} (demo)",
                    method=SurveyWave.Method.MIXED,
                    layer=layer,
                    vendor=DEMO_VENDOR,
                    sample_size=sample_size(municipality, year),
                    period_start=date(year, 9, 1),
                    period_end=date(year, 10, 31),
                    description=_description(year),
                )
            columns, rows = demo_wave_table(municipality, year)
            summary = wave_responses_replace(
                actor=actor,
                wave=wave,
                respondents=respondents_from_table(columns, rows, by_name),
            )
            out["waves"] += 1
            out["respondents"] += summary.responses
    return out
