"""``IncidentPlacement``: the area of each layer an incident lies in. Imported by (and part of)
``brygga.incidents.models``; written only by ``services/placements.py``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from brygga.core.models import Area, AreaLayer, Municipality
from brygga.core.tenant_keys import TenantForeignKey, TenantRow


class IncidentPlacement(TenantRow, models.Model):
    """An incident with a point lies in the smallest area of a layer that contains it; one
    without a point lies in its ``area``, in that area's layer only. Derived data: the change
    history records the incidents and the areas, not these rows."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    incident = TenantForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="placements"
    )
    layer = TenantForeignKey(AreaLayer, on_delete=models.CASCADE, related_name="+")
    area = TenantForeignKey(Area, on_delete=models.CASCADE, related_name="placements")

    class Meta:
        app_label = "incidents"
        verbose_name = _("placement of an incident")
        verbose_name_plural = _("placements of incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "incident", "layer"], name="incident_placement_unique"
            )
        ]
        # an area's incidents (its counts, the list's area filter) from the index alone
        indexes = [models.Index(fields=["municipality", "area", "incident"])]

    def __str__(self) -> str:
        return f"incident {self.incident_id} in area {self.area_id}"
