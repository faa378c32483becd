"""What the area statistics app adds to core's pages (``brygga.core.hooks``): on an area's
page its population (year and source) and its other figures; on the municipality's overview a
link to the statistics page. Read through the selectors, for the signed-in user."""

from __future__ import annotations

from django.urls import reverse

from brygga.core.hooks import Panel

from . import selectors

SHOWN_INDICATORS = 20


def area_panels(request, municipality, area) -> list[Panel]:
    population = selectors.population_for(municipality, [area], user=request.user).get(area.pk)
    indicators = selectors.context_indicators(municipality, area, user=request.user)
    if population is None and not indicators:
        return []  # nothing stored for the area: the overview links to the statistics page
    return [
        Panel(
            "areastats/panels/area.html",
            {
                "population": population,
                "indicators": indicators[:SHOWN_INDICATORS],
                "more": max(0, len(indicators) - SHOWN_INDICATORS),
                "stats_url": reverse("areastats:index", args=[municipality.code]),
            },
        )
    ]


def overview_panels(request, municipality) -> list[Panel]:
    if not selectors.values_for(request.user, municipality).exists():
        return []
    return [
        Panel(
            "areastats/panels/overview.html",
            {
                "years": selectors.years_for(request.user, municipality)[:1],
                "stats_url": reverse("areastats:index", args=[municipality.code]),
            },
        )
    ]
