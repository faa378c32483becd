"""Indicators that follow up measures, and evaluations of measures.

An indicator is defined on data Brygga holds, never typed in as a current value:

* ``incidents``: the count of incident reports (partners' reports) of chosen categories in
  chosen areas, per period;
* ``incident_rate``: the same per 1,000 residents of the areas (population from the area
  statistics);
* ``police_events``: the count of police events (the police's feed) in the areas;
* ``survey_index``: a trygghetsmätning index (by its code) in the areas, one value per wave;
* ``manual``: a series entered period by period (``IndicatorValue``), for what Brygga does not
  hold (e.g. the school's own attendance figures).

It has a baseline period (its value computed the same way), a target and a direction
(decrease or increase is the good way). An evaluation compares a measure's treated areas with
chosen comparison areas before and after (difference-in-differences, ``brygga.analysis
.evaluation``) and keeps the result and its plain-language reading.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Area, Municipality, RestrictedManager, TimeStamped
from brygga.core.tenant_keys import TenantForeignKey, TenantRow

from .common import Link, period_order


class IndicatorSource(models.TextChoices):
    INCIDENTS = "incidents", _("Incident reports (count)")
    INCIDENT_RATE = "incident_rate", _("Incident reports per 1,000 residents")
    POLICE_EVENTS = "police_events", _("Police events (count)")
    SURVEY_INDEX = "survey_index", _("Safety survey index")
    MANUAL = "manual", _("Series entered by hand")


class Direction(models.TextChoices):
    DECREASE = "decrease", _("Lower is better")
    INCREASE = "increase", _("Higher is better")


class Granularity(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Indicator(TenantRow, TimeStamped):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    measure = TenantForeignKey(
        "plans.Measure",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name=_("measure"),
    )
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("data"), max_length=20, choices=IndicatorSource.choices)
    categories = models.ManyToManyField(
        "incidents.Category",
        through="IndicatorCategory",
        related_name="+",
        blank=True,
        verbose_name=_("categories"),
    )
    areas = models.ManyToManyField(
        Area, through="IndicatorArea", related_name="+", blank=True, verbose_name=_("areas")
    )
    survey_index_code = models.SlugField(_("survey index"), max_length=60, blank=True)
    granularity = models.CharField(
        _("period"), max_length=10, choices=Granularity.choices, default=Granularity.YEAR
    )
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    baseline_start = models.DateField(_("baseline from"))
    baseline_end = models.DateField(_("baseline to"))
    target_value = models.FloatField(_("target"), null=True, blank=True)
    target_date = models.DateField(_("target by"), null=True, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.DECREASE
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            period_order("plans_indicator_baseline", "baseline_start", "baseline_end"),
            models.CheckConstraint(
                condition=~Q(source="survey_index") | ~Q(survey_index_code=""),
                name="plans_indicator_survey_has_index",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IndicatorCategory(Link):
    owner_field = "indicator"

    indicator = TenantForeignKey(Indicator, on_delete=models.CASCADE)
    category = models.ForeignKey("incidents.Category", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "indicator", "category"],
                name="plans_indicator_category_unique",
            ),
        ]


class IndicatorArea(Link):
    owner_field = "indicator"

    indicator = TenantForeignKey(Indicator, on_delete=models.CASCADE)
    area = TenantForeignKey(Area, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "indicator", "area"], name="plans_indicator_area_unique"
            ),
        ]


class IndicatorValue(Link):
    """One period's value of a manual indicator."""

    owner_field = "indicator"

    indicator = TenantForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    value = models.FloatField(_("value"))
    note = models.CharField(_("source or note"), max_length=200, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["period_start"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            period_order("plans_indicator_value"),
            models.UniqueConstraint(
                fields=["municipality", "indicator", "period_start"],
                name="plans_indicator_value_unique_period",
            ),
        ]


class Evaluation(TenantRow, TimeStamped):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    measure = TenantForeignKey(
        "plans.Measure", on_delete=models.CASCADE, related_name="evaluations"
    )
    title = models.CharField(_("title"), max_length=200)
    categories = models.ManyToManyField(
        "incidents.Category",
        through="EvaluationCategory",
        related_name="+",
        blank=True,
        verbose_name=_("categories"),
    )
    before_start = models.DateField(_("before: from"))
    before_end = models.DateField(_("before: to"))
    after_start = models.DateField(_("after: from"))
    after_end = models.DateField(_("after: to"))
    # the estimate (analysis.evaluation's result as JSON: rate ratio, interval, p, totals)
    result = models.JSONField(_("result"), null=True, blank=True, editable=False)
    reading = models.TextField(_("plain-language reading"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    computed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-after_end", "-id"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            period_order("plans_evaluation_before", "before_start", "before_end"),
            period_order("plans_evaluation_after", "after_start", "after_end"),
            models.CheckConstraint(
                condition=Q(after_start__gt=F("before_end")),
                name="plans_evaluation_after_follows_before",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EvaluationCategory(Link):
    owner_field = "evaluation"

    evaluation = TenantForeignKey(Evaluation, on_delete=models.CASCADE)
    category = models.ForeignKey("incidents.Category", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "evaluation", "category"],
                name="plans_evaluation_category_unique",
            ),
        ]


class EvaluationArea(Link):
    """A treated or a comparison area of an evaluation."""

    owner_field = "evaluation"

    evaluation = TenantForeignKey(Evaluation, on_delete=models.CASCADE, related_name="area_rows")
    area = TenantForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    treated = models.BooleanField(_("treated"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "evaluation", "area"], name="plans_evaluation_area_unique"
            ),
        ]
