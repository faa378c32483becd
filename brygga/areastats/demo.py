"""Demo figures for ``brygga demo``: a made-up population for each demo area of Sundsvall
(the approximate areas core's demo puts in the municipality's own layer, "Trygghetsgruppernas
områden" or, on an upgraded install, "Egna områden"), clearly labelled as made up, so that the
area pages show rates per 1,000 inhabitants."""

from __future__ import annotations

import zlib

from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import Area, LayerKind, Municipality

from .readers import ParsedStats, StatRow
from .services import import_area_stats, summarise

DEMO_SOURCE = "Demo: påhittade siffror"
DEMO_SERIES = "Folkmängd, totalt"


def demo_population(name: str) -> int:
    """A plausible, stable size for an urban district or village: 1,500–14,000."""
    return 1500 + zlib.crc32(name.encode("utf-8")) % 12500


def load_population_demo() -> dict:
    municipality = Municipality.objects.get(code="2281")
    areas = list(
        Area.objects.filter(
            municipality=municipality, layer__kind=LayerKind.OWN, is_demo_geometry=True
        )
    )
    year = timezone.localdate().year - 1
    parsed = ParsedStats(file_name="demo-folkmangd", title=DEMO_SERIES, source=DEMO_SOURCE)
    known = {}
    for i, area in enumerate(areas, start=1):
        code = area.official_code or f"DEMO{area.pk}"
        known[code] = area
        parsed.rows.append(
            StatRow(code, area.name, year, DEMO_SERIES, "antal", demo_population(area.name), i, "A")
        )
    if not areas:
        return {"areas": 0, "created": 0, "unchanged": 0}
    actor = SystemActor("brygga demo")
    planned = summarise(municipality=municipality, parsed=parsed, known_areas=known)
    if not planned.created and not planned.changed:  # a second run writes nothing at all
        return {"areas": len(areas), "created": 0, "unchanged": planned.unchanged}
    with acting_as(actor):
        summary = import_area_stats(
            actor=actor, municipality=municipality, parsed=parsed, known_areas=known
        )
    return {"areas": len(areas), "created": summary.created, "unchanged": summary.unchanged}
