"""Writes of the EST weekly picture: the member organisations' assessments of their safety
group's areas per week, and the users' opt-in to the weekly digest e-mail."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.core.access import resolver_for
from brygga.core.models import Area, Forum, ForumKind, Organisation
from brygga.core.selectors import forums_for

from ..access import can_assess
from ..models import AreaAssessment, AssessmentLevel, DigestSubscription


def _check_week(week_start: dt.date) -> None:
    if week_start.weekday() != 0:
        raise ValidationError({"week_start": _("A week starts on a Monday.")})
    today = timezone.localdate()
    if week_start > today:
        raise ValidationError({"week_start": _("A week that has not begun cannot be assessed.")})


def _safety_group(actor, forum: Forum) -> None:
    if (
        forum.kind != ForumKind.SAFETY_GROUP
        or not forums_for(actor, forum.municipality).filter(pk=forum.pk).exists()
    ):
        raise PermissionDenied


@transaction.atomic
def assessments_set(
    *,
    actor,
    forum: Forum,
    organisation: Organisation,
    week_start: dt.date,
    levels: dict[int, int | None],
) -> int:
    """Set ``organisation``'s assessment of the forum's areas for one week: ``levels`` maps an
    area id to a level (1–4) or ``None`` to take the assessment back. Returns how many
    assessments the organisation has for that week afterwards."""
    _safety_group(actor, forum)
    if not can_assess(resolver_for(actor), forum, organisation):
        raise PermissionDenied
    _check_week(week_start)
    areas = set(forum.areas.values_list("pk", flat=True))
    unknown = set(levels) - areas
    if unknown:
        raise ValidationError(_("An area is not one of the group's areas."))
    existing = {
        a.area_id: a
        for a in AreaAssessment.objects.filter(
            municipality_id=forum.municipality_id,
            forum=forum,
            organisation=organisation,
            week_start=week_start,
        )
    }
    user = actor if getattr(actor, "is_authenticated", False) else None
    for area_id, level in sorted(levels.items()):
        current = existing.get(area_id)
        if level is None:
            if current is not None:
                current.delete()
            continue
        if level not in AssessmentLevel.values:
            raise ValidationError({"level": _("Choose one of the four levels.")})
        if current is None:
            AreaAssessment.objects.create(
                municipality_id=forum.municipality_id,
                forum=forum,
                area=Area.objects.get(municipality_id=forum.municipality_id, pk=area_id),
                organisation=organisation,
                week_start=week_start,
                level=level,
                assessed_by=user,
            )
        elif current.level != level:
            current.level = level
            current.assessed_by = user
            current.save(update_fields=["level", "assessed_by", "updated_at"])
    return AreaAssessment.objects.filter(
        municipality_id=forum.municipality_id,
        forum=forum,
        organisation=organisation,
        week_start=week_start,
    ).count()


@transaction.atomic
def digest_subscribe(*, actor, forum: Forum, on: bool) -> bool:
    """Turn the weekly digest of a safety group on or off for the user; returns the state."""
    _safety_group(actor, forum)
    if not getattr(actor, "email", ""):
        raise ValidationError(_("Your account has no e-mail address to send the digest to."))
    current = DigestSubscription.objects.filter(
        municipality_id=forum.municipality_id, forum=forum, user=actor
    )
    if on and not current.exists():
        DigestSubscription.objects.create(
            municipality_id=forum.municipality_id, forum=forum, user=actor
        )
    elif not on:
        current.delete()
    return on


@transaction.atomic
def digest_mark_sent(*, subscription: DigestSubscription, week_start: dt.date) -> None:
    """Record that the digest of ``week_start`` went out (the sender, Brygga itself)."""
    DigestSubscription.objects.filter(
        municipality_id=subscription.municipality_id, pk=subscription.pk
    ).update(last_sent_week=week_start, updated_at=timezone.now())
