"""What the lägesbild adds to core's pages (``brygga.core.hooks``): a safety group's page shows
its last full week (events, what stands out, who did not report, the area assessments) with a
link to the weekly picture."""

from __future__ import annotations

from django.urls import reverse

from brygga.core.hooks import Panel
from brygga.core.models import ForumKind
from brygga.core.weeks import week_param

from .views.weekly import last_full_week
from .weekly import weekly_picture


def forum_panels(request, municipality, forum) -> list[Panel]:
    if forum.kind != ForumKind.SAFETY_GROUP:
        return []
    week_start = last_full_week()
    picture = weekly_picture(request.user, forum, week_start)
    url = reverse("situation:weekly", args=[municipality.code])
    return [
        Panel(
            "situation/panels/forum_weekly.html",
            {
                "picture": picture,
                "assessed": [a for a in picture.areas if a.mean is not None],
                "url": f"{url}?forum={forum.pk}&vecka={week_param(week_start)}",
            },
        )
    ]
