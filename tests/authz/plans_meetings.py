"""Expectations for the meetings part of the plans app: meetings, action items, the forums'
calendars, the yearly cycle, dialogues and the process tracker.

A meeting of the safety group (convened by the police; members police, field workers,
housing) is read by the municipality's planners (analysts, coordinators, administrators) and
the members (the reporter of the field workers), not by the viewer nor the case worker (404).
It is changed by coordinators and the convener's reporters (the police analyst). The action
item is owned by the field workers, so the reporter may change it (its status). The forum
calendar route takes core's ``forum`` object (the SSPF group): its members (the case worker)
and the managers read it. The calendar link works without signing in (its token is the
credential). The cycle, dialogues and the tracker are the municipality's shared pages;
cycle events are written by managers, dialogues by analysts and coordinators."""

from ..conftest import ALL_ACTORS
from . import MANAGERS, _m, api, manage_page, members_page, sspf_forum_page

MEETING_READERS = ["reporter", "analyst", *MANAGERS]
MEETING_WRITERS = ["analyst", *MANAGERS]
NOT_READERS = ["viewer", "case_worker", "outsider"]

EXPECTED: dict[str, dict] = {
    "plans:meetings": members_page(),
    "plans:meeting_new": _m(
        s200=MEETING_WRITERS, s403=["viewer", "reporter", "case_worker"], s404=["outsider"]
    ),
    "plans:meeting_detail": _m(s200=MEETING_READERS, s404=NOT_READERS),
    "plans:meeting_edit": _m(s200=MEETING_WRITERS, s403=["reporter"], s404=NOT_READERS),
    "plans:meeting_minutes": _m(s200=MEETING_WRITERS, s403=["reporter"], s404=NOT_READERS),
    "plans:action_item_new": _m(s200=MEETING_WRITERS, s403=["reporter"], s404=NOT_READERS),
    "plans:action_item_edit": _m(s200=MEETING_READERS, s404=NOT_READERS),
    "plans:action_item_status": _m(
        s405=["viewer", "reporter", "analyst", "case_worker", *MANAGERS], s404=["outsider"]
    ),
    "plans:forum_calendar": sspf_forum_page(),
    "plans:forum_calendar_feed": dict.fromkeys(ALL_ACTORS, 200),
    "plans:forum_calendar_revoke": _m(
        s405=["viewer", "reporter", "analyst", "case_worker", *MANAGERS], s404=["outsider"]
    ),
    "plans:cycle": members_page(),
    "plans:cycle_event_new": manage_page(),
    "plans:cycle_event_edit": manage_page(),
    "plans:dialogues": members_page(),
    "plans:dialogue_new": _m(
        s200=["analyst", *MANAGERS], s403=["viewer", "reporter", "case_worker"], s404=["outsider"]
    ),
    "plans:dialogue_detail": members_page(),
    "plans:process": members_page(),
    "api:plans-meeting-list": api(s404=["outsider"]),
    "api:plans-meeting-detail": api(s404=NOT_READERS),
    "api:plans-action-item-list": api(s404=["outsider"]),
    "api:plans-action-item-detail": api(s404=NOT_READERS),
    "api:plans-cycle-list": api(s404=["outsider"]),
}  # fmt: skip


def _rows(world, municipality, marker: str) -> dict:
    import datetime as dt

    from brygga.audit.context import acting_as
    from brygga.plans.models import CycleEvent, Dialogue

    from ..plans import factories as f

    forum = world.forums["safety"] if municipality == world.sundsvall else world.forums["timra"]
    owner = world.orgs["field"] if municipality == world.sundsvall else world.orgs["timra"]
    meeting = f.meeting(forum, title=f"{marker} möte", location=f"{marker} plats")
    item = f.action_item(meeting, title=f"{marker} åtgärd", owner_organisation=owner)
    with acting_as(label="test setup"):
        event = CycleEvent.objects.create(
            municipality=municipality,
            kind="report_back",
            title=f"{marker} återrapportering",
            due_on=dt.date(2025, 11, 1),
        )
        dialogue = Dialogue.objects.create(
            municipality=municipality,
            kind="citizen",
            title=f"{marker} dialog",
            held_on=dt.date(2025, 3, 1),
            findings=f"{marker} fynd",
        )
    # the order matters: the matrix takes the first key that the URL name starts with
    return {
        "action_item_new": meeting.pk,
        "action_item_": item.pk,
        "meeting_": meeting.pk,
        "cycle_event": event.pk,
        "dialogue_": dialogue.pk,
        "plans-meeting": meeting.pk,
        "plans-action-item": item.pk,
    }


def objects(world) -> dict:
    from brygga.plans.ical import feed_token

    rows = _rows(world, world.sundsvall, "Matris")
    rows["feed_token"] = feed_token(world.users["coordinator"], world.forums["safety"])
    return rows


def tenant_objects(world, municipality, marker) -> dict:
    return _rows(world, municipality, marker)


def api_writes(world, objs) -> dict:
    """The status of an action item, by those who change its meeting and by its owner
    organisation's reporters."""
    return {
        ("api:plans-action-item-detail", "patch"): (
            ["reporter", *MEETING_WRITERS],
            {"status": "done"},
        ),
    }
