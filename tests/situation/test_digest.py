"""The weekly digest e-mail: sent once per week to each subscriber who can still see the group,
with the same figures as the page; nothing for a subscriber without access or address."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from brygga.core.models import Membership
from brygga.situation import services
from brygga.situation.digest import send_weekly_digests

from ..incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def _monday(weeks_ago=1):
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7 * weeks_ago)


def _subscribe(world, actor):
    user = world.users[actor]
    user.email = f"{actor}@example.se"
    user.save()
    services.digest_subscribe(actor=user, forum=world.forums["safety"], on=True)
    return user


def test_each_subscriber_gets_the_week_once(world):
    week = _monday(1)
    for d in range(3):
        make_incident(
            world,
            area=world.areas["centrum"],
            occurred_from=timezone.make_aware(dt.datetime.combine(week, dt.time(12 + d))),
        )
    _subscribe(world, "viewer")
    _subscribe(world, "reporter")
    result = send_weekly_digests(week)
    assert (result.sent, result.already) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["reporter@example.se", "viewer@example.se"]
    message = mail.outbox[0]
    assert "Trygghetsgrupp Centrum" in message.subject
    assert "3" in message.body and "Centrum" in message.body
    html = message.alternatives[0][0]
    assert "<table>" in html and "/lagesbild/veckobild/" in html
    again = send_weekly_digests(week)
    assert (again.sent, again.already) == (0, 2) and len(mail.outbox) == 2


def test_a_subscriber_who_lost_access_gets_nothing(world):
    _subscribe(world, "viewer")
    Membership.objects.filter(user=world.users["viewer"]).delete()
    result = send_weekly_digests(_monday(1))
    assert (result.sent, result.skipped) == (0, 1) and mail.outbox == []


def test_the_command_takes_a_week(world):
    _subscribe(world, "viewer")
    week = _monday(2)
    iso = week.isocalendar()
    call_command("send-weekly-digest", "--week", f"{iso.year}-V{iso.week:02d}")
    assert len(mail.outbox) == 1
    with pytest.raises(Exception, match="2026-V48|vecka|week"):
        call_command("send-weekly-digest", "--week", "2026-03")
