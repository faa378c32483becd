"""The survey's figures, computed from a wave's respondents (never shown as such).

:func:`compute_wave` loads a wave's respondents once into numpy arrays, scores every index
(``brygga.analysis.surveys``: ``score_mean_index`` on 0–10, ``score_share_index`` as per cent)
and every question (the share answering at the worse half of the scale and the mean answer),
and estimates them for the municipality, per area, per age group / gender and per area × age
group / gender: design-weighted means with 95 % confidence intervals on the Kish effective
sample size.

What comes out (:class:`RawWave`) holds every cell, small ones included: it is the input of
``selectors``, which suppress the cells with fewer respondents than ``BRYGGA_SURVEY_MIN_CELL``
before anything leaves the app. Nothing outside ``selectors`` (and the tests) imports this
module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from brygga.analysis.surveys import (
    WeightedEstimate,
    score_mean_index,
    score_share_index,
    weighted_estimate,
    weighted_estimates_by_group,
)

from .models import Polarity, SurveyIndex, SurveyQuestion, SurveyResponse, SurveyWave

UNPLACED = -1  # respondents without an area: in the municipality's figures, in no area's
DIMENSIONS = ("age", "gender")


@dataclass
class Figures:
    """The estimates of one measure (an index, or a question's share / mean): ``municipality``,
    ``areas`` {area id: estimate}, ``groups`` {dimension: {label: estimate}} and ``area_groups``
    {dimension: {(area id, label): estimate}}. Estimates are ``None`` where nobody had a value."""

    municipality: WeightedEstimate | None
    areas: dict[int, WeightedEstimate] = field(default_factory=dict)
    groups: dict[str, dict[str, WeightedEstimate]] = field(default_factory=dict)
    area_groups: dict[str, dict[tuple[int, str], WeightedEstimate]] = field(default_factory=dict)


@dataclass
class QuestionInfo:
    code: str
    text: str
    topic: str
    values: list[float]  # the answers that are not "missing", ascending
    worse: list[float]  # the worse half of them (by polarity)
    worse_labels: list[str]
    polarity: str


@dataclass
class IndexInfo:
    code: str
    name: str
    description: str
    rule: str
    percent: bool


@dataclass
class RawWave:
    wave_id: int
    year: int
    respondents: int
    area_ids: list[int]  # areas with at least one respondent
    indices: list[IndexInfo]
    questions: list[QuestionInfo]
    index_figures: dict[str, Figures]
    share_figures: dict[str, Figures]  # per question: share at the worse end, per cent
    mean_figures: dict[str, Figures]  # per question: mean answer on its own scale


def _worse_half(values: list[float], polarity: str) -> list[float]:
    """The worse half of a scale: the upper half where a higher answer is worse (the middle
    answer of an odd scale included, so "Ja, någon gång" counts with "Ja, ofta")."""
    if polarity == Polarity.HIGHER_BETTER:
        return values[: len(values) - len(values) // 2]
    return values[len(values) // 2 :]


def question_info(q: SurveyQuestion) -> QuestionInfo:
    missing = {float(v) for v in q.missing or []}
    values = sorted(v for v in q.values if v not in missing)
    worse = _worse_half(values, q.polarity)
    return QuestionInfo(
        code=q.code,
        text=q.text,
        topic=q.topic,
        values=values,
        worse=worse,
        worse_labels=[q.label_for(v) for v in worse],
        polarity=q.polarity,
    )


class _Data:
    """A wave's respondents as arrays: area ids, age groups, genders, weights and one answer
    column per question code (NaN: no answer, a "missing" value or one outside the scale)."""

    def __init__(self, wave: SurveyWave, questions: list[QuestionInfo]):
        rows = list(
            SurveyResponse.objects.filter(
                municipality_id=wave.municipality_id, wave_id=wave.pk
            ).values_list("area_id", "age_group", "gender", "weight", "answers")
        )
        self.n = len(rows)
        self.area = np.array([r[0] if r[0] is not None else UNPLACED for r in rows], dtype=np.int64)
        self.group = {
            "age": np.array([r[1] or "" for r in rows], dtype=object),
            "gender": np.array([r[2] or "" for r in rows], dtype=object),
        }
        self.weight = np.array([r[3] for r in rows], dtype=np.float64)
        self.columns: dict[str, np.ndarray] = {}
        for q in questions:
            col = np.full(self.n, np.nan)
            allowed = set(q.values)
            for i, r in enumerate(rows):
                v = (r[4] or {}).get(q.code)
                if v is None:
                    continue
                try:
                    fv = float(v)
                except (TypeError, ValueError):
                    continue
                if fv in allowed:
                    col[i] = fv
            self.columns[q.code] = col

    def matrix(self, codes: list[str]) -> np.ndarray:
        return np.column_stack([self.columns[c] for c in codes])


def _figures(data: _Data, values: np.ndarray, *, groups: bool = True) -> Figures:
    placed = data.area != UNPLACED
    fig = Figures(municipality=weighted_estimate(values, data.weight))
    fig.areas = weighted_estimates_by_group(values[placed], data.area[placed], data.weight[placed])
    for dim in DIMENSIONS if groups else ():
        labels = data.group[dim]
        has = labels != ""
        fig.groups[dim] = (
            weighted_estimates_by_group(values[has], labels[has].astype(str), data.weight[has])
            if has.any()
            else {}
        )
        both = has & placed
        if both.any():
            keys = np.array(
                [f"{a}\x1f{g}" for a, g in zip(data.area[both], labels[both], strict=True)]
            )
            by = weighted_estimates_by_group(values[both], keys, data.weight[both])
            fig.area_groups[dim] = {
                (int(k.split("\x1f", 1)[0]), k.split("\x1f", 1)[1]): e for k, e in by.items()
            }
        else:
            fig.area_groups[dim] = {}
    return fig


def index_scores(index: SurveyIndex, questions: dict[str, QuestionInfo], data: _Data) -> np.ndarray:
    """Each respondent's score of ``index`` (NaN: not scored): 0–10 for a mean index, 0/100
    for a share index (so that its weighted mean is a percentage)."""
    codes = [c for c in index.question_codes if c in questions]
    answers = data.matrix(codes) if data.n else np.empty((0, len(codes)))
    reverse = np.array([questions[c].polarity == Polarity.HIGHER_BETTER for c in codes])
    min_answered = max(1, min(int(index.min_answered or 1), len(codes)))
    if index.rule == SurveyIndex.Rule.SHARE:
        return 100.0 * score_share_index(
            answers, threshold=float(index.threshold), reverse=reverse, min_answered=min_answered
        )
    return score_mean_index(
        answers,
        low=np.array([questions[c].values[0] for c in codes]),
        high=np.array([questions[c].values[-1] for c in codes]),
        reverse=reverse,
        min_answered=min_answered,
        scale=10.0,
    )


def compute_wave(wave: SurveyWave) -> RawWave:
    """Every figure of ``wave`` (unsuppressed: see the module docstring)."""
    mid = wave.municipality_id
    questions = [
        info
        for q in SurveyQuestion.objects.filter(municipality_id=mid, wave_id=wave.pk)
        if len((info := question_info(q)).values) >= 2
    ]
    by_code = {q.code: q for q in questions}
    indices = [
        i
        for i in SurveyIndex.objects.filter(municipality_id=mid, wave_id=wave.pk)
        if any(c in by_code for c in i.question_codes)
    ]
    data = _Data(wave, questions)
    raw = RawWave(
        wave_id=wave.pk,
        year=wave.year,
        respondents=data.n,
        area_ids=sorted({int(a) for a in data.area if a != UNPLACED}),
        indices=[
            IndexInfo(
                code=i.code,
                name=i.name,
                description=i.description,
                rule=i.rule,
                percent=i.rule == SurveyIndex.Rule.SHARE,
            )
            for i in indices
        ],
        questions=questions,
        index_figures={},
        share_figures={},
        mean_figures={},
    )
    if not data.n:
        return raw
    for index in indices:
        raw.index_figures[index.code] = _figures(data, index_scores(index, by_code, data))
    for q in questions:
        col = data.columns[q.code]
        share = np.where(np.isnan(col), np.nan, np.isin(col, q.worse) * 100.0)
        raw.share_figures[q.code] = _figures(data, share, groups=False)
        raw.mean_figures[q.code] = _figures(data, col, groups=False)
    return raw
