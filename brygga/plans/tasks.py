"""Reminders of action items: each open item whose due date is at most
``BRYGGA_ACTION_ITEM_REMINDER_DAYS`` (default 3) days away gets ONE e-mail, to its owner (the
person) or, without one, to the owner organisation's ``contact_email``. ``reminded_at`` is set
before the e-mail goes (claimed in one UPDATE, so two runs never both send; a failed send
gives the claim back), so the run is idempotent. Done and dropped items get nothing, nor do
items already past due when the reminder would have gone. Logs carry counts only, never an
address or a name.

Run daily by ``brygga plans-reminders`` (a timer, as ``brygga-digest.timer``) or as the
django-tasks task ``send_reminders_task`` (``brygga worker``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from .models import ActionItem
from .services.meetings import action_item_mark_reminded, action_item_unmark_reminded

logger = logging.getLogger(__name__)
DEFAULT_DAYS = 3


@dataclass
class ReminderResult:
    sent: int = 0
    skipped: int = 0


def reminder_days() -> int:
    return int(getattr(settings, "BRYGGA_ACTION_ITEM_REMINDER_DAYS", DEFAULT_DAYS))


def _absolute(path: str) -> str:
    base = getattr(settings, "BRYGGA_BASE_URL", "").rstrip("/")
    return f"{base}{path}" if base else path


def _address(item: ActionItem) -> str:
    user = item.owner_user
    if user is not None and user.is_active and user.email:
        return user.email
    org = item.owner_organisation
    return (getattr(org, "contact_email", "") or "") if org is not None else ""


def send_action_item_reminders(
    today: dt.date | None = None, days: int | None = None
) -> ReminderResult:
    """Send the reminders that are due on ``today`` (default: the local date)."""
    today = today or timezone.localdate()
    days = reminder_days() if days is None else days
    result = ReminderResult()
    items = (
        ActionItem.objects.filter(
            status=ActionItem.Status.OPEN,
            reminded_at__isnull=True,
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=days),
        )
        .select_related("meeting", "meeting__forum", "municipality", "owner_user")
        .select_related("owner_organisation")
        .order_by("due_on", "pk")
    )
    for item in items:
        to = _address(item)
        if not to:
            result.skipped += 1
            continue
        if not action_item_mark_reminded(item):
            continue  # another run claimed it
        with translation.override(settings.LANGUAGE_CODE):
            url = _absolute(
                reverse("plans:meeting_detail", args=[item.municipality.code, item.meeting_id])
            )
            context = {"item": item, "meeting": item.meeting, "url": url}
            subject = _("Reminder: “%(title)s” is due on %(due)s") % {
                "title": item.title,
                "due": item.due_on.isoformat(),
            }
            text = render_to_string("plans/email/action_item_reminder.txt", context)
            html = render_to_string("plans/email/action_item_reminder.html", context)
        message = EmailMultiAlternatives(subject, text, to=[to])
        message.attach_alternative(html, "text/html")
        try:
            message.send()
        except Exception:  # noqa: BLE001 - give the claim back, try again next run
            action_item_unmark_reminded(item)
            logger.warning("action item reminder %s could not be sent", item.pk)
            result.skipped += 1
            continue
        result.sent += 1
    logger.info("action item reminders: %s sent, %s skipped", result.sent, result.skipped)
    return result


@task()
def send_reminders_task() -> dict:
    result = send_action_item_reminders()
    return {"sent": result.sent, "skipped": result.skipped}
