"""The weekly digest e-mail: every Monday, each user who opted in gets the weekly picture of
their safety group for the week that just ended (``brygga send-weekly-digest``, run by the
``brygga-digest.timer`` unit; Django's e-mail backend, configured with ``EMAIL_URL``).

The picture is computed as the subscriber (their own access), so the e-mail holds no more than
the page would show them; a subscriber who can no longer see the group, or has no e-mail
address, gets nothing. Each subscription records the week it was sent for, so a second run for
the same week sends nothing again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from brygga.core.selectors import forums_for
from brygga.core.weeks import week_param

from .models import DigestSubscription
from .services import digest_mark_sent
from .weekly import weekly_picture


@dataclass
class DigestResult:
    sent: int = 0
    already: int = 0
    skipped: int = 0


def _absolute(path: str) -> str:
    base = getattr(settings, "BRYGGA_BASE_URL", "").rstrip("/")
    return f"{base}{path}" if base else path


def send_weekly_digests(week_start: dt.date) -> DigestResult:
    """Send the digest of the ISO week beginning on Monday ``week_start`` to every subscriber
    who has not had it yet."""
    result = DigestResult()
    subscriptions = DigestSubscription.objects.select_related(
        "forum", "forum__municipality", "user"
    ).order_by("pk")
    for sub in subscriptions:
        if sub.last_sent_week is not None and sub.last_sent_week >= week_start:
            result.already += 1
            continue
        user, forum = sub.user, sub.forum
        if (
            not user.is_active
            or not user.email
            or not forums_for(user, forum.municipality).filter(pk=forum.pk).exists()
        ):
            result.skipped += 1
            continue
        with translation.override(settings.LANGUAGE_CODE):
            picture = weekly_picture(user, forum, week_start)
            url = _absolute(
                reverse("situation:weekly", args=[forum.municipality.code])
                + f"?forum={forum.pk}&vecka={week_param(week_start)}"
            )
            context = {"picture": picture, "forum": forum, "url": url}
            subject = _("Weekly picture of %(forum)s, %(week)s") % {
                "forum": forum.name,
                "week": picture.label,
            }
            text = render_to_string("situation/email/digest.txt", context)
            html = render_to_string("situation/email/digest.html", context)
        message = EmailMultiAlternatives(subject, text, to=[user.email])
        message.attach_alternative(html, "text/html")
        message.send()
        digest_mark_sent(subscription=sub, week_start=week_start)
        result.sent += 1
    return result
