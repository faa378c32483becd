"""Writes of the yearly cycle's entered events, of dialogues and the revocation of a user's
calendar links (re-exported by ``services.meetings``)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from brygga.audit.context import actor_for_user
from brygga.audit.services import log_action
from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.models import Area, Forum, Municipality

from ..models import CycleEvent, CycleKind, Dialogue, DialogueKind, link_defaults

__all__ = [
    "calendar_links_revoke",
    "cycle_event_create",
    "cycle_event_update",
    "dialogue_create",
    "dialogue_update",
]

REVOKED_EVENT = "calendar_links_revoked"
CYCLE_FIELDS = {"kind", "title", "due_on", "done_on", "forum", "notes"}
DIALOGUE_FIELDS = {
    "kind",
    "title",
    "held_on",
    "organisations",
    "area",
    "participants",
    "method",
    "findings",
}


def _same_municipality(municipality: Municipality, field: str, obj) -> None:
    if obj is not None and obj.municipality_id != municipality.pk:
        raise ValidationError({field: _("Choose one of the municipality's own.")})


def _check_cycle(event: CycleEvent) -> None:
    if event.kind not in CycleKind.values:
        raise ValidationError({"kind": _("Unknown kind.")})
    _same_municipality(event.municipality, "forum", event.forum)
    if event.done_on is not None and event.done_on > dt.date.today() + dt.timedelta(days=1):
        raise ValidationError({"done_on": _("The day it was done cannot be in the future.")})


@transaction.atomic
def cycle_event_create(
    *,
    actor,
    municipality: Municipality,
    kind: str,
    title: str,
    due_on: dt.date,
    done_on: dt.date | None = None,
    forum: Forum | None = None,
    notes: str = "",
) -> CycleEvent:
    """An event of the yearly cycle entered by a coordinator."""
    if not resolver_for(actor).can_create_in(CycleEvent, municipality):
        raise PermissionDenied
    event = CycleEvent(
        municipality=municipality,
        kind=kind,
        title=(title or "").strip(),
        due_on=due_on,
        done_on=done_on,
        forum=forum,
        notes=notes or "",
    )
    _check_cycle(event)
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def cycle_event_update(*, actor, event: CycleEvent, **fields) -> CycleEvent:
    if not resolver_for(actor).can(CHANGE, event):
        raise PermissionDenied
    unknown = set(fields) - CYCLE_FIELDS
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    for key, value in fields.items():
        setattr(event, key, value.strip() if key == "title" else value)
    _check_cycle(event)
    event.full_clean()
    event.save()
    return event


def _check_dialogue(dialogue: Dialogue, organisations) -> list:
    if dialogue.kind not in DialogueKind.values:
        raise ValidationError({"kind": _("Unknown kind.")})
    if not (dialogue.findings or "").strip():
        raise ValidationError({"findings": _("Write down what the dialogue found.")})
    _same_municipality(dialogue.municipality, "area", dialogue.area)
    orgs = list(organisations or [])
    for org in orgs:
        _same_municipality(dialogue.municipality, "organisations", org)
    return orgs


@transaction.atomic
def dialogue_create(
    *,
    actor,
    municipality: Municipality,
    kind: str,
    title: str,
    held_on: dt.date,
    findings: str,
    organisations=(),
    area: Area | None = None,
    participants: int | None = None,
    method: str = "",
) -> Dialogue:
    """A citizen or staff dialogue and its findings (by analysts and coordinators)."""
    if not resolver_for(actor).can_create_in(Dialogue, municipality):
        raise PermissionDenied
    dialogue = Dialogue(
        municipality=municipality,
        kind=kind,
        title=(title or "").strip(),
        held_on=held_on,
        findings=(findings or "").strip(),
        area=area,
        participants=participants,
        method=(method or "").strip(),
    )
    orgs = _check_dialogue(dialogue, organisations)
    dialogue.full_clean()
    dialogue.save()
    if orgs:
        dialogue.organisations.set(orgs, through_defaults=link_defaults(dialogue))
    return dialogue


@transaction.atomic
def dialogue_update(*, actor, dialogue: Dialogue, **fields) -> Dialogue:
    if not resolver_for(actor).can(CHANGE, dialogue):
        raise PermissionDenied
    unknown = set(fields) - DIALOGUE_FIELDS
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    organisations = fields.pop("organisations", None)
    for key, value in fields.items():
        setattr(dialogue, key, value.strip() if isinstance(value, str) else value)
    orgs = _check_dialogue(
        dialogue, organisations if organisations is not None else dialogue.organisations.all()
    )
    dialogue.full_clean()
    dialogue.save()
    if organisations is not None:
        dialogue.organisations.set(orgs, through_defaults=link_defaults(dialogue))
    return dialogue


@transaction.atomic
def calendar_links_revoke(*, actor, municipality: Municipality) -> None:
    """Revoke every calendar link the actor has been given (``ical.feed_token``): links made
    before this moment stop working. The audit action is the record the feed checks."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    if not resolver_for(actor).has_ability(VIEW, municipality):
        raise PermissionDenied
    log_action(
        event_type=REVOKED_EVENT,
        actor=actor_for_user(actor),
        municipality_id=municipality.pk,
        details={},
    )
