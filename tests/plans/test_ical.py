"""The forum's iCalendar feed: it parses with the icalendar library and updates when a meeting
moves (new DTSTART, higher SEQUENCE, same UID); the calendar link's token works without
signing in, a tampered or revoked one does not, and a user who lost access gets nothing."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from brygga.core.models import Membership
from brygga.plans import services
from brygga.plans.ical import feed_token

from . import factories as f

pytestmark = pytest.mark.django_db


def _events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


def test_the_feed_parses_and_follows_a_moved_meeting(world, client_for):
    forum = world.forums["safety"]
    meeting = f.meeting(forum, title="Trygghetsgrupp maj", location="Polishuset")
    f.meeting(world.forums["sspf"], title="SSPF hemligt")
    url = reverse("plans:forum_calendar", args=["2281", forum.pk])
    client = client_for("coordinator")
    events = _events(client.get(url))
    assert list(events) == ["Trygghetsgrupp maj"]
    event = events["Trygghetsgrupp maj"]
    uid, seq = str(event["UID"]), int(event["SEQUENCE"])
    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert str(event["LOCATION"]) == "Polishuset" and str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]).endswith(reverse("plans:meeting_detail", args=["2281", meeting.pk]))

    new_start = meeting.starts_at + dt.timedelta(days=7, hours=1)
    services.meeting_update(
        actor=world.users["coordinator"],
        meeting=meeting,
        starts_at=new_start,
        ends_at=new_start + dt.timedelta(hours=2),
    )
    moved = _events(client.get(url))["Trygghetsgrupp maj"]
    assert str(moved["UID"]) == uid
    assert int(moved["SEQUENCE"]) > seq
    assert moved.decoded("DTSTART") == new_start

    services.meeting_update(actor=world.users["coordinator"], meeting=meeting, state="cancelled")
    cancelled = _events(client.get(url))["Trygghetsgrupp maj"]
    assert str(cancelled["STATUS"]) == "CANCELLED" and str(cancelled["UID"]) == uid


def test_a_calendar_link_works_without_signing_in(world, client_for):
    forum = world.forums["safety"]
    f.meeting(forum, title="Möte via länk")
    token = feed_token(world.users["reporter"], forum)
    url = reverse("plans:forum_calendar_feed", args=["2281", token])
    assert "reporter" not in url
    anon = client_for("anon")
    assert list(_events(anon.get(url))) == ["Möte via länk"]
    # tampered: one character changed, or another municipality's code
    bad = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert anon.get(reverse("plans:forum_calendar_feed", args=["2281", bad])).status_code == 404
    assert anon.get(reverse("plans:forum_calendar_feed", args=["2262", token])).status_code == 404


def test_a_user_who_lost_membership_gets_nothing(world, client_for):
    forum = world.forums["safety"]
    f.meeting(forum)
    token = feed_token(world.users["reporter"], forum)
    url = reverse("plans:forum_calendar_feed", args=["2281", token])
    Membership.objects.filter(user=world.users["reporter"]).delete()
    response = client_for("anon").get(url)
    assert response.status_code == 404 and b"VEVENT" not in response.content


def test_revoking_stops_earlier_links(world, client_for):
    forum = world.forums["safety"]
    f.meeting(forum)
    old = feed_token(world.users["coordinator"], forum)
    client = client_for("coordinator")
    response = client.post(reverse("plans:forum_calendar_revoke", args=["2281"]))
    assert response.status_code == 302
    anon = client_for("anon")
    assert anon.get(reverse("plans:forum_calendar_feed", args=["2281", old])).status_code == 404
    page = client.get(reverse("plans:meetings", args=["2281"]))
    new = page.content.decode().split('class="feed-link" type="text" readonly value="')[1]
    new_url = new.split('"')[0].replace("http://testserver", "")
    assert anon.get(new_url).status_code == 200


def test_viewer_outside_the_forum_gets_no_calendar(world, client_for):
    url = reverse("plans:forum_calendar", args=["2281", world.forums["safety"].pk])
    assert client_for("viewer").get(url).status_code == 404
    assert timezone.now()
