"""The operational work log: what was done under a measure, where, by whom and with what effort.

An operation is a targeted operation (riktad insats), a safety walk (trygghetsvandring), field
workers' presence (evenings and weekends), a school contact, a meeting with parents or another
activity, with its time, area, organisations and effort in hours. The effort per area and period
is shown beside the incident trend of the same areas. A safety walk's observations (a broken
lamp, a hidden path) can each become an incident report (``WalkObservation.incident``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Area, Municipality, Organisation, RestrictedManager, TimeStamped
from brygga.core.tenant_keys import TenantForeignKey, TenantRow

from .common import Link


class OperationKind(models.TextChoices):
    TARGETED = "targeted", _("Targeted operation")
    SAFETY_WALK = "safety_walk", _("Safety walk")
    FIELD_PRESENCE = "field_presence", _("Field workers' presence")
    SCHOOL_CONTACT = "school_contact", _("School contact")
    PARENT_MEETING = "parent_meeting", _("Meeting with parents")
    OTHER = "other", _("Other activity")


class Operation(TenantRow, TimeStamped):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    measure = TenantForeignKey(
        "plans.Measure",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="operations",
        verbose_name=_("measure"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OperationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"))
    area = TenantForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("area"),
    )
    organisations = models.ManyToManyField(
        Organisation,
        through="OperationOrganisation",
        related_name="+",
        blank=True,
        verbose_name=_("organisations"),
    )
    hours = models.DecimalField(_("effort (hours)"), max_digits=8, decimal_places=1)
    participants = models.PositiveSmallIntegerField(_("staff taking part"), null=True, blank=True)
    # what was done and seen, without names of people
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__gte=F("started_at")), name="plans_operation_time_order"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="plans_operation_hours"),
        ]
        indexes = [models.Index(fields=["municipality", "started_at"])]

    def __str__(self) -> str:
        return self.title


class OperationOrganisation(Link):
    owner_field = "operation"

    operation = TenantForeignKey(Operation, on_delete=models.CASCADE)
    organisation = TenantForeignKey(Organisation, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "operation", "organisation"],
                name="plans_operation_organisation_unique",
            ),
        ]


class WalkObservation(Link):
    """What a safety walk noted at a place; it can be passed on as an incident report."""

    owner_field = "operation"

    operation = TenantForeignKey(Operation, on_delete=models.CASCADE, related_name="observations")
    text = models.TextField(_("observation"))
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    incident = TenantForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("incident report"),
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (
                    Q(latitude__gte=-90)
                    & Q(latitude__lte=90)
                    & Q(longitude__gte=-180)
                    & Q(longitude__lte=180)
                ),
                name="plans_observation_position",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]
