"""Writes of the report-back (återrapportering): the one writer of ``FollowUpReport``.

A draft is made for a plan and a period by a coordinator, its "what we learned" text is
written, and issuing freezes what it shows (``followup.build_snapshot``) in the row with one
audit action (``follow_up_issued``, with the snapshot's SHA-256). An issued report-back is never
changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import CHANGE, VIEW, resolver_for

from ..models import ActionPlan, FollowUpReport

__all__ = ["follow_up_create", "follow_up_issue", "follow_up_update"]

LEARNED_MAX = 20_000


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _check(title: str, start: dt.date, end: dt.date, learned: str) -> tuple[str, str]:
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the report-back a title.")
    if end < start:
        errors["period_end"] = _("The period ends (%(end)s) before it starts (%(start)s).") % {
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
    learned = (learned or "").strip()
    if len(learned) > LEARNED_MAX:
        errors["learned"] = _("The text is too long (at most %(n)s characters).") % {
            "n": LEARNED_MAX
        }
    if errors:
        raise ValidationError(errors)
    return title, learned


@transaction.atomic
def follow_up_create(
    *,
    actor,
    plan: ActionPlan,
    title: str,
    period_start: dt.date,
    period_end: dt.date,
    learned: str = "",
) -> FollowUpReport:
    resolver = resolver_for(actor)
    if not resolver.can(VIEW, plan) or not resolver.can_create_in(
        FollowUpReport, plan.municipality_id
    ):
        raise PermissionDenied
    title, learned = _check(title, period_start, period_end, learned)
    return FollowUpReport.objects.create(
        municipality_id=plan.municipality_id,
        plan=plan,
        title=title,
        period_start=period_start,
        period_end=period_end,
        learned=learned,
    )


@transaction.atomic
def follow_up_update(
    *,
    actor,
    report: FollowUpReport,
    title: str,
    period_start: dt.date,
    period_end: dt.date,
    learned: str,
) -> FollowUpReport:
    if not resolver_for(actor).can(CHANGE, report):
        raise PermissionDenied
    report.title, report.learned = _check(title, period_start, period_end, learned)
    report.period_start, report.period_end = period_start, period_end
    report.save()
    return report


def snapshot_digest(snapshot: dict) -> str:
    data = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(data.encode()).hexdigest()


@transaction.atomic
def follow_up_issue(*, actor, report: FollowUpReport, snapshot: dict) -> FollowUpReport:
    """Issue a draft with its ``snapshot`` (``followup.build_snapshot`` for this report)."""
    report = FollowUpReport.objects.select_for_update().get(
        municipality_id=report.municipality_id, pk=report.pk
    )
    if not resolver_for(actor).can(CHANGE, report):
        raise PermissionDenied
    frozen = json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder, ensure_ascii=False))
    report.snapshot = frozen
    report.state = FollowUpReport.State.ISSUED
    report.issued_at = timezone.now()
    report.issued_by = _user(actor)
    report.save()
    log_action(
        event_type="follow_up_issued",
        subject=report,
        details={"plan": report.plan_id, "sha256": snapshot_digest(frozen)},
    )
    return report
