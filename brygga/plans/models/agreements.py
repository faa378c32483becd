"""Cooperation agreements (samverkansöverenskommelser) and citizen promises (medborgarlöften).

An agreement is signed by the municipality, the police area and other parties for a period,
names its priority areas ("trygga miljöer", "våld i nära relationer", …) and each party's
mandate and commitments, and is renewed by a new agreement (``renews``). Its signed document is
kept in the row (PDF or DOCX, small) so a backup of the database holds it.

A citizen promise states in plain words what the police and the municipality promise the
residents for a period, may be extended (``extended_to``) and ends with a status: fulfilled,
partly fulfilled or not fulfilled, each with a justification (a database check refuses a closed
status without one) and the evidence: the measures linked to it (``Measure.promise``) and their
indicators. Published promises are listed without signing in, status and all, on the
municipality's public page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from brygga.core.models import (
    Municipality,
    Organisation,
    PoliceArea,
    RestrictedManager,
    TimeStamped,
)
from brygga.core.tenant_keys import TenantForeignKey, TenantRow

from .common import Link, period_order

# The signed document: what may be attached (checked by content, not by the name's suffix).
SIGNED_DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}
SIGNED_DOCUMENT_MAX_BYTES = 20 * 1024 * 1024


class Agreement(TenantRow, TimeStamped):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    title = models.CharField(_("title"), max_length=200)
    police_area = models.ForeignKey(
        PoliceArea,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("police area"),
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    summary = models.TextField(_("summary"), blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    # the signed agreement, as uploaded (PDF or DOCX); its name is the uploader's file name
    signed_document = models.BinaryField(_("signed document"), null=True, blank=True)
    signed_document_name = models.CharField(max_length=200, blank=True)
    signed_document_type = models.CharField(max_length=100, blank=True)
    renews = TenantForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
        verbose_name=_("renews"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-period_start", "title"]
        verbose_name = _("cooperation agreement")
        verbose_name_plural = _("cooperation agreements")
        constraints = [
            period_order("plans_agreement"),
            models.CheckConstraint(
                condition=~Q(renews=F("id")), name="plans_agreement_not_own_renewal"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_signed(self) -> bool:
        return self.signed_on is not None


class AgreementParty(Link):
    """A party to an agreement, its mandate and commitments, and who signed for it."""

    owner_field = "agreement"

    agreement = TenantForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    organisation = TenantForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("party")
    )
    mandate = models.TextField(_("mandate"), blank=True)
    commitments = models.TextField(_("commitments"), blank=True)
    signatory = models.CharField(_("signed by"), max_length=200, blank=True)
    signatory_title = models.CharField(_("signatory's title"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "agreement", "organisation"],
                name="plans_agreement_party_unique",
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class AgreementPriority(Link):
    """A priority area of an agreement (e.g. "Våld i offentlig miljö")."""

    owner_field = "agreement"

    agreement = TenantForeignKey(Agreement, on_delete=models.CASCADE, related_name="priorities")
    title = models.CharField(_("priority area"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("priority area")
        verbose_name_plural = _("priority areas")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "agreement", "title"],
                name="plans_agreement_priority_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PromiseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FULFILLED = "fulfilled", _("Fulfilled")
    PARTLY = "partly", _("Partly fulfilled")
    NOT_FULFILLED = "not_fulfilled", _("Not fulfilled")


CLOSED_PROMISE_STATUSES = (
    PromiseStatus.FULFILLED,
    PromiseStatus.PARTLY,
    PromiseStatus.NOT_FULFILLED,
)


class CitizenPromise(TenantRow, TimeStamped):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("the promise"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    extended_to = models.DateField(_("extended to"), null=True, blank=True)
    police_commitments = models.TextField(_("the police's commitments"), blank=True)
    municipality_commitments = models.TextField(_("the municipality's commitments"), blank=True)
    agreement = TenantForeignKey(
        Agreement,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promises",
        verbose_name=_("cooperation agreement"),
    )
    # the prioritised problems of action plans that the promise addresses
    problems = models.ManyToManyField(
        "plans.PlanProblem",
        through="PromiseProblem",
        related_name="promises",
        blank=True,
        verbose_name=_("problems addressed"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PromiseStatus.choices, default=PromiseStatus.ACTIVE
    )
    status_justification = models.TextField(_("justification of the status"), blank=True)
    status_changed_on = models.DateField(_("status set on"), null=True, blank=True)
    # shown on the public page from this day (none: not published)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-period_start", "title"]
        verbose_name = _("citizen promise")
        verbose_name_plural = _("citizen promises")
        constraints = [
            period_order("plans_promise"),
            models.CheckConstraint(
                condition=Q(extended_to__isnull=True) | Q(extended_to__gt=F("period_end")),
                name="plans_promise_extension_after_end",
            ),
            # a closed status is given with its justification
            models.CheckConstraint(
                condition=Q(status=PromiseStatus.ACTIVE) | ~Q(status_justification=""),
                name="plans_promise_closed_status_justified",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ends_on(self):
        """The last day of the promise, extension included."""
        return self.extended_to or self.period_end

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_PROMISE_STATUSES


class PromiseProblem(Link):
    owner_field = "promise"

    promise = TenantForeignKey(CitizenPromise, on_delete=models.CASCADE)
    problem = TenantForeignKey("plans.PlanProblem", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "promise", "problem"], name="plans_promise_problem_unique"
            ),
        ]
