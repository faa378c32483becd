"""Reads of cooperation agreements and citizen promises, already narrowed with ``visible_to``.

``public_promises`` is the one read of the public page (no user): the promises published on or
before today, and nothing of them but what the page shows is read there (the view and its
template decide the fields)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from brygga.core.access import VIEW
from brygga.core.models import Municipality, PoliceArea

from ..models import (
    ActionPlan,
    Agreement,
    AgreementParty,
    CitizenPromise,
    Indicator,
    Measure,
    PlanProblem,
    PromiseStatus,
)

__all__ = [
    "agreements_for",
    "overlapping_promises",
    "police_areas_of",
    "problems_for",
    "promise_evidence",
    "promises_for",
    "public_municipality",
    "public_promises",
    "split_current",
]


def agreements_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Agreement]:
    return (
        Agreement.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("police_area", "renews")
        .prefetch_related(
            Prefetch("parties", AgreementParty.objects.select_related("organisation")),
            "priorities",
        )
    )


def promises_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[CitizenPromise]:
    return (
        CitizenPromise.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("agreement")
    )


def problems_for(user, municipality: Municipality) -> QuerySet[PlanProblem]:
    """The prioritised problems of the municipality's plans that ``user`` reads."""
    plans = ActionPlan.objects.visible_to(user, VIEW).filter(municipality=municipality)
    return (
        PlanProblem.objects.filter(municipality=municipality, plan__in=plans)
        .select_related("plan")
        .order_by("plan__title", "rank", "id")
    )


def police_areas_of(municipality: Municipality) -> QuerySet[PoliceArea]:
    return PoliceArea.objects.filter(municipalities=municipality).order_by("name")


def promise_evidence(user, promise: CitizenPromise) -> list[tuple[Measure, list[Indicator]]]:
    """The measures linked to the promise that ``user`` reads, each with its indicators
    (those the user reads)."""
    measures = list(
        Measure.objects.visible_to(user, VIEW)
        .filter(municipality_id=promise.municipality_id, promise=promise)
        .select_related("owner")
        .order_by("start", "title")
    )
    by_measure: dict[int, list[Indicator]] = {m.pk: [] for m in measures}
    for ind in (
        Indicator.objects.visible_to(user, VIEW)
        .filter(municipality_id=promise.municipality_id, measure__in=[m.pk for m in measures])
        .order_by("name", "id")
    ):
        by_measure[ind.measure_id].append(ind)
    return [(m, by_measure[m.pk]) for m in measures]


def overlapping_promises(user, promise: CitizenPromise) -> list[CitizenPromise]:
    """Other promises of the municipality that address one of the same problems in an
    overlapping period (the extension counts)."""
    problem_ids = list(promise.problems.values_list("pk", flat=True))
    if not problem_ids:
        return []
    candidates = (
        CitizenPromise.objects.visible_to(user, VIEW)
        .filter(municipality_id=promise.municipality_id, problems__in=problem_ids)
        .exclude(pk=promise.pk)
        .filter(period_start__lte=promise.ends_on)
        .distinct()
        .order_by("period_start", "title")
    )
    return [p for p in candidates if p.ends_on >= promise.period_start]


def public_municipality(code: str) -> Municipality:
    """The municipality ``code`` names; an unknown code is 404."""
    return get_object_or_404(Municipality.objects.all(), code=code)


def public_promises(municipality: Municipality) -> QuerySet[CitizenPromise]:
    """The promises of ``municipality`` published on or before today, newest period first.
    Only what the public page shows is read."""
    return (
        CitizenPromise.objects.filter(
            municipality=municipality,
            published_on__isnull=False,
            published_on__lte=timezone.localdate(),
        )
        .only(
            "id",
            "municipality_id",
            "title",
            "text",
            "period_start",
            "period_end",
            "extended_to",
            "police_commitments",
            "municipality_commitments",
            "status",
            "status_justification",
            "status_changed_on",
            "published_on",
        )
        .order_by("-period_start", "title")
    )


def split_current(promises) -> tuple[list, list]:
    """(current, past): current = active and today within the period (extension included)."""
    today = timezone.localdate()
    current, past = [], []
    for p in promises:
        is_current = p.status == PromiseStatus.ACTIVE and p.period_start <= today <= p.ends_on
        (current if is_current else past).append(p)
    return current, past
