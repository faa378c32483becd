"""What the safety survey adds to core's pages (``brygga.core.hooks``): on an area's page the
area's index values of the latest survey (small cells suppressed) with the change from the
previous one; on the municipality's overview a link to the survey's results."""

from __future__ import annotations

from django.urls import reverse

from brygga.core.hooks import Panel

from . import selectors


def _latest(request, municipality):
    return (
        selectors.waves_for(request.user, municipality)
        .filter(responses__gt=0)
        .order_by("-year")
        .first()
    )


def area_panels(request, municipality, area) -> list[Panel]:
    wave = _latest(request, municipality)
    if wave is None:
        return []
    results = selectors.wave_results(wave, user=request.user, areas=[area], groups=False)
    rows = [(i, i.areas[0]) for i in results.indices if i.areas]
    if not rows:
        return []
    return [
        Panel(
            "surveys/panels/area.html",
            {
                "wave": wave,
                "rows": rows,
                "limit": results.limit,
                "previous": results.previous,
                "area_url": reverse("surveys:area", args=[municipality.code, wave.year, area.pk]),
            },
        )
    ]


def overview_panels(request, municipality) -> list[Panel]:
    wave = _latest(request, municipality)
    if wave is None:
        return []
    return [
        Panel(
            "surveys/panels/overview.html",
            {"wave": wave, "url": reverse("surveys:wave", args=[municipality.code, wave.year])},
        )
    ]
