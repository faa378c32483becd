"""Meeting and action-item services: who may write, bad input, the iCalendar sequence that
rises only when the time, place or state changes, and the audit rows."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from brygga.audit.models import AuditEvent
from brygga.plans import services
from brygga.plans.models import ActionItem, Meeting

from . import factories as f

pytestmark = pytest.mark.django_db


def _at(day, hour=13):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _create(world, actor="coordinator", **kw):
    kw.setdefault("title", "Trygghetsgrupp april")
    kw.setdefault("starts_at", _at(dt.date(2025, 4, 10)))
    kw.setdefault("ends_at", _at(dt.date(2025, 4, 10), 15))
    return services.meeting_create(
        actor=world.users[actor],
        municipality=world.sundsvall,
        forum=kw.pop("forum", world.forums["safety"]),
        **kw,
    )


def test_coordinator_and_convener_create_others_may_not(world):
    assert _create(world).pk
    assert _create(world, "analyst").forum == world.forums["safety"]  # the convener's reporter
    for actor in ("viewer", "reporter", "case_worker", "outsider"):
        with pytest.raises(PermissionDenied):
            _create(world, actor)


def test_end_before_start_is_refused_on_its_field(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, ends_at=_at(dt.date(2025, 4, 10), 9))
    assert "ends_at" in exc.value.message_dict
    assert not Meeting.objects.exists()


def test_follows_must_be_another_forum_of_the_municipality(world):
    council = f.meeting(world.forums["sspf"], title="Styrgrupp")
    first = _create(world, follows=council)
    assert first.follows == council
    with pytest.raises(ValidationError) as exc:
        _create(world, follows=first)  # the same forum
    assert "follows" in exc.value.message_dict
    foreign = f.meeting(world.forums["timra"])
    with pytest.raises(ValidationError):
        _create(world, follows=foreign)


def test_sequence_rises_only_when_time_place_or_state_changes(world):
    meeting = _create(world)
    coordinator = world.users["coordinator"]
    meeting = services.meeting_update(
        actor=coordinator, meeting=meeting, agenda="1. Läget", minutes="Protokoll"
    )
    assert meeting.sequence == 0
    meeting = services.meeting_update(
        actor=coordinator,
        meeting=meeting,
        starts_at=meeting.starts_at + dt.timedelta(days=1),
        ends_at=meeting.ends_at + dt.timedelta(days=1),
    )
    assert meeting.sequence == 1
    meeting = services.meeting_update(actor=coordinator, meeting=meeting, location="Stadshuset")
    assert meeting.sequence == 2
    meeting = services.meeting_update(actor=coordinator, meeting=meeting, state="cancelled")
    assert meeting.sequence == 3
    meeting = services.meeting_update(actor=coordinator, meeting=meeting, title="Nytt namn")
    assert meeting.sequence == 3
    kinds = list(
        AuditEvent.objects.filter(event_type__startswith="meeting_", object_id=str(meeting.pk))
        .order_by("seq")
        .values_list("event_type", flat=True)
    )
    assert kinds == ["meeting_moved", "meeting_moved", "meeting_cancelled"]


def test_update_refuses_bad_times_and_strangers(world):
    meeting = _create(world)
    with pytest.raises(ValidationError):
        services.meeting_update(
            actor=world.users["coordinator"], meeting=meeting, ends_at=meeting.starts_at
        )
    for actor in ("reporter", "viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            services.meeting_update(actor=world.users[actor], meeting=meeting, title="x")
    meeting.refresh_from_db()
    assert meeting.sequence == 0


def test_action_item_owner_must_belong_to_the_forum(world):
    meeting = _create(world)
    coordinator = world.users["coordinator"]
    item = services.action_item_create(
        actor=coordinator,
        meeting=meeting,
        title="Ta fram förslag",
        due_on=dt.date(2025, 5, 1),
        owner_user=world.users["reporter"],  # a field worker: the forum's member
    )
    assert item.status == "open"
    with pytest.raises(ValidationError) as exc:
        services.action_item_create(
            actor=coordinator,
            meeting=meeting,
            title="x",
            due_on=dt.date(2025, 5, 1),
            owner_user=world.users["viewer"],  # the municipality office: not a member
        )
    assert "owner_user" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.action_item_create(
            actor=coordinator, meeting=meeting, title="x", due_on=dt.date(2025, 5, 1)
        )
    with pytest.raises(ValidationError):
        services.action_item_create(
            actor=coordinator,
            meeting=meeting,
            title="x",
            due_on=dt.date(2025, 5, 1),
            owner_organisation=world.orgs["timra"],
        )
    with pytest.raises(PermissionDenied):
        services.action_item_create(
            actor=world.users["reporter"],
            meeting=meeting,
            title="x",
            due_on=dt.date(2025, 5, 1),
            owner_organisation=world.orgs["field"],
        )


def test_done_sets_the_day_and_the_owner_changes_only_the_status(world):
    meeting = _create(world)
    item = services.action_item_create(
        actor=world.users["coordinator"],
        meeting=meeting,
        title="Belysning",
        due_on=dt.date(2025, 5, 1),
        owner_organisation=world.orgs["field"],
    )
    reporter = world.users["reporter"]
    with pytest.raises(PermissionDenied):
        services.action_item_update(actor=reporter, item=item, title="Annat")
    item = services.action_item_update(actor=reporter, item=item, status="done")
    assert (item.status, item.done_on) == ("done", timezone.localdate())
    assert AuditEvent.objects.filter(
        event_type="action_item_status", object_id=str(item.pk)
    ).exists()
    item = services.action_item_update(actor=reporter, item=item, status="open")
    assert item.done_on is None
    with pytest.raises(ValidationError):
        services.action_item_update(actor=reporter, item=item, status="closed")
    with pytest.raises(PermissionDenied):
        services.action_item_update(actor=world.users["viewer"], item=item, status="done")
    assert ActionItem.objects.get(pk=item.pk).status == "open"
