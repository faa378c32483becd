"""Writes of the meetings part: forum meetings and their action items (this module), the
yearly cycle's entered events, dialogues and the revocation of calendar links
(``meetings_cycle``, re-exported here).

Rules: keyword-only, the resolver first, one transaction, ``ValidationError`` keyed by field.
A meeting is added for a forum the actor may write for (``selectors.forums_writable``: those
who manage the municipality, or the convener's reporters). ``sequence`` (the iCalendar
SEQUENCE) rises by one whenever the start, end, place or state changes, so calendar clients
replace the entry; a move or a cancellation is also an audit action. An action item's owner
is an active member of one of the forum's organisations and/or an organisation of the
municipality; "done" sets ``done_on`` (today), any other status clears it. An owner who may
not change the meeting changes only the status of their item.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import CHANGE, resolver_for
from brygga.core.models import Forum, Municipality, Organisation

from ..models import ActionItem, Meeting, link_defaults
from ..selectors.meetings import forums_writable, owner_organisations, owner_users
from .meetings_cycle import *  # noqa: F403
from .meetings_cycle import __all__ as _cycle_all

__all__ = [
    "action_item_create",
    "action_item_mark_reminded",
    "action_item_unmark_reminded",
    "action_item_update",
    "meeting_create",
    "meeting_update",
    *_cycle_all,
]

MOVING_FIELDS = ("starts_at", "ends_at", "location", "state")
MEETING_FIELDS = {
    "title",
    "starts_at",
    "ends_at",
    "location",
    "agenda",
    "minutes",
    "decisions",
    "state",
    "attendees",
    "follows",
    "organisations",
}


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The meeting ends before it starts.")})


def _check_forum(actor, municipality: Municipality, forum: Forum) -> None:
    if forum is None or forum.municipality_id != municipality.pk:
        raise ValidationError({"forum": _("Choose a forum of the municipality.")})
    if not forums_writable(actor, municipality).filter(pk=forum.pk).exists():
        raise PermissionDenied


def _check_follows(meeting: Meeting, follows: Meeting | None) -> None:
    if follows is None:
        return
    if follows.municipality_id != meeting.municipality_id:
        raise ValidationError({"follows": _("Choose a meeting of the municipality.")})
    if meeting.pk is not None and follows.pk == meeting.pk:
        raise ValidationError({"follows": _("A meeting cannot follow itself.")})
    if follows.forum_id == meeting.forum_id:
        raise ValidationError({"follows": _("Choose a meeting of another forum.")})


def _check_organisations(municipality: Municipality, organisations) -> list[Organisation]:
    orgs = list(organisations or [])
    if any(o.municipality_id != municipality.pk for o in orgs):
        raise ValidationError({"organisations": _("Choose organisations of the municipality.")})
    return orgs


@transaction.atomic
def meeting_create(
    *,
    actor,
    municipality: Municipality,
    forum: Forum,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    location: str = "",
    agenda: str = "",
    state: str = Meeting.State.PLANNED,
    attendees: str = "",
    minutes: str = "",
    decisions: str = "",
    follows: Meeting | None = None,
    organisations=(),
) -> Meeting:
    """A new meeting of ``forum``."""
    if not resolver_for(actor).can_create_in(Meeting, municipality):
        raise PermissionDenied
    _check_forum(actor, municipality, forum)
    _check_times(starts_at, ends_at)
    meeting = Meeting(
        municipality=municipality,
        forum=forum,
        title=(title or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        location=(location or "").strip(),
        agenda=agenda or "",
        state=state,
        attendees=attendees or "",
        minutes=minutes or "",
        decisions=decisions or "",
        created_by=_user(actor),
    )
    _check_follows(meeting, follows)
    meeting.follows = follows
    orgs = _check_organisations(municipality, organisations)
    meeting.full_clean(exclude=["uid", "created_by"])
    meeting.save()
    if orgs:
        meeting.organisations.set(orgs, through_defaults=link_defaults(meeting))
    return meeting


@transaction.atomic
def meeting_update(*, actor, meeting: Meeting, **fields) -> Meeting:
    """Change a meeting: any of ``MEETING_FIELDS``. ``sequence`` rises when the start, end,
    place or state changes (a move or a cancellation is written to the audit trail)."""
    meeting = Meeting.objects.select_for_update().get(
        municipality_id=meeting.municipality_id, pk=meeting.pk
    )
    if not resolver_for(actor).can(CHANGE, meeting):
        raise PermissionDenied
    unknown = set(fields) - MEETING_FIELDS
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    before = {k: getattr(meeting, k) for k in MOVING_FIELDS}
    orgs = None
    if "organisations" in fields:
        orgs = _check_organisations(meeting.municipality, fields.pop("organisations"))
    if "follows" in fields:
        _check_follows(meeting, fields["follows"])
    for key, value in fields.items():
        if key in ("title", "location") and isinstance(value, str):
            value = value.strip()
        setattr(meeting, key, value)
    _check_times(meeting.starts_at, meeting.ends_at)
    meeting.full_clean(exclude=["uid", "created_by"])
    moved = {k: v for k, v in before.items() if getattr(meeting, k) != v}
    if moved:
        meeting.sequence += 1
    meeting.save()
    if orgs is not None:
        meeting.organisations.set(orgs, through_defaults=link_defaults(meeting))
    if moved:
        log_action(
            event_type="meeting_cancelled"
            if meeting.state == Meeting.State.CANCELLED and "state" in moved
            else "meeting_moved",
            subject=meeting,
            details={"fields": sorted(moved), "sequence": meeting.sequence},
        )
    return meeting


def _check_owner(meeting: Meeting, owner_user, owner_organisation) -> None:
    if owner_user is None and owner_organisation is None:
        raise ValidationError({"owner_user": _("Give the action a person or an organisation.")})
    if owner_user is not None and not owner_users(meeting.forum).filter(pk=owner_user.pk).exists():
        raise ValidationError(
            {"owner_user": _("Choose a member of one of the forum's organisations.")}
        )
    if (
        owner_organisation is not None
        and not owner_organisations(meeting.municipality).filter(pk=owner_organisation.pk).exists()
    ):
        raise ValidationError(
            {"owner_organisation": _("Choose an active organisation of the municipality.")}
        )


def _apply_status(item: ActionItem, status: str) -> None:
    if status not in ActionItem.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == ActionItem.Status.DONE and item.status != ActionItem.Status.DONE:
        item.done_on = timezone.localdate()
    elif status != ActionItem.Status.DONE:
        item.done_on = None
    item.status = status


@transaction.atomic
def action_item_create(
    *,
    actor,
    meeting: Meeting,
    title: str,
    due_on: dt.date,
    owner_user=None,
    owner_organisation: Organisation | None = None,
) -> ActionItem:
    """A new open action item of ``meeting`` (by those who may change the meeting)."""
    if not resolver_for(actor).can(CHANGE, meeting):
        raise PermissionDenied
    _check_owner(meeting, owner_user, owner_organisation)
    item = ActionItem(
        municipality_id=meeting.municipality_id,
        meeting=meeting,
        title=(title or "").strip(),
        due_on=due_on,
        owner_user=owner_user,
        owner_organisation=owner_organisation,
    )
    item.full_clean()
    item.save()
    return item


ITEM_FIELDS = {"title", "due_on", "owner_user", "owner_organisation", "status"}


@transaction.atomic
def action_item_update(*, actor, item: ActionItem, **fields) -> ActionItem:
    """Change an action item. Its owner (who may not change the meeting) changes only the
    status; "done" records the day it was done."""
    item = ActionItem.objects.select_for_update().get(
        municipality_id=item.municipality_id, pk=item.pk
    )
    resolver = resolver_for(actor)
    if not resolver.can(CHANGE, item):
        raise PermissionDenied
    unknown = set(fields) - ITEM_FIELDS
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    meeting = item.meeting
    if not resolver.can(CHANGE, meeting):
        changed = {k for k, v in fields.items() if k != "status" and getattr(item, k) != v}
        if changed:
            raise PermissionDenied
    was = item.status
    if "status" in fields:
        _apply_status(item, fields.pop("status"))
    for key, value in fields.items():
        setattr(item, key, value.strip() if key == "title" else value)
    _check_owner(meeting, item.owner_user, item.owner_organisation)
    item.full_clean()
    if "due_on" in fields:
        item.reminded_at = None if item.due_on >= timezone.localdate() else item.reminded_at
    item.save()
    if item.status != was:
        log_action(
            event_type="action_item_status",
            subject=item,
            details={"from": was, "to": item.status},
        )
    return item


def action_item_mark_reminded(item: ActionItem, when: dt.datetime | None = None) -> bool:
    """Record that the reminder went out; ``False`` if another run did it first."""
    with transaction.atomic():
        done = ActionItem.objects.filter(
            municipality_id=item.municipality_id, pk=item.pk, reminded_at__isnull=True
        ).update(reminded_at=when or timezone.now())
    return bool(done)


def action_item_unmark_reminded(item: ActionItem) -> None:
    """Give a claim back (the e-mail could not be sent): the next run tries again."""
    with transaction.atomic():
        ActionItem.objects.filter(municipality_id=item.municipality_id, pk=item.pk).update(
            reminded_at=None
        )
