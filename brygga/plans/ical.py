"""A forum's meetings as an iCalendar feed (RFC 5545, written with the ``icalendar`` library),
and the calendar links that let a calendar client fetch it without signing in.

* One VEVENT per meeting: UID (``Meeting.uid``), SEQUENCE (``Meeting.sequence``, raised by the
  service whenever the time, place or state changes, so the client replaces the entry),
  DTSTAMP, DTSTART/DTEND in UTC, SUMMARY, LOCATION, STATUS (CONFIRMED or CANCELLED) and URL
  (the meeting's page).
* A calendar link carries one opaque token: ``django.core.signing`` over the user's id, the
  forum's id and the moment it was made (no name, no e-mail). Every fetch checks the token's
  signature, that the user is still active, that the user can still see the forum's meetings
  (the resolver, as on the page: a user who loses access loses the feed) and that the user has
  not revoked their links since (``services.calendar_links_revoke`` writes an audit action;
  links made before it stop working). No table is needed.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from brygga.audit.models import AuditEvent
from brygga.core.models import Forum

from .models import Meeting
from .services.meetings_cycle import REVOKED_EVENT

SALT = "brygga.plans.calendar"
PRODID = "-//Brygga//Forum meetings//SV"


def _absolute(path: str) -> str:
    base = getattr(settings, "BRYGGA_BASE_URL", "").rstrip("/")
    return f"{base}{path}" if base else path


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def forum_calendar(forum: Forum, meetings) -> bytes:
    """The iCalendar document of ``forum``'s ``meetings`` (already narrowed by the caller)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", forum.name)
    stamp = timezone.now()
    code = forum.municipality.code
    for m in meetings:
        event = Event()
        event.add("uid", f"{m.uid}@brygga")
        event.add("sequence", m.sequence)
        event.add("dtstamp", _utc(stamp))
        event.add("dtstart", _utc(m.starts_at))
        event.add("dtend", _utc(m.ends_at))
        event.add("summary", m.title)
        if m.location:
            event.add("location", m.location)
        event.add("status", "CANCELLED" if m.state == Meeting.State.CANCELLED else "CONFIRMED")
        event.add("url", _absolute(reverse("plans:meeting_detail", args=[code, m.pk])))
        cal.add_component(event)
    return cal.to_ical()


def feed_token(user, forum: Forum) -> str:
    """A new calendar link token of ``user`` for ``forum``."""
    payload = {"u": user.pk, "f": forum.pk, "t": int(time.time() * 1000)}
    return signing.dumps(payload, salt=SALT, compress=True)


def feed_user(token: str):
    """(user, forum id) of a valid, unrevoked token, else ``None``. Access to the forum is
    the caller's check (it reads through the resolver as the user)."""
    try:
        payload = signing.loads(token, salt=SALT)
        user_id, forum_id, made = int(payload["u"]), int(payload["f"]), int(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    made_at = dt.datetime.fromtimestamp(made / 1000, tz=dt.UTC)
    revoked = AuditEvent.objects.filter(
        actor_id=user_id, event_type=REVOKED_EVENT, created_at__gte=made_at
    ).exists()
    if revoked:
        return None
    return user, forum_id
