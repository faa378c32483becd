"""The action plan (åtgärdsplan, Lag 2023:196 § 5), its prioritised problems and measures.

A plan starts from a published lägesbild (``report``): its prioritised problems are taken from
the report's priority areas or written by hand, and each gets a cause analysis on the problem
triangle (offender, place, victim or target) with risk and protective factors. A measure acts
on one problem: an owner organisation, partners, areas, target group, level (universal,
selective, individual), a period inside the plan's, resources, status, the citizen promise and
agreement priority it serves, and indicators (``indicators.py``) that follow it up.
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


class ActionPlan(TenantRow, TimeStamped):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ADOPTED = "adopted", _("Adopted")
        REPLACED = "replaced", _("Replaced")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    title = models.CharField(_("title"), max_length=200)
    # the published lägesbild the plan is built from
    report = TenantForeignKey(
        "situation.SituationReport",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("situation report"),
    )
    # the forum that owns the plan (its members read it); none: the municipality's writers
    forum = TenantForeignKey(
        Forum,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("forum"),
    )
    agreement = TenantForeignKey(
        "plans.Agreement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
        verbose_name=_("cooperation agreement"),
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    goals = models.TextField(_("goals"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    adopted_by = models.CharField(_("adopted by"), max_length=200, blank=True)
    # revise at least every second year (the yearly cycle shows when it is due)
    revise_by = models.DateField(_("revise by"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-period_start", "title"]
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        constraints = [
            period_order("plans_actionplan"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(adopted_on__isnull=False),
                name="plans_actionplan_adopted_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PlanProblem(Link):
    """A prioritised problem of a plan with its cause analysis (the problem triangle)."""

    owner_field = "plan"

    plan = TenantForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="problems")
    title = models.CharField(_("problem"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    rank = models.PositiveSmallIntegerField(_("priority"), default=1)
    # where the problem is (an area of the report's ranking, or none for the whole municipality)
    area = TenantForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("area"),
    )
    # the cause analysis
    offender = models.TextField(_("offender"), blank=True)
    place = models.TextField(_("place"), blank=True)
    victim = models.TextField(_("victim or target"), blank=True)
    risk_factors = models.TextField(_("risk factors"), blank=True)
    protective_factors = models.TextField(_("protective factors"), blank=True)

    class Meta:
        ordering = ["rank", "id"]
        verbose_name = _("prioritised problem")
        verbose_name_plural = _("prioritised problems")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "plan", "title"], name="plans_problem_unique_title"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_cause_analysis(self) -> bool:
        """The analysis names the three sides of the triangle."""
        return all((self.offender.strip(), self.place.strip(), self.victim.strip()))


class MeasureLevel(models.TextChoices):
    UNIVERSAL = "universal", _("Universal")
    SELECTIVE = "selective", _("Selective")
    INDIVIDUAL = "individual", _("Individual")


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    DONE = "done", _("Carried out")
    CANCELLED = "cancelled", _("Cancelled")


class Measure(TenantRow, TimeStamped):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    plan = TenantForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="measures")
    problem = TenantForeignKey(
        PlanProblem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measures",
        verbose_name=_("problem"),
    )
    title = models.CharField(_("measure"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = TenantForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    partners = models.ManyToManyField(
        Organisation,
        through="MeasurePartner",
        related_name="+",
        blank=True,
        verbose_name=_("partners"),
    )
    areas = models.ManyToManyField(
        Area, through="MeasureArea", related_name="+", blank=True, verbose_name=_("areas")
    )
    target_group = models.CharField(_("target group"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=MeasureLevel.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    resources = models.TextField(_("resources"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    promise = TenantForeignKey(
        "plans.CitizenPromise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measures",
        verbose_name=_("citizen promise"),
    )
    agreement_priority = TenantForeignKey(
        "plans.AgreementPriority",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measures",
        verbose_name=_("agreement priority"),
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["start", "title"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        constraints = [
            period_order("plans_measure", "start", "end"),
            models.UniqueConstraint(
                fields=["municipality", "plan", "title"], name="plans_measure_unique_title"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MeasurePartner(Link):
    owner_field = "measure"

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE)
    organisation = TenantForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "measure", "organisation"],
                name="plans_measure_partner_unique",
            ),
        ]


class MeasureArea(Link):
    owner_field = "measure"

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE)
    area = TenantForeignKey(Area, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "measure", "area"], name="plans_measure_area_unique"
            ),
        ]
