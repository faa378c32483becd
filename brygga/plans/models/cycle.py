"""The yearly cycle (årshjul), dialogues and the report-back.

* ``CycleEvent``: what recurs in the year — the safety survey, the lägesbild, the plan's
  revision (at least every second year), the report-back to the council — with its due date and
  the day it was done. The calendar shows what is due and what is overdue; events that Brygga
  can see happen (a published lägesbild, an adopted plan) are ticked from that evidence.
* ``Dialogue``: a citizen or staff dialogue (medborgar- och medarbetardialog) and its findings,
  which feed the next lägesbild; the process tracker counts them.
* ``FollowUpReport``: the report-back (återrapportering) of a plan for a period: every
  measure's status, indicators against targets, evaluations and promises, frozen as a snapshot
  when it is issued, with a "what we learned" text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from brygga.core.models import (
    Area,
    Forum,
    Municipality,
    Organisation,
    RestrictedManager,
    TimeStamped,
)
from brygga.core.tenant_keys import TenantForeignKey, TenantRow

from .common import Link, period_order


class CycleKind(models.TextChoices):
    SURVEY = "survey", _("Safety survey")
    SITUATION = "situation", _("Situation report")
    PLAN_REVISION = "plan_revision", _("Revision of the action plan")
    REPORT_BACK = "report_back", _("Report-back")
    AGREEMENT = "agreement", _("Renewal of the agreement")
    OTHER = "other", _("Other")


class CycleEvent(TenantRow, TimeStamped):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CycleKind.choices)
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    forum = TenantForeignKey(
        Forum,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("forum"),
    )
    plan = TenantForeignKey(
        "plans.ActionPlan",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cycle_events",
        verbose_name=_("action plan"),
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("event of the yearly cycle")
        verbose_name_plural = _("events of the yearly cycle")
        indexes = [models.Index(fields=["municipality", "due_on"])]

    def __str__(self) -> str:
        return self.title


class DialogueKind(models.TextChoices):
    CITIZEN = "citizen", _("Citizen dialogue")
    STAFF = "staff", _("Staff dialogue")


class Dialogue(TenantRow, TimeStamped):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DialogueKind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    organisations = models.ManyToManyField(
        Organisation,
        through="DialogueOrganisation",
        related_name="+",
        blank=True,
        verbose_name=_("organisations"),
    )
    area = TenantForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("area"),
    )
    participants = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=200, blank=True)
    findings = models.TextField(_("findings"))

    objects = RestrictedManager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("dialogue")
        verbose_name_plural = _("dialogues")

    def __str__(self) -> str:
        return self.title


class DialogueOrganisation(Link):
    owner_field = "dialogue"

    dialogue = TenantForeignKey(Dialogue, on_delete=models.CASCADE)
    organisation = TenantForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "dialogue", "organisation"],
                name="plans_dialogue_organisation_unique",
            ),
        ]


class FollowUpReport(TenantRow, TimeStamped):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    plan = TenantForeignKey("plans.ActionPlan", on_delete=models.PROTECT, related_name="follow_ups")
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    learned = models.TextField(_("what we learned"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    # everything the issued report shows, computed once when it was issued
    snapshot = models.JSONField(null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("report-back")
        verbose_name_plural = _("report-backs")
        constraints = [
            period_order("plans_followup"),
            models.CheckConstraint(
                condition=(Q(state="issued") & Q(snapshot__isnull=False))
                | (Q(state="draft") & Q(snapshot__isnull=True)),
                name="plans_followup_snapshot_when_issued",
            ),
        ]

    def __str__(self) -> str:
        return self.title
