"""The lägesbild document: a draft that the analyst writes and the forum's members comment on,
then published as a frozen snapshot that shows for ever what it showed that day.

A report covers a scope (the dashboard's URL parameters: municipality, or a forum or areas, a
period, categories, sources) and has an audience. Its text is per section (``SECTIONS``): the
analyst's own text, which starts from the paragraphs Brygga generates from the figures. When it
is published, every figure, chart and map of the report is computed once and stored in
``snapshot`` (JSON); the published report is rendered from the snapshot alone, never from the
incidents again. A new version is a new draft that ``supersedes`` the published one.

Every table is a tenant table (``municipality`` first in its keys, ``brygga.core.tenant_keys``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Forum, Municipality, RestrictedManager, TimeStamped
from brygga.core.tenant_keys import TenantForeignKey, TenantRow

# The sections of a lägesbild, in order (Lag 2023:196 § 4 and Brå's guidance): the key, the
# heading. Their figures come from the dashboard's parts; their text from the analyst.
SECTIONS = (
    ("summary", _("Summary")),
    ("crime", _("Crime: extent, development, places, times and kinds of offence")),
    ("insecurity", _("Consequences and insecurity")),
    ("other", _("Other relevant information")),
    ("analysis", _("Analysis")),
    ("priorities", _("Prioritised problems and areas")),
    ("sources", _("Sources and methods")),
)
SECTION_KEYS = tuple(k for k, _label in SECTIONS)


class Audience(models.TextChoices):
    """Who a published report is for. Outside the partners (who have need-to-know), counts
    under the suppression threshold are hidden and free-text observations are left out."""

    PARTNERS = "partners", _("The forum's partners")
    COUNCIL = "council", _("Council and politicians")
    PUBLIC = "public", _("Public")


class SituationReport(TenantRow, TimeStamped):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    # the forum whose members comment on the draft (a BRÅ, a trygghetsgrupp); none: the
    # municipality's analysts and coordinators only
    forum = TenantForeignKey(
        Forum,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("forum"),
    )
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    # the dashboard's URL parameters the figures are computed with (scope.Scope.explicit)
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.PARTNERS
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    # the analyst's text per section key (SECTION_KEYS)
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    # the weights of the priority ranking saved with the report (ranking.py's factors)
    ranking_weights = models.JSONField(_("ranking weights"), default=dict, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    supersedes = TenantForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new version of"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # everything the published report shows, computed once when it was published
    snapshot = models.JSONField(_("snapshot"), null=True, blank=True, editable=False)
    snapshot_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-period_end", "-version", "-id"]
        verbose_name = _("situation report")
        verbose_name_plural = _("situation reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="situation_report_period_order",
            ),
            # a published report has its snapshot; a draft has none
            models.CheckConstraint(
                condition=(Q(state="published") & Q(snapshot__isnull=False))
                | (Q(state="draft") & Q(snapshot__isnull=True)),
                name="situation_report_snapshot_when_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class ReportComment(TenantRow, TimeStamped):
    """A forum member's comment on one section of a draft."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    report = TenantForeignKey(SituationReport, on_delete=models.CASCADE, related_name="comments")
    section = models.CharField(_("section"), max_length=20, choices=SECTIONS)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("comment"))
    resolved = models.BooleanField(_("dealt with"), default=False)

    objects = RestrictedManager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment on a situation report")
        verbose_name_plural = _("comments on situation reports")

    def __str__(self) -> str:
        return f"comment on {self.report_id} ({self.section})"


class AssessmentLevel(models.IntegerChoices):
    """The EST scale of a reporter's assessment of an area's week."""

    CALM = 1, _("Calm")
    SOMEWHAT_UNEASY = 2, _("Somewhat uneasy")
    UNEASY = 3, _("Uneasy")
    VERY_UNEASY = 4, _("Very uneasy")


class AreaAssessment(TenantRow, TimeStamped):
    """One member organisation's assessment of one of a safety group's areas for one ISO week
    (EST practice: every partner says how the area's situation felt that week). No free text:
    what happened is reported as incidents."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    forum = TenantForeignKey(Forum, on_delete=models.CASCADE, related_name="+")
    area = TenantForeignKey("core.Area", on_delete=models.CASCADE, related_name="+")
    organisation = TenantForeignKey("core.Organisation", on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(_("week (Monday)"))
    level = models.PositiveSmallIntegerField(_("assessment"), choices=AssessmentLevel.choices)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-week_start", "area_id", "organisation_id"]
        verbose_name = _("area assessment")
        verbose_name_plural = _("area assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "forum", "area", "organisation", "week_start"],
                name="area_assessment_unique_week",
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=4), name="area_assessment_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.week_start}: {self.level}"


class DigestSubscription(TenantRow, TimeStamped):
    """A user's opt-in to a safety group's weekly picture by e-mail."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    forum = TenantForeignKey(Forum, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_sent_week = models.DateField(null=True, blank=True, editable=False)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("weekly digest subscription")
        verbose_name_plural = _("weekly digest subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "forum", "user"], name="digest_subscription_unique"
            )
        ]

    def __str__(self) -> str:
        return f"digest of forum {self.forum_id} for user {self.user_id}"
