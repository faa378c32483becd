"""The EST weekly picture of one safety group (trygghetsgrupp): for one ISO week, what was
reported in the group's areas (events per main category) and what stands out against the
weeks before, which member organisations neither reported nor said "nothing to report", and
the partners' own assessment of each area's situation, with its trend over the last weeks.

"Stands out" compares the week with the mean of the :data:`BASELINE_WEEKS` weeks before it:
a count above the upper limit of a Poisson 95 % prediction interval around that mean
(``scipy.stats.poisson``) is named, and so is a category that had events every one of those
weeks and none now. A recent-weeks baseline is what the weekly round needs (the same weeks of
earlier years, the dashboard's seasonal baseline, rarely exist for a newly started group).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Avg
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from scipy.stats import poisson

from brygga.core.access import VIEW, resolver_for
from brygga.core.models import AreaLayer, Forum
from brygga.incidents.models import Category
from brygga.incidents.selectors import weekly_states

from . import counts as rollup
from .models import AreaAssessment, AssessmentLevel
from .scope import Period, Scope, one_layer

BASELINE_WEEKS = 8
TREND_WEEKS = 12
LEVEL = 0.95


def week_period(week_start: dt.date) -> Period:
    return Period(week_start, week_start + dt.timedelta(days=6), "week")


def week_label(week_start: dt.date) -> str:
    iso = week_start.isocalendar()
    end = week_start + dt.timedelta(days=6)
    return _("week %(week)s (%(start)s–%(end)s)") % {
        "week": iso.week,
        "start": date_format(week_start, "j M"),
        "end": date_format(end, "j M Y"),
    }


def forum_scope(forum: Forum, period: Period) -> Scope:
    """The scope of a safety group: its areas (those of the layer holding most of them)."""
    areas = list(forum.areas.filter(municipality_id=forum.municipality_id).defer("geometry"))
    layer = None
    if areas:
        layers = list(AreaLayer.objects.filter(municipality=forum.municipality).order_by("name"))
        layer, areas = one_layer(areas, layers)
    return Scope(
        municipality=forum.municipality,
        period=period,
        forum=forum,
        areas=areas,
        layer=layer,
        explicit={"forum": forum.pk, "period": period.param()},
    )


@dataclass
class CategoryWeek:
    category: Category
    events: int
    mean: float  # the mean of the baseline weeks
    upper: int  # the upper limit of the 95 % prediction interval
    stands_out: bool
    sentence: str = ""


@dataclass
class AreaAssessments:
    area_id: int
    area_name: str
    by_organisation: list[tuple[str, int]]  # (organisation, level) this week
    mean: float | None
    highest: int | None
    trend: list[float | None]  # the mean level per week, oldest first (TREND_WEEKS)
    sentence: str = ""


@dataclass
class WeeklyPicture:
    forum: Forum
    week_start: dt.date
    label: str
    has_areas: bool  # a group without areas has no events to count (they are counted by area)
    events: int
    baseline_mean: float
    categories: list[CategoryWeek] = field(default_factory=list)
    standing_out: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    nothing: list[str] = field(default_factory=list)
    reported: list[tuple[str, int]] = field(default_factory=list)
    areas: list[AreaAssessments] = field(default_factory=list)
    trend_weeks: list[dt.date] = field(default_factory=list)


def _weeks_by_category(user, scope: Scope, week_start: dt.date) -> list[dict[int, int]]:
    """Events per main category in the week (index 0) and each of the ``BASELINE_WEEKS``
    before (index k is k weeks earlier), from one read of the rollup."""
    first = week_start - dt.timedelta(weeks=BASELINE_WEEKS)
    out: list[dict[int, int]] = [{} for _ in range(BASELINE_WEEKS + 1)]
    span = Period(first, week_start + dt.timedelta(days=6))
    for r in rollup.counts(user, scope, ("day", "main_category"), period=span):
        week = out[BASELINE_WEEKS - (r["day"] - first).days // 7]
        week[r["main_category"]] = week.get(r["main_category"], 0) + int(r["events"])
    return out


def _categories(now: dict[int, int], history: list[dict[int, int]]) -> list[CategoryWeek]:
    ids = set(now) | {c for h in history for c in h}
    names = Category.objects.in_bulk(ids)
    out = []
    for cid in ids:
        past = np.array([h.get(cid, 0) for h in history], dtype=float)
        mean = float(past.mean())
        upper = int(poisson.ppf(LEVEL + (1 - LEVEL) / 2, mean)) if mean > 0 else 0
        n = now.get(cid, 0)
        rose = n > upper and n >= 3
        vanished = n == 0 and bool((past > 0).all())
        row = CategoryWeek(names[cid], n, mean, upper, rose or vanished)
        if rose:
            row.sentence = _(
                "%(category)s: %(n)s events, more than usual (on average %(mean)s a week over "
                "the %(weeks)s weeks before, at most %(upper)s expected)."
            ) % {
                "category": names[cid].name,
                "n": n,
                "mean": f"{mean:.1f}".replace(".", ","),
                "weeks": BASELINE_WEEKS,
                "upper": upper,
            }
        elif vanished:
            row.sentence = _(
                "%(category)s: no events this week, after events in each of the %(weeks)s "
                "weeks before (on average %(mean)s a week)."
            ) % {
                "category": names[cid].name,
                "weeks": BASELINE_WEEKS,
                "mean": f"{mean:.1f}".replace(".", ","),
            }
        out.append(row)
    out.sort(key=lambda r: (-r.events, r.category.sort_order, r.category.name))
    return out


def _assessments(user, forum: Forum, week_start: dt.date) -> list[AreaAssessments]:
    visible = (
        resolver_for(user)
        .restrict(AreaAssessment.objects.all(), VIEW)
        .filter(municipality_id=forum.municipality_id, forum=forum)
    )
    weeks = [week_start - dt.timedelta(weeks=k) for k in range(TREND_WEEKS - 1, -1, -1)]
    per_week = {
        (r["area_id"], r["week_start"]): r["mean"]
        for r in visible.filter(week_start__in=weeks)
        .values("area_id", "week_start")
        .annotate(mean=Avg("level"))
        .order_by()
    }
    this_week = list(
        visible.filter(week_start=week_start)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    out = []
    for area in forum.areas.filter(municipality_id=forum.municipality_id).order_by("name"):
        mine = [a for a in this_week if a.area_id == area.pk]
        levels = [a.level for a in mine]
        row = AreaAssessments(
            area_id=area.pk,
            area_name=area.name,
            by_organisation=[(a.organisation.name, a.level) for a in mine],
            mean=sum(levels) / len(levels) if levels else None,
            highest=max(levels, default=None),
            trend=[per_week.get((area.pk, w)) for w in weeks],
        )
        if levels:
            row.sentence = ngettext(
                "%(area)s: %(label)s according to %(n)s organisation.",
                "%(area)s: on average %(label)s according to %(n)s organisations.",
                len(levels),
            ) % {
                "area": area.name,
                "label": AssessmentLevel(round(row.mean)).label.lower(),
                "n": len(levels),
            }
        else:
            row.sentence = _("%(area)s: no assessment this week.") % {"area": area.name}
        out.append(row)
    return out


def weekly_picture(user, forum: Forum, week_start: dt.date) -> WeeklyPicture:
    """The weekly picture of ``forum`` (a safety group the user may see) for the ISO week that
    starts on Monday ``week_start``."""
    scope = forum_scope(forum, week_period(week_start))
    has_areas = bool(scope.areas)
    weeks_by_category = _weeks_by_category(user, scope, week_start) if has_areas else []
    categories = _categories(weeks_by_category[0], weeks_by_category[1:]) if has_areas else []
    baseline = [sum(week.values()) for week in weeks_by_category[1:]]
    states = [
        s for s in weekly_states(user, forum.municipality, week_start) if s.forum.pk == forum.pk
    ]
    weeks = [week_start - dt.timedelta(weeks=k) for k in range(TREND_WEEKS - 1, -1, -1)]
    return WeeklyPicture(
        forum=forum,
        week_start=week_start,
        label=week_label(week_start),
        has_areas=has_areas,
        events=sum(c.events for c in categories),
        baseline_mean=float(np.mean(baseline)) if baseline else 0.0,
        categories=categories,
        standing_out=[c.sentence for c in categories if c.stands_out],
        missing=[s.organisation_name for s in states if s.state == "missing"],
        nothing=[s.organisation_name for s in states if s.state == "nothing"],
        reported=[(s.organisation_name, s.count) for s in states if s.state == "reported"],
        areas=_assessments(user, forum, week_start),
        trend_weeks=weeks,
    )
