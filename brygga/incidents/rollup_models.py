"""``IncidentCount``: the counted incidents of a municipality per local day, hour, category,
stream and area — the rollup of the lägesbild — and ``IncidentDayCount``, the same summed
per day, which every figure without hours reads. Imported by (and part of)
``brygga.incidents.models``; written only by ``services/rollups.py``, in the transaction of
every write that changes what it counts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Area, AreaLayer, Municipality
from brygga.core.tenant_keys import TenantForeignKey, TenantRow


class Stream(models.TextChoices):
    """Where a counted incident came from, as the lägesbild separates its sources."""

    PARTNER = "partner", _("Partners' reports")
    POLICE = "police", _("Police events")
    REGISTER = "register", _("Register data")
    PUBLIC = "public", _("Public tips")


# the stream of an incident's source (``Source`` values); every other source is the partners'
SOURCE_STREAMS = {"police": Stream.POLICE, "import": Stream.REGISTER, "open311": Stream.PUBLIC}


def stream_of(source: str) -> str:
    """The stream an incident of ``source`` is counted in."""
    return SOURCE_STREAMS.get(source, Stream.PARTNER)


class _CountRow(TenantRow, models.Model):
    """The fields both rollup tables share: what was counted (municipality, day, category,
    stream, and the area of a layer, or no layer for the municipality's total) and the counts."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    category = models.ForeignKey("incidents.Category", on_delete=models.CASCADE, related_name="+")
    stream = models.CharField(max_length=10, choices=Stream.choices)
    layer = TenantForeignKey(
        AreaLayer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    area = TenantForeignKey(Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    incidents = models.PositiveIntegerField()
    events = models.PositiveIntegerField()

    class Meta:
        abstract = True


class IncidentCount(_CountRow):
    """How many counted incidents (and events: the sum of ``Incident.count``) one municipality
    has for a local day and hour, a category and a stream.

    Rows with an empty ``layer`` count every counted incident of the municipality; rows with a
    layer count the incidents placed in ``area`` of that layer (``IncidentPlacement``), so an
    area's figures and the municipality's come from the same table and an incident in no area
    of a layer is still in the municipality's total. Derived data: never shown row by row,
    not in the change history, rebuilt by ``brygga incident-counts --rebuild``."""

    hour = models.PositiveSmallIntegerField()

    class Meta:
        app_label = "incidents"
        verbose_name = _("incident count")
        verbose_name_plural = _("incident counts")
        indexes = [
            # the dashboard's reads: the totals or one layer's rows over a period
            models.Index(fields=["municipality", "layer", "day"]),
            # the writer's recount of some days (every layer and the totals)
            models.Index(fields=["municipality", "day"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hour__lte=23), name="incident_count_hour_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(layer__isnull=True, area__isnull=True)
                | models.Q(layer__isnull=False, area__isnull=False),
                name="incident_count_area_in_layer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.hour}:00 category {self.category_id}: {self.events}"


class IncidentDayCount(_CountRow):
    """:class:`IncidentCount` summed over the hours of each local day: the rows every figure
    of the lägesbild reads unless it separates the hours (the weekday × hour table), about a
    tenth as many. Written only by ``services/rollups.py``, in the same transaction as the
    hourly rows of the same days, from those rows."""

    class Meta:
        app_label = "incidents"
        verbose_name = _("incident count per day")
        verbose_name_plural = _("incident counts per day")
        indexes = [
            models.Index(fields=["municipality", "layer", "day"]),
            models.Index(fields=["municipality", "day"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(layer__isnull=True, area__isnull=True)
                | models.Q(layer__isnull=False, area__isnull=False),
                name="incident_day_count_area_in_layer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} category {self.category_id}: {self.events}"


def counted_through(prefix: str = "") -> models.Q:
    """The incidents the lägesbild counts, as a filter on ``prefix`` + the incident's fields
    (``"incident__"`` from a placement): not deleted, not rejected, not a police summary, not a
    county-level police event (it has no place in the municipality) and not a new public tip
    (untrusted until it is reviewed)."""
    f = {
        f"{prefix}deleted_at__isnull": True,
        f"{prefix}is_summary": False,
        f"{prefix}county_event": False,
    }
    return (
        models.Q(**f)
        & ~models.Q(**{f"{prefix}status": "rejected"})
        & ~models.Q(**{f"{prefix}source": "open311", f"{prefix}status": "new"})
    )


COUNTED = counted_through()
