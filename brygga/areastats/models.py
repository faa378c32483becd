"""Area statistics: figures per area and year from Statistics Sweden (SCB) or another source,
the imports they came from, and the PxWebApi addresses fetched on a schedule.

Every table is a tenant table (``municipality`` first in its keys, see
``brygga.core.tenant_keys``). A value of the municipality as a whole has no area."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Area, Municipality, RestrictedManager, TimeStamped
from brygga.core.tenant_keys import TenantForeignKey, TenantRow

SCB_SOURCE = "SCB Statistikdatabasen"


class StatImport(TenantRow, TimeStamped):
    """One file or fetched response: previewed, queued for the worker once confirmed, then
    imported (or failed, with ``message``)."""

    class State(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    class Origin(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        COMMAND = "command", _("Command line")
        FETCH = "fetch", _("Scheduled fetch")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    file_name = models.CharField(_("file"), max_length=255)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    title = models.CharField(_("title"), max_length=500, blank=True)
    table_id = models.CharField(_("table"), max_length=50, blank=True)
    # The uploaded file between the preview and the confirmation (emptied afterwards).
    content = models.BinaryField(blank=True, default=b"", editable=False)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("statistics import")
        verbose_name_plural = _("statistics imports")

    def __str__(self) -> str:
        return self.file_name


class StatValue(TenantRow, TimeStamped):
    """A figure of one series for one area (or the whole municipality) and year."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    area = TenantForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("area"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    series = models.CharField(_("series"), max_length=300)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    source = models.CharField(_("source"), max_length=200, default=SCB_SOURCE)
    table_id = models.CharField(_("table"), max_length=50, blank=True)
    imported_by = TenantForeignKey(
        StatImport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="values",
        verbose_name=_("import"),
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["year", "series"]
        verbose_name = _("statistic value")
        verbose_name_plural = _("statistic values")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "area", "year", "series"],
                condition=Q(area__isnull=False),
                name="stat_value_unique_per_area",
            ),
            models.UniqueConstraint(
                fields=["municipality", "year", "series"],
                condition=Q(area__isnull=True),
                name="stat_value_unique_for_municipality",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "series", "year"])]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.value}"


class StatFeed(TenantRow, TimeStamped):
    """A PxWebApi address fetched by ``brygga fetch-area-stats`` (cron or a systemd timer):
    a GET of a JSON-stat2 response, or a POST of ``query`` (PxWebApi v1's query JSON)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("municipality")
    )
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("PxWebApi address"), max_length=1000)
    query = models.JSONField(_("query (PxWebApi v1)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    last_status = models.CharField(_("last result"), max_length=500, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("statistics feed")
        verbose_name_plural = _("statistics feeds")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="stat_feed_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
