"""Trygghetsmätning (the yearly safety survey): a wave per municipality and year, its
questions and indices, the respondents' answers and the imports they came from.

A wave carries its own questionnaire (copied from the national template shipped with Brygga,
or read from a codebook file), so a later change of the template never changes the figures of
an earlier wave; waves are compared question by question and index by index through their codes.

Respondent rows (``SurveyResponse``) are never shown, exported or served by the API: every read
goes through the results selectors, which aggregate and suppress cells with fewer respondents
than ``BRYGGA_SURVEY_MIN_CELL`` (30). The rows hold no respondent id, only the answers, the area,
the optional age group / gender and the design weight.

Every table is a tenant table (``municipality`` first in its keys, ``brygga.core.tenant_keys``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Area, AreaLayer, Municipality, RestrictedManager, TimeStamped
from brygga.core.tenant_keys import TenantForeignKey, TenantRow


class SurveyWave(TenantRow, TimeStamped):
    """One year's survey in one municipality."""

    class Method(models.TextChoices):
        POSTAL = "postal", _("Postal questionnaire")
        WEB = "web", _("Web questionnaire")
        MIXED = "mixed", _("Postal and web")
        PHONE = "phone", _("Telephone interviews")
        NATIONAL = "ntu", _("Brå's national survey (NTU)")
        OTHER = "other", _("Other")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    name = models.CharField(_("name"), max_length=200)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    vendor = models.CharField(_("carried out by"), max_length=200, blank=True)
    sample_size = models.PositiveIntegerField(_("sample size"), null=True, blank=True)
    period_start = models.DateField(_("field period from"), null=True, blank=True)
    period_end = models.DateField(_("field period to"), null=True, blank=True)
    # The layer whose areas the respondents are placed in (an own layer, DeSO, RegSO, …).
    layer = TenantForeignKey(
        AreaLayer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("area layer"),
    )
    # Set by the import: respondents imported (the response rate is responses / sample size).
    responses = models.PositiveIntegerField(_("responses"), default=0)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("survey wave")
        verbose_name_plural = _("survey waves")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "year"], name="survey_wave_unique_year"
            ),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="survey_wave_period_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def response_rate(self) -> float | None:
        """Responses per person in the sample, 0–1 (``None`` without a sample size)."""
        if not self.sample_size or not self.responses:
            return None
        return self.responses / self.sample_size


class Polarity(models.TextChoices):
    """Which end of a question's scale is the worse one for safety."""

    HIGHER_WORSE = "higher_worse", _("A higher answer is worse")
    HIGHER_BETTER = "higher_better", _("A higher answer is better")


class SurveyQuestion(TenantRow, models.Model):
    """A question of a wave. ``scale`` lists the answers as ``[{"value": 1, "label": "…"}]``
    (values are numbers); ``missing`` the values that mean "vet ej" / no answer, which count as
    missing in every figure."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    wave = TenantForeignKey(
        SurveyWave, on_delete=models.CASCADE, related_name="questions", verbose_name=_("wave")
    )
    code = models.SlugField(_("code"), max_length=60)
    text = models.CharField(_("question"), max_length=500)
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    scale = models.JSONField(_("answer scale"), default=list)
    missing = models.JSONField(_("values meaning no answer"), default=list, blank=True)
    polarity = models.CharField(
        _("polarity"), max_length=15, choices=Polarity.choices, default=Polarity.HIGHER_WORSE
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = RestrictedManager()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "wave", "code"], name="survey_question_unique_code"
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def values(self) -> list[float]:
        return [float(option["value"]) for option in self.scale]

    def label_for(self, value) -> str:
        for option in self.scale:
            if float(option["value"]) == float(value):
                return str(option["label"])
        return str(value)


class SurveyIndex(TenantRow, models.Model):
    """An index of a wave: a group of questions and a scoring rule.

    ``mean``: each answer rescaled to 0–10 (the worse end of the scale at 10, by the question's
    polarity) and averaged over the answered questions; the index of an area is the weighted
    mean of its respondents'. ``share``: the share of respondents (in per cent) with at least
    one answer at or beyond ``threshold`` towards the worse end (e.g. "utsatt för brott")."""

    class Rule(models.TextChoices):
        MEAN = "mean", _("Mean on a 0–10 scale")
        SHARE = "share", _("Share of respondents (per cent)")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    wave = TenantForeignKey(
        SurveyWave, on_delete=models.CASCADE, related_name="indices", verbose_name=_("wave")
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    rule = models.CharField(_("scoring rule"), max_length=10, choices=Rule.choices)
    question_codes = models.JSONField(_("questions"), default=list)
    # share: the answer value from which a question counts (towards the worse end).
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    min_answered = models.PositiveSmallIntegerField(_("questions answered at least"), default=1)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = RestrictedManager()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("survey index")
        verbose_name_plural = _("survey indices")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "wave", "code"], name="survey_index_unique_code"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SurveyImport(TenantRow, TimeStamped):
    """One file of responses: read and checked (preview, column mapping), queued for the worker
    once confirmed, then imported — or failed with ``message``. The file is kept in ``content``
    only until the import is done, unless the administrator chose to keep it (``keep_until``,
    removed by gallring at that date at the latest)."""

    class State(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    class Origin(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        COMMAND = "command", _("Command line")
        DEMO = "demo", _("Demo")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    wave = TenantForeignKey(
        SurveyWave,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
        verbose_name=_("wave"),
    )
    file_name = models.CharField(_("file"), max_length=255)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    content = models.BinaryField(blank=True, default=b"", editable=False)
    # Column → role/question code, and the options of the import (see services).
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    replace_confirmed = models.BooleanField(_("replacing the wave confirmed"), default=False)
    keep_until = models.DateField(_("file kept until"), null=True, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    done_rows = models.PositiveIntegerField(_("rows done"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey import")
        verbose_name_plural = _("survey imports")

    def __str__(self) -> str:
        return self.file_name

    @property
    def progress(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.done_rows / self.total_rows))


class SurveyResponse(TenantRow, models.Model):
    """One respondent's answers (question code → value; missing answers left out). Never
    shown or exported as such: see the module docstring."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    wave = TenantForeignKey(SurveyWave, on_delete=models.CASCADE, related_name="+")
    area = TenantForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    age_group = models.CharField(max_length=30, blank=True)
    gender = models.CharField(max_length=30, blank=True)
    weight = models.FloatField(default=1.0)
    answers = models.JSONField(default=dict)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [models.Index(fields=["municipality", "wave", "area"])]

    def __str__(self) -> str:
        return f"{self.wave_id}/{self.pk}"


class PostcodeArea(TenantRow, models.Model):
    """Which area a postcode lies in (for survey files that give the respondent's postcode
    rather than an area): a mapping table of the municipality, per area layer."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    postcode = models.CharField(_("postcode"), max_length=5)
    area = TenantForeignKey(
        Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("area")
    )
    layer = TenantForeignKey(
        AreaLayer, on_delete=models.CASCADE, related_name="+", verbose_name=_("area layer")
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["postcode"]
        verbose_name = _("postcode area")
        verbose_name_plural = _("postcode areas")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "layer", "postcode"], name="postcode_area_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.postcode} → {self.area}"
