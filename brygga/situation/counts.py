"""The lägesbild's counts, read from the rollups through the resolver: ``IncidentDayCount``
(per day) for every count not grouped by hour, ``IncidentCount`` (per hour) for those that are.

Every count is of *events* (the sum of ``Incident.count``: a report of "three break-ins" counts
three) of the incidents the lägesbild counts (``brygga.incidents.rollup_models.COUNTED``), by
local day and hour. A scope without areas reads the municipality's own rows (every counted
incident, placed or not); a scope with areas, or a breakdown by area, reads the rows of the
scope's layer (the incidents placed in those areas).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from django.db.models import F, Sum
from django.db.models.functions import Coalesce

from brygga.core.access import VIEW, resolver_for
from brygga.incidents.models import IncidentCount, IncidentDayCount

from .scope import Period, Scope

# what a row can be grouped by, and the rollup's field for it
GROUPS = {
    "day": "day",
    "hour": "hour",
    "category": "category_id",
    "main_category": "main_category",
    "stream": "stream",
    "area": "area_id",
}


def rows_for(
    user,
    scope: Scope,
    *,
    period: Period | None = None,
    by_area: bool = False,
    hourly: bool = False,
):
    """The rollup rows of the scope (and period, default the scope's) that ``user`` may read:
    the day rows, or with ``hourly`` the hourly ones."""
    period = period or scope.period
    model = IncidentCount if hourly else IncidentDayCount
    qs = (
        resolver_for(user)
        .restrict(model.objects.all(), VIEW)
        .filter(municipality_id=scope.municipality.pk, day__gte=period.start, day__lte=period.end)
    )
    if scope.areas:
        qs = qs.filter(layer_id=scope.layer.pk, area_id__in=scope.area_ids)
    elif by_area:
        if scope.layer is None:
            return qs.none()
        qs = qs.filter(layer_id=scope.layer.pk)
    else:
        qs = qs.filter(layer_id__isnull=True)
    if scope.category_ids is not None:
        qs = qs.filter(category_id__in=scope.category_ids)
    if scope.streams:
        qs = qs.filter(stream__in=scope.streams)
    return qs


def counts(
    user, scope: Scope, by: Sequence[str] = (), *, period: Period | None = None
) -> list[dict]:
    """Events (and incidents) grouped by ``by`` (keys of :data:`GROUPS`); one dict per group
    with the group's values under their names plus ``events`` and ``incidents``."""
    unknown = set(by) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown groups: {sorted(unknown)}")
    qs = rows_for(user, scope, period=period, by_area="area" in by, hourly="hour" in by)
    if "main_category" in by:
        qs = qs.annotate(main_category=Coalesce(F("category__parent_id"), F("category_id")))
    fields = [GROUPS[b] for b in by]
    out = []
    for r in (
        qs.values(*fields)
        .annotate(events=Sum("events"), incidents=Sum("incidents"))
        .order_by(*fields)
    ):
        out.append(
            {**{b: r[GROUPS[b]] for b in by}, "events": r["events"], "incidents": r["incidents"]}
        )
    return out


def total(user, scope: Scope, *, period: Period | None = None) -> int:
    """The scope's events in the period (default the scope's)."""
    r = rows_for(user, scope, period=period).aggregate(n=Sum("events"))
    return int(r["n"] or 0)


# the daily series read so far within :func:`shared_daily`: series key → (start, end, events)
_held: ContextVar[dict | None] = ContextVar("situation_daily_series", default=None)


@contextmanager
def shared_daily() -> Iterator[None]:
    """Within it, :func:`daily` serves a series already read for the same reader and scope
    (and a span that covers the days asked for) instead of reading it again: the dashboard
    reads the scope's daily series once for the trend, the forecast and the month profile."""
    token = _held.set({})
    try:
        yield
    finally:
        _held.reset(token)


def _series_key(user, scope: Scope) -> tuple:
    """What a daily series depends on besides its days: the reader and the scope's filters."""
    return (
        getattr(user, "pk", None),
        scope.municipality.pk,
        scope.layer.pk if scope.areas else None,
        tuple(sorted(scope.area_ids)),
        None if scope.category_ids is None else tuple(sorted(scope.category_ids)),
        tuple(sorted(scope.streams)),
    )


def daily(user, scope: Scope, start: dt.date, end: dt.date) -> np.ndarray:
    """Events per day from ``start`` to ``end`` (both included), zeros filled in."""
    held = _held.get()
    key = _series_key(user, scope) if held is not None else None
    if held is not None and key in held:
        first, last, events = held[key]
        if first <= start and end <= last:
            i = (start - first).days
            return events[i : i + (end - start).days + 1].copy()
    period = Period(start, end)
    out = np.zeros(period.days, dtype=np.int64)
    for r in counts(user, scope, ("day",), period=period):
        out[(r["day"] - start).days] = r["events"]
    if held is not None and (key not in held or period.days > held[key][2].size):
        held[key] = (start, end, out.copy())
    return out
