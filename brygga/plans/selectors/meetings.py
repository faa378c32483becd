"""Reads of the meetings part: forum meetings, action items, dialogues and the yearly cycle's
entered events, always narrowed with ``visible_to`` (the derived events of the cycle are in
``brygga.plans.cycle``; the process tracker's evidence in ``brygga.plans.tracker``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.models import Forum, Membership, Municipality, Organisation
from brygga.core.selectors import forums_for

from ..models import ActionItem, CycleEvent, Dialogue, Meeting

__all__ = [
    "action_items_for",
    "cycle_events_for",
    "dialogues_for",
    "forums_writable",
    "meetings_for",
    "overdue_action_items",
    "owner_organisations",
    "owner_users",
]


def meetings_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Meeting]:
    return (
        Meeting.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("forum", "follows", "follows__forum")
    )


def action_items_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("meeting", "meeting__forum", "owner_user", "owner_organisation")
    )


def overdue_action_items(user, municipality: Municipality, today: dt.date | None = None):
    """Open action items past their due date, oldest first."""
    today = today or timezone.localdate()
    return action_items_for(user, municipality).filter(
        status=ActionItem.Status.OPEN, due_on__lt=today
    )


def forums_writable(user, municipality: Municipality) -> QuerySet[Forum]:
    """The forums whose meetings the user may add: every visible forum for those who manage
    the municipality, else the forums convened by an organisation where the user reports."""
    qs = forums_for(user, municipality)
    resolver = resolver_for(user)
    if resolver.has_ability("manage", municipality):
        return qs
    return qs.filter(convener__in=resolver.organisations_with_ability("report", municipality.pk))


def owner_organisations(municipality: Municipality) -> QuerySet[Organisation]:
    """The organisations an action item may be given to (the municipality's active ones)."""
    return Organisation.objects.filter(municipality=municipality, is_active=True).order_by("name")


def owner_users(forum: Forum):
    """The users an action item may be given to: active members of the forum's organisations
    (a list of users, by username)."""
    from django.contrib.auth import get_user_model

    user_ids = Membership.objects.filter(
        organisation__in=forum.organisations.all(), organisation__is_active=True
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("username")


def dialogues_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Dialogue]:
    return (
        Dialogue.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("area")
        .prefetch_related("organisations")
    )


def cycle_events_for(
    user, municipality: Municipality, action: str = VIEW, year: int | None = None
) -> QuerySet[CycleEvent]:
    qs = (
        CycleEvent.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("forum", "plan")
    )
    if year is not None:
        qs = qs.filter(Q(due_on__year=year) | Q(done_on__year=year))
    return qs


def can_change(user, obj) -> bool:
    return resolver_for(user).can(CHANGE, obj)


from .meetings_cycle import *  # noqa: E402, F403
from .meetings_cycle import __all__ as _cycle_all  # noqa: E402

__all__ += _cycle_all


def can_read_forum_meetings(user, forum: Forum) -> bool:
    """Whether ``user`` reads the meetings of ``forum`` (the meeting rule: the municipality's
    planners and the forum's members), asked without a meeting row."""
    from ..access import planners

    resolver = resolver_for(user)
    if not resolver.has_ability(VIEW, forum.municipality_id):
        return False
    if resolver.is_system_admin or forum.municipality_id in planners(resolver):
        return True
    members = set(forum.organisations.values_list("pk", flat=True))
    return bool(members & resolver.member_organisations())


__all__ += ["can_read_forum_meetings"]
