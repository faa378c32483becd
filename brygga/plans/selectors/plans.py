"""Reads of action plans, their problems and measures (the plans part).

Every read starts from ``Model.objects.visible_to(user, action)`` (``plans/access.py``): a plan
is read by the municipality's planners, the members of its forum and the organisations that own
or take part in one of its measures; a measure is read with its plan. Problems are rows of a
plan (no rule of their own): they are read through the plans the user sees.

``report_priorities`` reads the prioritised areas of a published lägesbild from its frozen
snapshot (section "priorities", table "prioriteringar": rank, area, score, drivers, …), which
is what a new plan offers to take over as problems.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from brygga.core.access import VIEW
from brygga.core.models import Area, Municipality, Organisation
from brygga.situation.models import SituationReport

from ..models import (
    ActionPlan,
    Agreement,
    AgreementPriority,
    CitizenPromise,
    Measure,
    MeasureStatus,
    PlanProblem,
)

__all__ = [
    "agreement_priorities_for",
    "agreements_for",
    "measure_followups",
    "measure_for",
    "measures_for",
    "plan_for",
    "plan_problems",
    "plans_for",
    "problem_for",
    "promises_for",
    "published_reports_for",
    "report_priorities",
]


def plans_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[ActionPlan]:
    """The municipality's plans that ``user`` may ``action``, with how many problems and
    measures each has and its measures per status (``n_<status>``)."""
    per_status = {
        f"n_{s}": Count("measures", filter=Q(measures__status=s), distinct=True)
        for s in MeasureStatus.values
    }
    return (
        ActionPlan.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("forum", "report", "agreement")
        .annotate(
            n_problems=Count("problems", distinct=True),
            n_measures=Count("measures", distinct=True),
            **per_status,
        )
        .order_by("-period_start", "title", "pk")
    )


def plan_for(user, municipality: Municipality, pk: int, action: str = VIEW) -> ActionPlan:
    """One plan of the municipality that ``user`` may ``action`` (else ``Http404``)."""
    plan = (
        ActionPlan.objects.visible_to(user, action)
        .filter(municipality=municipality, pk=pk)
        .select_related("forum", "report", "agreement")
        .first()
    )
    if plan is None:
        raise Http404
    return plan


def measures_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Measure]:
    return (
        Measure.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("plan", "problem", "owner", "promise", "agreement_priority")
        .prefetch_related("partners", "areas")
        .order_by("plan_id", "start", "title", "pk")
    )


def measure_for(user, municipality: Municipality, pk: int, action: str = VIEW) -> Measure:
    measure = measures_for(user, municipality, action).filter(pk=pk).first()
    if measure is None:
        raise Http404
    return measure


def plan_problems(user, plan: ActionPlan) -> list[PlanProblem]:
    """The plan's problems in priority order, each with the measures ``user`` reads
    (``problem.visible_measures``)."""
    measures = Measure.objects.visible_to(user, VIEW).filter(plan=plan).select_related("owner")
    return list(
        PlanProblem.objects.filter(municipality_id=plan.municipality_id, plan=plan)
        .select_related("area")
        .prefetch_related(Prefetch("measures", queryset=measures, to_attr="visible_measures"))
        .order_by("rank", "id")
    )


def problem_for(user, municipality: Municipality, pk: int, action: str = VIEW) -> PlanProblem:
    """A problem of a plan that ``user`` may ``action`` (else ``Http404``)."""
    plans = ActionPlan.objects.visible_to(user, action).filter(municipality=municipality)
    problem = (
        PlanProblem.objects.filter(municipality=municipality, plan__in=plans, pk=pk)
        .select_related("plan", "area")
        .first()
    )
    if problem is None:
        raise Http404
    return problem


def published_reports_for(user, municipality: Municipality) -> QuerySet[SituationReport]:
    """The published lägesbilder of the municipality that ``user`` reads (a plan starts
    from one of them), newest first."""
    return (
        SituationReport.objects.visible_to(user, VIEW)
        .filter(municipality=municipality, state=SituationReport.State.PUBLISHED)
        .order_by("-published_at", "-id")
    )


def report_priorities(report: SituationReport | None) -> list[dict]:
    """The prioritised areas of a published report's snapshot, in rank order: ``rank``,
    ``area`` (its name), ``score`` and ``drivers`` (text). Empty for a draft or a report
    without a ranking."""
    if report is None or not report.snapshot:
        return []
    section = report.snapshot.get("priorities") or {}
    out = []
    for table in section.get("tables") or []:
        if table.get("key") != "prioriteringar":
            continue
        columns = table.get("columns") or []
        for row in table.get("rows") or []:
            item = dict(zip(columns, row, strict=False))
            rank, area = item.get("rank"), item.get("area")
            if not isinstance(rank, int) or not area:
                continue
            out.append(
                {
                    "rank": rank,
                    "area": str(area),
                    "score": item.get("score"),
                    "drivers": str(item.get("drivers") or ""),
                }
            )
    return sorted(out, key=lambda r: r["rank"])


def agreements_for(user, municipality: Municipality) -> QuerySet[Agreement]:
    return Agreement.objects.visible_to(user, VIEW).filter(municipality=municipality)


def promises_for(user, municipality: Municipality) -> QuerySet[CitizenPromise]:
    return CitizenPromise.objects.visible_to(user, VIEW).filter(municipality=municipality)


def agreement_priorities_for(user, municipality: Municipality) -> QuerySet[AgreementPriority]:
    """The priority areas of the agreements ``user`` reads (a priority is read with its
    agreement)."""
    return (
        AgreementPriority.objects.filter(
            municipality=municipality, agreement__in=agreements_for(user, municipality)
        )
        .select_related("agreement")
        .order_by("agreement__title", "position", "id")
    )


def measure_followups(user, measure: Measure) -> dict:
    """What the work part records under a measure that ``user`` reads: its indicators,
    operations and evaluations (each through its own rule)."""
    from ..models import Evaluation, Indicator, Operation

    return {
        "indicators": list(Indicator.objects.visible_to(user, VIEW).filter(measure=measure)),
        "operations": list(
            Operation.objects.visible_to(user, VIEW)
            .filter(measure=measure)
            .order_by("-started_at", "-id")
        ),
        "evaluations": list(Evaluation.objects.visible_to(user, VIEW).filter(measure=measure)),
    }


def organisation_choices(user, municipality: Municipality) -> QuerySet[Organisation]:
    return Organisation.objects.visible_to(user, VIEW).filter(municipality=municipality)


def area_choices(user, municipality: Municipality) -> QuerySet[Area]:
    return Area.objects.visible_to(user, VIEW).filter(municipality=municipality)


__all__ += ["area_choices", "organisation_choices"]
