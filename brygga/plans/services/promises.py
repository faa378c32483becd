"""Writes of citizen promises (the one writer of ``CitizenPromise`` and ``PromiseProblem``;
re-exported by ``services/agreements.py``, see its developer note).

A promise's problems are ``PlanProblem`` rows of plans of its municipality that the actor reads.
An extension must end after ``period_end``. A closed status (fulfilled, partly, not fulfilled)
needs a justification; ``status_changed_on`` is set here. Publishing sets ``published_on``
(today by default): the public page lists it from that day. ``promise_status_set``,
``promise_extended`` and ``promise_published`` add a ``log_action`` row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import VIEW
from brygga.core.models import Municipality

from ..models import (
    CLOSED_PROMISE_STATUSES,
    Agreement,
    CitizenPromise,
    PlanProblem,
    PromiseStatus,
    link_defaults,
)
from ..selectors.agreements import problems_for
from .agreements_common import check_change, check_create, check_period, user_or_none

__all__ = [
    "promise_create",
    "promise_extend",
    "promise_publish",
    "promise_set_status",
    "promise_update",
]


def _clean_problems(actor, municipality: Municipality, problems) -> list[PlanProblem]:
    problems = list(problems or [])
    if not problems:
        return []
    allowed = set(
        problems_for(actor, municipality)
        .filter(pk__in=[p.pk for p in problems])
        .values_list("pk", flat=True)
    )
    if any(p.pk not in allowed or p.municipality_id != municipality.pk for p in problems):
        raise ValidationError(
            {"problems": _("Choose problems of the municipality's plans that you can see.")}
        )
    return problems


def _check_agreement(actor, municipality: Municipality, agreement: Agreement | None) -> None:
    if agreement is None:
        return
    if (
        agreement.municipality_id != municipality.pk
        or not Agreement.objects.visible_to(actor, VIEW).filter(pk=agreement.pk).exists()
    ):
        raise ValidationError(
            {"agreement": _("Choose a cooperation agreement of the municipality.")}
        )


PROMISE_TEXT_FIELDS = ("title", "text", "police_commitments", "municipality_commitments")


@transaction.atomic
def promise_create(
    *,
    actor,
    municipality: Municipality,
    title: str,
    text: str,
    period_start: dt.date,
    period_end: dt.date,
    police_commitments: str = "",
    municipality_commitments: str = "",
    agreement: Agreement | None = None,
    problems: Iterable[PlanProblem] = (),
) -> CitizenPromise:
    """A new citizen promise (active, not published)."""
    check_create(actor, CitizenPromise, municipality)
    check_period(period_start, period_end)
    _check_agreement(actor, municipality, agreement)
    clean = _clean_problems(actor, municipality, problems)
    promise = CitizenPromise(
        municipality=municipality,
        period_start=period_start,
        period_end=period_end,
        agreement=agreement,
        created_by=user_or_none(actor),
        **{
            k: (v or "").strip()
            for k, v in zip(
                PROMISE_TEXT_FIELDS,
                (title, text, police_commitments, municipality_commitments),
                strict=True,
            )
        },
    )
    promise.full_clean(exclude=["agreement", "created_by"])
    promise.save()
    promise.problems.set(clean, through_defaults=link_defaults(promise))
    return promise


@transaction.atomic
def promise_update(
    *,
    actor,
    municipality: Municipality,
    instance: CitizenPromise,
    title: str,
    text: str,
    period_start: dt.date,
    period_end: dt.date,
    police_commitments: str = "",
    municipality_commitments: str = "",
    agreement: Agreement | None = None,
    problems: Iterable[PlanProblem] | None = None,
) -> CitizenPromise:
    """Change a promise's text, period, commitments, agreement and problems (``None`` keeps
    them). The status, the extension and publication have services of their own."""
    check_change(actor, instance)
    if instance.municipality_id != municipality.pk:
        raise PermissionDenied
    check_period(period_start, period_end)
    if instance.extended_to and instance.extended_to <= period_end:
        raise ValidationError(
            {
                "period_end": _(
                    "The promise is extended to %(ext)s: its period must end before that."
                )
                % {"ext": instance.extended_to.isoformat()}
            }
        )
    _check_agreement(actor, municipality, agreement)
    clean = _clean_problems(actor, municipality, problems) if problems is not None else None
    for k, v in zip(
        PROMISE_TEXT_FIELDS,
        (title, text, police_commitments, municipality_commitments),
        strict=True,
    ):
        setattr(instance, k, (v or "").strip())
    instance.period_start, instance.period_end = period_start, period_end
    instance.agreement = agreement
    instance.full_clean(exclude=["agreement", "created_by"])
    instance.save()
    if clean is not None:
        instance.problems.set(clean, through_defaults=link_defaults(instance))
    return instance


@transaction.atomic
def promise_set_status(
    *, actor, promise: CitizenPromise, status: str, justification: str = ""
) -> CitizenPromise:
    """Set the status; a closed status (fulfilled, partly, not fulfilled) needs its
    justification."""
    check_change(actor, promise)
    if status not in PromiseStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    justification = (justification or "").strip()
    if status in CLOSED_PROMISE_STATUSES and not justification:
        raise ValidationError(
            {
                "status_justification": _(
                    "Say why the promise is “%(status)s”: a closed status needs a "
                    "justification, which is shown with it."
                )
                % {"status": PromiseStatus(status).label}
            }
        )
    before = promise.status
    promise.status = status
    promise.status_justification = justification
    promise.status_changed_on = timezone.localdate()
    promise.save()
    log_action(
        event_type="promise_status_set",
        subject=promise,
        details={"from": before, "to": status},
    )
    return promise


@transaction.atomic
def promise_extend(*, actor, promise: CitizenPromise, extended_to: dt.date) -> CitizenPromise:
    """Extend the promise to ``extended_to``, which must be after its period's end."""
    check_change(actor, promise)
    if extended_to is None or extended_to <= promise.period_end:
        raise ValidationError(
            {
                "extended_to": _("An extension must end after the promise's period ends (%(end)s).")
                % {"end": promise.period_end.isoformat()}
            }
        )
    before = promise.extended_to
    promise.extended_to = extended_to
    promise.save()
    log_action(
        event_type="promise_extended",
        subject=promise,
        details={
            "from": before.isoformat() if before else None,
            "to": extended_to.isoformat(),
        },
    )
    return promise


@transaction.atomic
def promise_publish(
    *, actor, promise: CitizenPromise, published_on: dt.date | None = None
) -> CitizenPromise:
    """Show the promise on the municipality's public page from ``published_on`` (today by
    default)."""
    check_change(actor, promise)
    promise.published_on = published_on or timezone.localdate()
    promise.save()
    log_action(
        event_type="promise_published",
        subject=promise,
        details={"published_on": promise.published_on.isoformat()},
    )
    return promise
