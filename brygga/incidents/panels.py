"""What the incidents app adds to core's pages (``brygga.core.hooks``): the start page of a
municipality per role, and the incident counts of an area and a forum. Everything is read
through the selectors, so the resolver decides what a user sees; no free text of an incident
(which may hold personal data) is shown, only categories, dates, places' names and counts."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.areastats.selectors import population_for, rate_per_thousand
from brygga.core.access import resolver_for
from brygga.core.charts import BarChart
from brygga.core.hooks import Panel
from brygga.core.weeks import monday_of, week_param

from . import selectors
from .models import ImportJob, Incident


def _list_url(municipality, name: str = "index", **params) -> str:
    url = reverse(f"incidents:{name}", args=[municipality.code])
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{url}?{query}" if query else url


def overview_panels(request, municipality) -> list[Panel]:
    user = request.user
    resolver = resolver_for(user)
    panels = []
    if resolver.can_create_in(Incident, municipality):
        panels.append(_report_panel(request, municipality))
    if resolver.has_ability("analyse", municipality):
        panels.append(_trend_panel(request, municipality))
        panels.append(_round_panel(request, municipality))
        if resolver.can_import(municipality):
            panels.append(_imports_panel(request, municipality))
    return panels


def _report_panel(request, municipality) -> Panel:
    """The reporter's start: the report button, their organisations' newest reports and this
    week's state in the weekly round of the safety groups they belong to."""
    user = request.user
    week_start = monday_of(timezone.localdate())
    own = resolver_for(user).member_organisations(municipality)
    states = (
        selectors.weekly_states(user, municipality, week_start, organisation_ids=own) if own else []
    )
    return Panel(
        "incidents/panels/report.html",
        {
            "municipality": municipality,
            "recent": selectors.recent_reports(user, municipality),
            "states": states,
            "week": week_param(week_start),
            "weekly_url": reverse("incidents:weekly", args=[municipality.code]),
        },
    )


def _trend_panel(request, municipality) -> Panel:
    counts = selectors.week_counts(request.user, municipality)
    this_year = counts.weeks[-1]["year"]
    labels = [_("w. %(week)s") % {"week": w["week"]} for w in counts.weeks]
    chart = BarChart(
        labels=labels,
        series=[
            (_("These weeks"), [w["this"] for w in counts.weeks]),
            (_("Same weeks a year earlier"), [w["last"] for w in counts.weeks]),
        ],
    )
    first, last = counts.weeks[0], counts.weeks[-1]
    return Panel(
        "incidents/panels/trend.html",
        {
            "municipality": municipality,
            "counts": counts,
            "chart": chart,
            "weeks": len(counts.weeks),
            "year": this_year,
            "chart_desc": _(
                "Reports per ISO week from week %(first)s to week %(last)s, %(this)s in all, "
                "against %(earlier)s in the same weeks a year earlier. The numbers are in the "
                "table below the chart."
            )
            % {
                "first": first["week"],
                "last": last["week"],
                "this": counts.total_this,
                "earlier": counts.total_last,
            },
            "date_from": first["start"].isoformat(),
            "list_url": _list_url(municipality, date_from=first["start"].isoformat()),
        },
    )


def _round_panel(request, municipality) -> Panel:
    week_start = monday_of(timezone.localdate())
    groups = selectors.groups_not_reported(request.user, municipality, week_start)
    weekly = reverse("incidents:weekly", args=[municipality.code])
    week = week_param(week_start)
    return Panel(
        "incidents/panels/round.html",
        {
            "groups": [
                {**g, "url": f"{weekly}?forum={g['forum'].pk}&vecka={week}"} for g in groups
            ],
            "week": week,
            "weekly_url": weekly,
            "has_groups": selectors.safety_groups_for(request.user, municipality).exists(),
        },
    )


def _imports_panel(request, municipality) -> Panel:
    items = selectors.imports_needing_attention(request.user, municipality)
    for item in items:
        job = item["job"]
        name = "police_job" if job.kind == ImportJob.Kind.POLICE else "import_detail"
        item["url"] = reverse(f"incidents:{name}", args=[municipality.code, job.pk])
    return Panel(
        "incidents/panels/imports.html",
        {
            "items": items,
            "days": selectors.ATTENTION_DAYS,
            "import_url": reverse("incidents:import_list", args=[municipality.code]),
        },
    )


def _place_panel(request, municipality, *, area=None, forum=None) -> Panel:
    counts = selectors.place_counts(request.user, municipality, area=area, forum=forum)
    key = {"area": area.pk} if area is not None else {"forum": forum.pk}
    return Panel(
        "incidents/panels/place.html",
        {
            "counts": counts,
            **_rates(request, municipality, area, counts),
            "year_url": _list_url(municipality, date_from=counts["year_from"].isoformat(), **key),
            "days_url": _list_url(municipality, date_from=counts["days_from"].isoformat(), **key),
            "list_url": _list_url(municipality, **key),
            "map_url": _list_url(municipality, "map", **key),
        },
    )


def _rates(request, municipality, area, counts) -> dict:
    """Reports per 1,000 inhabitants of the area (the area statistics' population of this
    year, or the latest earlier year); nothing for a forum or an area without population."""
    if area is None:
        return {}
    year = counts["year_from"].year
    population = population_for(municipality, [area], year, user=request.user).get(area.pk)
    if population is None:
        return {}
    return {
        "population": population,
        "year_rate": rate_per_thousand(counts["year"], population),
        "days_rate": rate_per_thousand(counts["days"], population),
    }


def area_panels(request, municipality, area) -> list[Panel]:
    return [_place_panel(request, municipality, area=area)]


def forum_panels(request, municipality, forum) -> list[Panel]:
    return [_place_panel(request, municipality, forum=forum)]
