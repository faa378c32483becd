"""Reads for incidents: always restricted to the user; reads of personal data are logged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import ExtractIsoYear, ExtractWeek
from django.utils import timezone

from brygga.audit.services import log_access
from brygga.core import health
from brygga.core import selectors as core_selectors
from brygga.core.access import VIEW, resolver_for
from brygga.core.models import Area, County, Forum, ForumKind, Municipality, Organisation
from brygga.core.weeks import iso_monday, monday_of

from .models import Category, ImportJob, Incident, IncidentPlacement, NilReport, Source


def municipality_scope(qs: QuerySet, municipality: Municipality) -> QuerySet:
    """Incidents of a municipality, its copies of the county-level police events of its county
    included (see ``IncidentQuerySet.in_scope_of`` for why it is written the way it is)."""
    return qs.in_scope_of([municipality.pk], [municipality.county_id])


def with_related(
    qs: QuerySet[Incident], municipality: Municipality | None = None
) -> QuerySet[Incident]:
    """The rows an incident page or API response shows with each incident (category and its
    main category, area, reporting organisation, municipality, county), fetched for the page's
    rows in small separate queries.

    Deliberately not ``select_related``: with the joins SQLite's planner starts from the
    category table and sorts every matching incident, instead of walking the
    ``incident_scope_time_idx`` index newest first and stopping after one page (on a database
    of a million incidents that was 40 ms instead of under one). Polygons are not loaded.
    With ``municipality`` (a list of one municipality's incidents) the areas and organisations
    are fetched from that municipality only, which a Citus cluster reads on one shard.
    """
    areas = Area._base_manager.defer("geometry")
    organisations = Organisation._base_manager.all()
    if municipality is not None:
        areas = areas.filter(municipality=municipality)
        organisations = organisations.filter(municipality=municipality)
    return qs.prefetch_related(
        "category__parent",
        Prefetch("area", queryset=areas),
        Prefetch("reporting_organisation", queryset=organisations),
        Prefetch("municipality", queryset=Municipality._base_manager.defer("boundary")),
        Prefetch("county", queryset=County._base_manager.defer("boundary")),
    )


def municipality_by_code(code: str) -> Municipality | None:
    """A municipality by its kommunkod (shared reference data, visible to everyone)."""
    return Municipality.objects.filter(code=code).first()


def incidents_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Incident]:
    """Incidents of ``municipality`` visible to ``user``, including county-level police events
    of its county."""
    qs = municipality_scope(Incident.objects.visible_to(user, action), municipality)
    return with_related(qs, municipality)


PERSONAL_FIELDS = ("description", "place_description", "attributes")


def log_incident_read(user, incident: Incident, *, purpose: str) -> None:
    """Log that a response shows ``user`` the texts of ``incident``, when they hold personal
    data: call it once per response that carries them (a page, an API body), in the
    transaction of the read; a response without the texts (a redirect) logs nothing."""
    if incident.has_personal_data:
        log_access(user, incident, purpose, fields=PERSONAL_FIELDS)


def incident_detail(user, municipality: Municipality, pk: int, *, purpose: str) -> Incident:
    """One incident; if its text holds personal data the read is logged with ``purpose``."""
    incident = incidents_for(user, municipality).get(pk=pk)
    log_incident_read(user, incident, purpose=purpose)
    return incident


def list_summary(qs: QuerySet[Incident], *, cap: int) -> dict:
    """The list's summary line in one aggregate query over at most ``cap + 1`` rows of the
    selection: ``{"total", "police", "capped"}`` (``capped``: more rows match than ``cap``;
    ``total`` is then ``cap`` and ``police`` counts among the rows counted)."""
    counted = qs.order_by("-occurred_from", "-id")[: cap + 1].aggregate(
        total=Count("pk"), police=Count("pk", filter=Q(source=Source.POLICE))
    )
    total = counted["total"] or 0
    return {"total": min(total, cap), "police": counted["police"] or 0, "capped": total > cap}


def police_incidents_for(user, municipality: Municipality) -> QuerySet[Incident]:
    """Police events visible to ``user`` in ``municipality`` (its own and its county's)."""
    return incidents_for(user, municipality).filter(source=Source.POLICE)


def police_type_counts(user, municipality: Municipality, *, year: int | None = None) -> dict:
    """Counts per police type: ``{type: {"municipality": n, "county": n}}``."""
    qs = police_incidents_for(user, municipality)
    if year:
        qs = qs.filter(occurred_from__year=year)
    rows = (
        qs.order_by()
        .values("source_type")
        .annotate(
            n_municipality=Count("pk", filter=Q(county_event=False)),
            n_county=Count("pk", filter=Q(county_event=True)),
        )
    )
    return {
        r["source_type"]: {"municipality": r["n_municipality"], "county": r["n_county"]}
        for r in rows
    }


def in_areas(qs: QuerySet[Incident], municipality_id: int, area_ids) -> QuerySet[Incident]:
    """Incidents placed in any of these areas of one municipality, whatever their layers
    (``IncidentPlacement``; the list's ``?area=``). A subquery on the placements' index
    (municipality, area, incident); an incident in two of the areas counts once."""
    placed = IncidentPlacement.objects.filter(
        municipality_id=municipality_id, area_id__in=list(area_ids)
    ).values("incident_id")
    return qs.filter(municipality_id=municipality_id, pk__in=placed)


def in_forum(qs: QuerySet[Incident], forum: Forum) -> QuerySet[Incident]:
    """Incidents of ``forum``: those placed in its areas, or for a forum without areas those
    reported by its member organisations (the list's ``?forum=`` filter)."""
    area_ids = list(forum.areas.values_list("pk", flat=True))
    if area_ids:
        return in_areas(qs, forum.municipality_id, area_ids)
    return qs.filter(reporting_organisation__in=forum.organisations.all())


# --- the start page, area and forum pages (read by ``panels.py``) ---------------------------
# Counts are of reports (rows) as the list shows them, police summaries left out (they bundle
# many events, as on the map). Every count is one aggregate query over the rows the user may
# see, walking ``incident_scope_time_idx`` (county, time, ..., category, area).
def _counted(user, municipality: Municipality) -> QuerySet[Incident]:
    return municipality_scope(Incident.objects.visible_to(user, VIEW), municipality).filter(
        is_summary=False
    )


def day_start(day: dt.date) -> dt.datetime:
    """Midnight (local time) at the start of ``day``, as the list's date filters take it."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def recent_reports(user, municipality: Municipality, *, limit: int = 10) -> list[Incident]:
    """The newest incidents reported by the organisations the user belongs to in
    ``municipality`` (that the user may see), newest first."""
    own = resolver_for(user).member_organisations(municipality)
    if not own:
        return []
    return list(incidents_for(user, municipality).filter(reporting_organisation_id__in=own)[:limit])


@dataclass
class WeeklyState:
    """One organisation's state in one safety group's weekly round: ``reported`` (at least
    one incident the user can see, filed by the organisation, that happened that week),
    ``nothing`` (a "nothing to report") or ``missing``."""

    forum: Forum
    organisation_id: int
    organisation_name: str
    state: str
    count: int = 0


def safety_groups_for(user, municipality: Municipality) -> QuerySet[Forum]:
    """The active local safety groups of the weekly round that the user may see."""
    return (
        Forum.objects.visible_to(user, VIEW)
        .filter(municipality=municipality, kind=ForumKind.SAFETY_GROUP, is_active=True)
        .order_by("name")
    )


def weekly_states(
    user,
    municipality: Municipality,
    week_start: dt.date,
    *,
    organisation_ids: set[int] | None = None,
) -> list[WeeklyState]:
    """The weekly round of every safety group the user may see, for the week beginning on
    Monday ``week_start``: one row per (group, member organisation), only for
    ``organisation_ids`` if given; the same states as the weekly reporting page. Four
    queries whatever the number of groups."""
    forums = list(safety_groups_for(user, municipality).prefetch_related("organisations"))
    pairs = [
        (forum, org)
        for forum in forums
        for org in sorted(forum.organisations.all(), key=lambda o: o.name)
        if organisation_ids is None or org.pk in organisation_ids
    ]
    if not pairs:
        return []
    org_ids = {org.pk for _f, org in pairs}
    counts = dict(
        incidents_for(user, municipality)
        .filter(
            reporting_organisation_id__in=org_ids,
            occurred_from__gte=day_start(week_start),
            occurred_from__lt=day_start(week_start + dt.timedelta(days=7)),
        )
        .order_by()
        .values_list("reporting_organisation")
        .annotate(n=Count("pk"))
    )
    nil = set(
        NilReport.objects.visible_to(user, VIEW)
        .filter(
            municipality=municipality,
            forum__in=forums,
            organisation_id__in=org_ids,
            week_start=week_start,
        )
        .values_list("forum_id", "organisation_id")
    )
    rows = []
    for forum, org in pairs:
        n = counts.get(org.pk, 0)
        state = "reported" if n else ("nothing" if (forum.pk, org.pk) in nil else "missing")
        rows.append(WeeklyState(forum, org.pk, org.name, state, n))
    return rows


def groups_not_reported(user, municipality: Municipality, week_start: dt.date) -> list[dict]:
    """The safety groups in which some member organisation has neither reported nor said
    "nothing to report" for the week: ``{"forum", "missing": [names], "members": n}``."""
    by_forum: dict[int, dict] = {}
    for row in weekly_states(user, municipality, week_start):
        entry = by_forum.setdefault(row.forum.pk, {"forum": row.forum, "missing": [], "members": 0})
        entry["members"] += 1
        if row.state == "missing":
            entry["missing"].append(row.organisation_name)
    return [e for e in by_forum.values() if e["missing"]]


@dataclass
class WeekCounts:
    """Reports per ISO week for the last weeks and the same ISO weeks a year earlier, in total,
    per main category and per area (``None`` for a week the earlier year does not have)."""

    weeks: list[dict] = field(default_factory=list)  # {"year","week","start","this","last"}
    categories: list[dict] = field(default_factory=list)  # {"name","this","last"}
    areas: list[dict] = field(default_factory=list)  # {"name","pk","this","last"}

    @property
    def total_this(self) -> int:
        return sum(w["this"] for w in self.weeks)

    @property
    def total_last(self) -> int:
        return sum(w["last"] or 0 for w in self.weeks)


def week_counts(
    user, municipality: Municipality, *, weeks: int = 8, today: dt.date | None = None
) -> WeekCounts:
    """Reports the user may see per ISO week, for the ``weeks`` weeks up to and including the
    current one, each compared with the same ISO week of the year before; also the sums over
    those weeks per main category and per area. One aggregate query."""
    today = today or timezone.localdate()
    monday = monday_of(today)
    starts = [monday - dt.timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    keys = [s.isocalendar()[:2] for s in starts]
    last_starts = [s for y, w in keys if (s := iso_monday(y - 1, w)) is not None]
    this_range = Q(
        occurred_from__gte=day_start(starts[0]),
        occurred_from__lt=day_start(monday + dt.timedelta(days=7)),
    )
    window = this_range
    if last_starts:
        window |= Q(
            occurred_from__gte=day_start(min(last_starts)),
            occurred_from__lt=day_start(max(last_starts) + dt.timedelta(days=7)),
        )
    tz = timezone.get_current_timezone()
    rows = (
        _counted(user, municipality)
        .filter(window)
        .order_by()
        .annotate(
            iso_year=ExtractIsoYear("occurred_from", tzinfo=tz),
            iso_week=ExtractWeek("occurred_from", tzinfo=tz),
        )
        .values("iso_year", "iso_week", "category_id", "area_id")
        .annotate(n=Count("pk"))
    )
    this_keys = set(keys)
    last_keys = {(y - 1, w) for y, w in keys if iso_monday(y - 1, w) is not None}
    per_week: dict[tuple, int] = {}
    per_category: dict[int, list[int]] = {}
    per_area: dict[int | None, list[int]] = {}
    for r in rows:
        key = (r["iso_year"], r["iso_week"])
        if key in this_keys:
            slot = 0
        elif key in last_keys:
            slot = 1
        else:
            continue
        per_week[key] = per_week.get(key, 0) + r["n"]
        per_category.setdefault(r["category_id"], [0, 0])[slot] += r["n"]
        per_area.setdefault(r["area_id"], [0, 0])[slot] += r["n"]
    result = WeekCounts()
    for (y, w), start in zip(keys, starts, strict=True):
        earlier = (y - 1, w) in last_keys
        result.weeks.append(
            {
                "year": y,
                "week": w,
                "start": start,
                "this": per_week.get((y, w), 0),
                "last": per_week.get((y - 1, w), 0) if earlier else None,
            }
        )
    mains: dict[int, list] = {}  # main category id -> [name, this, last]
    for c in (
        Category.objects.visible_to(user, VIEW)
        .filter(pk__in=list(per_category))
        .select_related("parent")
    ):
        main = c.parent or c
        entry = mains.setdefault(main.pk, [main.name, 0, 0])
        entry[1] += per_category[c.pk][0]
        entry[2] += per_category[c.pk][1]
    result.categories = sorted(
        ({"pk": pk, "name": v[0], "this": v[1], "last": v[2]} for pk, v in mains.items()),
        key=lambda d: (-d["this"], -d["last"], d["name"]),
    )
    areas = dict(
        core_selectors.areas_for(user, municipality)
        .filter(pk__in=[pk for pk in per_area if pk])
        .values_list("pk", "name")
    )
    result.areas = sorted(
        (
            {"pk": pk, "name": areas[pk], "this": v[0], "last": v[1]}
            for pk, v in per_area.items()
            if pk in areas
        ),
        key=lambda d: (-d["this"], -d["last"], d["name"]),
    )
    if None in per_area or any(pk not in areas for pk in per_area if pk):
        this = sum(v[0] for pk, v in per_area.items() if pk not in areas)
        last = sum(v[1] for pk, v in per_area.items() if pk not in areas)
        result.areas.append({"pk": None, "name": None, "this": this, "last": last})
    return result


def place_counts(
    user,
    municipality: Municipality,
    *,
    area: Area | None = None,
    forum: Forum | None = None,
    today: dt.date | None = None,
) -> dict:
    """Reports the user may see in ``area`` (placed in it, as the list's ``?area=``) or in
    ``forum`` (as ``?forum=``): this calendar year and the last 30 days (today included),
    with the first day of each, as the list's ``date_from`` takes it. One aggregate query."""
    today = today or timezone.localdate()
    year_from = today.replace(month=1, day=1)
    days_from = today - dt.timedelta(days=29)
    qs = _counted(user, municipality)
    if area is not None:
        qs = in_areas(qs, area.municipality_id, [area.pk])
    if forum is not None:
        qs = in_forum(qs, forum)
    since_year, since_days = day_start(year_from), day_start(days_from)
    counts = qs.filter(occurred_from__gte=min(since_year, since_days)).aggregate(
        year=Count("pk", filter=Q(occurred_from__gte=since_year)),
        days=Count("pk", filter=Q(occurred_from__gte=since_days)),
    )
    return {
        "year": counts["year"],
        "year_from": year_from,
        "days": counts["days"],
        "days_from": days_from,
    }


# A queued import that no worker has picked up for this long says so on its page and on the
# start page.
UNCLAIMED_AFTER = dt.timedelta(minutes=1)
ATTENTION_DAYS = 30


def imports_needing_attention(
    user, municipality: Municipality, *, limit: int = 10, now: dt.datetime | None = None
) -> list[dict]:
    """The municipality's imports of the last :data:`ATTENTION_DAYS` days that need someone:
    failed, finished with row errors, or queued and not picked up by any worker (none alive)
    for :data:`UNCLAIMED_AFTER`. ``{"job", "reason"}``, newest first; empty for a user who may
    not see imports. One query, and the task queue's state only when a job waits."""
    now = now or timezone.now()
    jobs = list(
        ImportJob.objects.visible_to(user, VIEW)
        .filter(municipality=municipality, created_at__gte=now - dt.timedelta(days=ATTENTION_DAYS))
        .exclude(kind=ImportJob.Kind.PLACEMENT)  # shown on the areas page
        .filter(
            Q(state=ImportJob.State.FAILED)
            | Q(state=ImportJob.State.DONE, error_count__gt=0)
            | Q(state=ImportJob.State.PENDING, updated_at__lt=now - UNCLAIMED_AFTER)
        )
        .order_by("-created_at")[: limit * 3]
    )
    waiting = [
        j
        for j in jobs
        if j.state == ImportJob.State.PENDING
        and not j.options.get("cli")
        and (j.kind == ImportJob.Kind.POLICE or j.options.get("started"))
    ]
    worker_alive = bool(waiting) and health.queue_state().get("worker") == "alive"
    out = []
    for job in jobs:
        if job.state == ImportJob.State.FAILED:
            reason = "failed"
        elif job.state == ImportJob.State.DONE:
            reason = "errors"
        elif job in waiting and not worker_alive:
            reason = "no_worker"
        else:
            continue
        out.append({"job": job, "reason": reason})
    return out[:limit]


# Runs that place incidents in a layer again are shown on the areas page while they run and
# for this long after.
PLACEMENT_SHOWN_FOR = dt.timedelta(hours=1)


def placement_runs(user, municipality: Municipality, *, now=None) -> list[ImportJob]:
    """The latest run per layer that places the municipality's incidents in it again, if it is
    active or ended within :data:`PLACEMENT_SHOWN_FOR`; for those who may see its imports."""
    now = now or timezone.now()
    active = (ImportJob.State.PENDING, ImportJob.State.RUNNING)
    runs = (
        ImportJob.objects.visible_to(user, VIEW)
        .filter(municipality=municipality, kind=ImportJob.Kind.PLACEMENT)
        .filter(Q(state__in=active) | Q(updated_at__gte=now - PLACEMENT_SHOWN_FOR))
        .order_by("-created_at", "-pk")[:50]
    )
    latest: dict = {}
    for run in runs:
        latest.setdefault(run.options.get("layer"), run)
    return sorted(latest.values(), key=lambda r: r.file_name)
