"""Forum meetings: agenda, who attended, minutes, decisions and action items.

A meeting belongs to a forum (the BRÅ, the folkhälsoråd, a safety group). Meetings of two forums
can be linked in sequence (``follows``: the BRÅ meets before and after the folkhälsoråd, seed
004). Each forum has an iCalendar feed of its meetings; ``sequence`` rises each time a meeting
moves, so calendars replace the old entry. An action item has an owner (a person and/or an
organisation), a due date and a status; a reminder e-mail goes to the owner before it is due.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Forum, Municipality, Organisation, RestrictedManager, TimeStamped
from brygga.core.tenant_keys import TenantForeignKey, TenantRow

from .common import Link


class Meeting(TenantRow, TimeStamped):
    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    forum = TenantForeignKey(
        Forum, on_delete=models.PROTECT, related_name="+", verbose_name=_("forum")
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PLANNED
    )
    organisations = models.ManyToManyField(
        Organisation,
        through="MeetingOrganisation",
        related_name="+",
        blank=True,
        verbose_name=_("organisations present"),
    )
    # names and roles of those present, as the minutes record them
    attendees = models.TextField(_("present"), blank=True)
    # the meeting of another forum this one follows (the BRÅ before/after the folkhälsoråd)
    follows = TenantForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_by",
        verbose_name=_("follows the meeting"),
    )
    # the iCalendar UID and SEQUENCE (raised whenever the time, place or state changes)
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="plans_meeting_time_order"
            ),
            models.CheckConstraint(condition=~Q(follows=F("id")), name="plans_meeting_not_self"),
            models.UniqueConstraint(fields=["municipality", "uid"], name="plans_meeting_uid"),
        ]
        indexes = [models.Index(fields=["municipality", "forum", "starts_at"])]

    def __str__(self) -> str:
        return self.title


class MeetingOrganisation(Link):
    owner_field = "meeting"

    meeting = TenantForeignKey(Meeting, on_delete=models.CASCADE)
    organisation = TenantForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "meeting", "organisation"],
                name="plans_meeting_organisation_unique",
            ),
        ]


class ActionItem(TenantRow, TimeStamped):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    meeting = TenantForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(_("action"), max_length=300)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    owner_organisation = TenantForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner organisation"),
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = RestrictedManager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_user__isnull=False) | Q(owner_organisation__isnull=False),
                name="plans_action_item_has_owner",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_on__isnull=False),
                name="plans_action_item_done_has_date",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "status", "due_on"])]

    def __str__(self) -> str:
        return self.title
