"""Writes of indicators (and a manual indicator's values) and evaluations.

An indicator must rest on data that exists: an incident indicator's categories must be
national or the municipality's own; its areas the municipality's and of one layer; a rate
indicator needs a population figure for each area (or the municipality); a survey indicator
an index code that a wave of the municipality has. The baseline period must hold at least one
whole period of the indicator's granularity (a calendar year for a survey index). Values are
never written here except a manual series' rows (:func:`indicator_value_create`).

An evaluation is made by planners (analysts, coordinators) on a measure they can see; it is
computed at once (:func:`evaluation_recompute`, ``brygga.plans.evaluations``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.analysis._validation import AnalysisInputError
from brygga.audit.context import actor_for_user
from brygga.audit.services import log_action
from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.models import Area, Municipality
from brygga.incidents.models import Category

from .. import evaluations as evaluation_data
from ..indicator_values import INCIDENT_SOURCES, population, whole_periods_in
from ..models import (
    Evaluation,
    EvaluationArea,
    Granularity,
    Indicator,
    IndicatorSource,
    IndicatorValue,
    Measure,
    link_defaults,
)

__all__ = [
    "evaluation_conclude",
    "evaluation_create",
    "evaluation_recompute",
    "indicator_create",
    "indicator_update",
    "indicator_value_create",
    "treated_and_comparison",
]


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_indicator(
    municipality: Municipality,
    *,
    source: str,
    categories: Sequence[Category],
    areas: Sequence[Area],
    survey_index_code: str,
    granularity: str,
    baseline_start: dt.date,
    baseline_end: dt.date,
    target_date: dt.date | None,
) -> None:
    errors: dict[str, str] = {}
    if source not in IndicatorSource.values:
        errors["source"] = _("Choose the data the indicator rests on.")
    if any(a.municipality_id != municipality.pk for a in areas):
        errors["areas"] = _("Choose areas of the municipality.")
    elif len({a.layer_id for a in areas}) > 1:
        errors["areas"] = _("Choose areas of one layer (areas of two layers may overlap).")
    if any(c.municipality_id not in (None, municipality.pk) for c in categories):
        errors["categories"] = _(
            "A category is another municipality's own: choose national categories or the "
            "municipality's own."
        )
    if categories and source not in INCIDENT_SOURCES:
        errors["categories"] = _("Categories apply only to incident and police event counts.")
    if source == IndicatorSource.SURVEY_INDEX:
        from brygga.surveys.models import SurveyIndex

        code = (survey_index_code or "").strip()
        if not code:
            errors["survey_index_code"] = _("Give the code of the survey index.")
        elif not SurveyIndex.objects.filter(municipality=municipality, code=code).exists():
            errors["survey_index_code"] = _(
                "No survey wave of %(name)s has an index “%(code)s”."
            ) % {"name": municipality.name, "code": code}
    elif survey_index_code:
        errors["survey_index_code"] = _("A survey index applies only to survey indicators.")
    if (
        source == IndicatorSource.INCIDENT_RATE
        and "areas" not in errors
        and population(municipality, list(areas), 9999) is None
    ):
        errors["areas"] = _(
            "There is no population figure for the areas (or the municipality): a rate per "
            "1,000 residents cannot be computed. Import the population under Statistics first."
        )
    if baseline_end < baseline_start:
        errors["baseline_end"] = _("The baseline period ends before it starts.")
    else:
        unit = Granularity.YEAR if source == IndicatorSource.SURVEY_INDEX else granularity
        if source != IndicatorSource.MANUAL and not whole_periods_in(
            baseline_start, baseline_end, unit
        ):
            errors["baseline_end"] = _(
                "The baseline period must hold at least one whole %(period)s."
            ) % {"period": Granularity(unit).label.lower()}
    if target_date is not None and target_date < baseline_start:
        errors["target_date"] = _("The target date lies before the baseline.")
    if errors:
        raise ValidationError(errors)


def _save_indicator(ind: Indicator, fields: dict, categories, areas) -> Indicator:
    for k, v in fields.items():
        setattr(ind, k, v)
    ind.name = ind.name.strip()
    ind.survey_index_code = (ind.survey_index_code or "").strip()
    ind.full_clean(exclude=["measure", "municipality"])
    ind.save()
    ind.categories.set(list(categories), through_defaults=link_defaults(ind))
    ind.areas.set(list(areas), through_defaults=link_defaults(ind))
    return ind


@transaction.atomic
def indicator_create(
    *,
    actor,
    municipality: Municipality,
    measure: Measure,
    name: str,
    source: str,
    baseline_start: dt.date,
    baseline_end: dt.date,
    categories: Sequence[Category] = (),
    areas: Sequence[Area] = (),
    survey_index_code: str = "",
    granularity: str = Granularity.YEAR,
    unit: str = "",
    target_value: float | None = None,
    target_date: dt.date | None = None,
    direction: str = "decrease",
) -> Indicator:
    resolver = resolver_for(actor)
    if not resolver.can_create_in(Indicator, municipality):
        raise PermissionDenied
    if measure.municipality_id != municipality.pk or not resolver.can(CHANGE, measure):
        raise PermissionDenied
    categories, areas = list(categories), list(areas)
    _check_indicator(
        municipality,
        source=source,
        categories=categories,
        areas=areas,
        survey_index_code=survey_index_code,
        granularity=granularity,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        target_date=target_date,
    )
    fields = {
        "name": name,
        "source": source,
        "survey_index_code": survey_index_code,
        "granularity": granularity,
        "unit": unit,
        "baseline_start": baseline_start,
        "baseline_end": baseline_end,
        "target_value": target_value,
        "target_date": target_date,
        "direction": direction,
    }
    return _save_indicator(
        Indicator(municipality=municipality, measure=measure), fields, categories, areas
    )


@transaction.atomic
def indicator_update(
    *,
    actor,
    municipality: Municipality,
    instance: Indicator,
    name: str,
    source: str,
    baseline_start: dt.date,
    baseline_end: dt.date,
    categories: Sequence[Category] = (),
    areas: Sequence[Area] = (),
    survey_index_code: str = "",
    granularity: str = Granularity.YEAR,
    unit: str = "",
    target_value: float | None = None,
    target_date: dt.date | None = None,
    direction: str = "decrease",
) -> Indicator:
    if instance.municipality_id != municipality.pk or not resolver_for(actor).can(CHANGE, instance):
        raise PermissionDenied
    categories, areas = list(categories), list(areas)
    _check_indicator(
        municipality,
        source=source,
        categories=categories,
        areas=areas,
        survey_index_code=survey_index_code,
        granularity=granularity,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        target_date=target_date,
    )
    if (
        instance.source == IndicatorSource.MANUAL
        and source != IndicatorSource.MANUAL
        and instance.values.exists()
    ):
        raise ValidationError(
            {"source": _("The indicator has values entered by hand: keep it manual.")}
        )
    fields = {
        "name": name,
        "source": source,
        "survey_index_code": survey_index_code,
        "granularity": granularity,
        "unit": unit,
        "baseline_start": baseline_start,
        "baseline_end": baseline_end,
        "target_value": target_value,
        "target_date": target_date,
        "direction": direction,
    }
    return _save_indicator(instance, fields, categories, areas)


@transaction.atomic
def indicator_value_create(
    *,
    actor,
    indicator: Indicator,
    period_start: dt.date,
    period_end: dt.date,
    value: float,
    note: str = "",
) -> IndicatorValue:
    if not resolver_for(actor).can(CHANGE, indicator):
        raise PermissionDenied
    if indicator.source != IndicatorSource.MANUAL:
        raise ValidationError(
            _("The values of this indicator are computed from Brygga's data, not entered.")
        )
    if period_end < period_start:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    if indicator.values.filter(period_start=period_start).exists():
        raise ValidationError({"period_start": _("There is already a value for this period.")})
    if indicator.values.filter(period_start__lte=period_end, period_end__gte=period_start).exists():
        raise ValidationError({"period_start": _("The period overlaps one already entered.")})
    return IndicatorValue.objects.create(
        indicator=indicator,
        period_start=period_start,
        period_end=period_end,
        value=value,
        note=(note or "").strip(),
    )


# --- evaluations ------------------------------------------------------------------------------
def _check_evaluation(
    municipality, *, treated, comparison, before_start, before_end, after_start, after_end
) -> None:
    errors: dict[str, str] = {}
    if not treated:
        errors["treated_areas"] = _("Choose at least one treated area.")
    areas = [*treated, *comparison]
    if any(a.municipality_id != municipality.pk for a in areas):
        errors["treated_areas"] = _("Choose areas of the municipality.")
    if {a.pk for a in treated} & {a.pk for a in comparison}:
        errors["comparison_areas"] = _("An area cannot be both treated and a comparison.")
    layers = {a.layer_id for a in treated}
    if any(a.layer_id not in layers for a in comparison):
        errors["comparison_areas"] = _("Choose comparison areas of the treated areas' layer.")
    if before_end < before_start:
        errors["before_end"] = _("The before period ends before it starts.")
    if after_end < after_start:
        errors["after_end"] = _("The after period ends before it starts.")
    if after_start <= before_end:
        errors["after_start"] = _("The after period must start after the before period ends.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def evaluation_create(
    *,
    actor,
    municipality: Municipality,
    measure: Measure,
    title: str,
    treated_areas: Sequence[Area],
    before_start: dt.date,
    before_end: dt.date,
    after_start: dt.date,
    after_end: dt.date,
    comparison_areas: Sequence[Area] = (),
    categories: Sequence[Category] = (),
    conclusion: str = "",
) -> Evaluation:
    resolver = resolver_for(actor)
    if not resolver.can_create_in(Evaluation, municipality):
        raise PermissionDenied
    if measure.municipality_id != municipality.pk or not resolver.can(VIEW, measure):
        raise PermissionDenied
    treated, comparison = list(treated_areas), list(comparison_areas)
    _check_evaluation(
        municipality,
        treated=treated,
        comparison=comparison,
        before_start=before_start,
        before_end=before_end,
        after_start=after_start,
        after_end=after_end,
    )
    categories = list(categories)
    if any(c.municipality_id not in (None, municipality.pk) for c in categories):
        raise ValidationError({"categories": _("Choose categories of the municipality.")})
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the evaluation a title.")})
    ev = Evaluation.objects.create(
        municipality=municipality,
        measure=measure,
        title=title.strip(),
        before_start=before_start,
        before_end=before_end,
        after_start=after_start,
        after_end=after_end,
        conclusion=(conclusion or "").strip(),
        created_by=_user(actor),
    )
    ev.categories.set(categories, through_defaults=link_defaults(ev))
    for area in treated:
        EvaluationArea.objects.create(evaluation=ev, area=area, treated=True)
    for area in comparison:
        EvaluationArea.objects.create(evaluation=ev, area=area, treated=False)
    return evaluation_recompute(actor=actor, evaluation=ev)


def treated_and_comparison(evaluation: Evaluation) -> tuple[list[Area], list[Area]]:
    rows = list(
        EvaluationArea.objects.filter(
            municipality_id=evaluation.municipality_id, evaluation=evaluation
        )
        .select_related("area")
        .order_by("area__name")
    )
    return [r.area for r in rows if r.treated], [r.area for r in rows if not r.treated]


@transaction.atomic
def evaluation_recompute(*, actor, evaluation: Evaluation) -> Evaluation:
    if not resolver_for(actor).can(CHANGE, evaluation):
        raise PermissionDenied
    treated, comparison = treated_and_comparison(evaluation)
    data = evaluation_data.assemble(
        actor,
        evaluation.municipality,
        treated=treated,
        comparison=comparison,
        categories=list(evaluation.categories.all()),
        before=(evaluation.before_start, evaluation.before_end),
        after=(evaluation.after_start, evaluation.after_end),
    )
    try:
        result, reading = evaluation_data.estimate(data)
    except AnalysisInputError as exc:
        raise ValidationError(
            _("The evaluation cannot be computed from these data: %(reason)s") % {"reason": exc}
        ) from None
    evaluation.result = result
    evaluation.reading = reading
    evaluation.computed_at = timezone.now()
    evaluation.save(update_fields=["result", "reading", "computed_at", "updated_at"])
    log_action(
        event_type="plans.evaluation_computed",
        subject=evaluation,
        details={
            "rate_ratio": result["rate_ratio"],
            "design": result["design"],
            "treated_before": result["treated_before"],
            "treated_after": result["treated_after"],
        },
        actor=actor_for_user(actor),
        municipality_id=evaluation.municipality_id,
    )
    return evaluation


@transaction.atomic
def evaluation_conclude(*, actor, evaluation: Evaluation, conclusion: str) -> Evaluation:
    if not resolver_for(actor).can(CHANGE, evaluation):
        raise PermissionDenied
    evaluation.conclusion = (conclusion or "").strip()
    evaluation.save(update_fields=["conclusion", "updated_at"])
    return evaluation
