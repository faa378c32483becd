"""The one writer of ``IncidentCount`` and ``IncidentDayCount`` (the lägesbild's rollups),
called in the transaction of every write that changes what they count.

A write names the municipality and the local days it touched (for an edit: the days before and
after); :func:`refresh_counts` deletes those days' rows and counts them again from the
incidents, grouped in the database, then sums the fresh hourly rows of those days into the day rows
(one ``INSERT … SELECT … GROUP BY``). Recounting whole days rather than adding and subtracting
keeps the rows equal to a direct count whatever a write did (an edit that moves an incident to
another day, category and area at once, a status that stops it being counted, a deletion, a
layer whose areas changed), at the cost of re-reading the day's incidents — a few hundred rows
for a write by hand, and for a bulk import the days it covered.

What is counted (``rollup_models.COUNTED``): incidents not deleted, not rejected, not a police
summary, not a county-level police event (no place in the municipality), and not a new public
tip (untrusted until reviewed). Days and hours are local (``TIME_ZONE``, Europe/Stockholm).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, Q, Sum, Value, When
from django.db.models.functions import ExtractHour, TruncDate

from ..models import Incident, IncidentCount, IncidentDayCount, IncidentPlacement, Stream
from ..rollup_models import COUNTED, SOURCE_STREAMS, counted_through, stream_of

BATCH = 5000
RANGES = 100  # day ranges per query


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(when: dt.datetime) -> dt.date:
    return when.astimezone(local_zone()).date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_zone())


def _runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Contiguous runs of days, as (first, last)."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _in_days(prefix: str, runs: list[tuple[dt.date, dt.date]]) -> Q:
    q = Q()
    for first, last in runs:
        q |= Q(
            **{
                f"{prefix}occurred_from__gte": day_start(first),
                f"{prefix}occurred_from__lt": day_start(last + dt.timedelta(days=1)),
            }
        )
    return q


def _stream(prefix: str) -> Case:
    """:func:`stream_of` in SQL."""
    return Case(
        *(
            When(**{f"{prefix}source": source}, then=Value(stream))
            for source, stream in SOURCE_STREAMS.items()
        ),
        default=Value(Stream.PARTNER),
    )


def _grouped(qs, prefix: str, extra: tuple[str, ...]):
    zone = local_zone()
    return (
        qs.annotate(
            r_day=TruncDate(f"{prefix}occurred_from", tzinfo=zone),
            r_hour=ExtractHour(f"{prefix}occurred_from", tzinfo=zone),
            r_stream=_stream(prefix),
        )
        .values(*extra, "r_day", "r_hour", f"{prefix}category_id", "r_stream")
        .annotate(r_incidents=Count("pk"), r_events=Sum(f"{prefix}count"))
        .order_by()
    )


def _grouped_here(qs, prefix: str, extra: tuple[str, ...]) -> list[dict]:
    """:func:`_grouped` done in Python, for SQLite: its local day and hour are a Python
    function called per row and per expression inside the query (about 6 s for a year of
    40,000 incidents), where reading the rows and grouping them here takes a tenth of that."""
    zone = local_zone()
    sums: dict[tuple, list[int]] = {}
    fields = (*extra, f"{prefix}occurred_from", f"{prefix}category_id", f"{prefix}source")
    for *where, when, category_id, source, count in qs.values_list(
        *fields, f"{prefix}count"
    ).order_by():
        at = when.astimezone(zone)
        key = (*where, at.date(), at.hour, category_id, stream_of(source))
        found = sums.setdefault(key, [0, 0])
        found[0] += 1
        found[1] += count
    out = []
    for (*where, day, hour, category_id, stream), (n, events) in sums.items():
        row = dict(zip(extra, where, strict=True))
        row.update(r_day=day, r_hour=hour, r_stream=stream, r_incidents=n, r_events=events)
        row[f"{prefix}category_id"] = category_id
        out.append(row)
    return out


def _group(qs, prefix: str, extra: tuple[str, ...]):
    if connection.vendor == "postgresql":
        return _grouped(qs, prefix, extra)
    return _grouped_here(qs, prefix, extra)


def _rows(municipality_id: int, grouped, prefix: str) -> list[IncidentCount]:
    return [
        IncidentCount(
            municipality_id=municipality_id,
            day=r["r_day"],
            hour=r["r_hour"],
            category_id=r[f"{prefix}category_id"],
            stream=r["r_stream"],
            layer_id=r.get("layer_id"),
            area_id=r.get("area_id"),
            incidents=r["r_incidents"],
            events=r["r_events"],
        )
        for r in grouped
    ]


def _count(municipality_id: int, runs, layer_ids: list[int] | None) -> list[IncidentCount]:
    rows: list[IncidentCount] = []
    if layer_ids is None:  # the municipality's totals
        qs = Incident.objects.filter(_in_days("", runs), COUNTED, municipality_id=municipality_id)
        rows += _rows(municipality_id, _group(qs, "", ()), "")
    placed = IncidentPlacement.objects.filter(
        _in_days("incident__", runs),
        counted_through("incident__"),
        municipality_id=municipality_id,
        incident__municipality_id=municipality_id,
    )
    if layer_ids is not None:
        placed = placed.filter(layer_id__in=layer_ids)
    rows += _rows(
        municipality_id, _group(placed, "incident__", ("layer_id", "area_id")), "incident__"
    )
    return rows


@transaction.atomic
def refresh_counts(
    *, municipality_id: int, days: Iterable[dt.date], layer_ids: Iterable[int] | None = None
) -> int:
    """Count ``days`` (local dates) of one municipality again: the municipality's total and
    every layer's rows, or with ``layer_ids`` only those layers' rows (a layer's areas changed;
    the totals did not). Returns how many rows were written."""
    runs = _runs(days)
    if not runs:
        return 0
    layers = None if layer_ids is None else list(layer_ids)
    written = 0
    for start in range(0, len(runs), RANGES):  # keep the OR of day ranges short
        chunk = runs[start : start + RANGES]
        stale = IncidentCount.objects.filter(municipality_id=municipality_id).filter(
            _day_ranges(chunk)
        )
        if layers is not None:
            stale = stale.filter(layer_id__in=layers)
        stale.delete()
        rows = _count(municipality_id, chunk, layers)
        IncidentCount.objects.bulk_create(rows, batch_size=BATCH)
        _sum_days(municipality_id, chunk, layers)
        written += len(rows)
    return written


def _sum_days(municipality_id: int, runs, layers: list[int] | None) -> None:
    """Write the day rows of ``runs`` (and ``layers``, or every layer and the totals) again
    from the hourly rows, in one grouped ``INSERT … SELECT`` (the same SQL on PostgreSQL,
    Citus — both tables are distributed by the municipality — and SQLite)."""
    IncidentDayCount.objects.filter(municipality_id=municipality_id).filter(
        _day_ranges(runs)
    ).filter(**({} if layers is None else {"layer_id__in": layers})).delete()
    if layers is not None and not layers:
        return
    days = " OR ".join("(day >= %s AND day <= %s)" for _ in runs)
    params: list = [municipality_id]
    for first, last in runs:
        params += [first, last]
    where_layers = ""
    if layers is not None:
        where_layers = " AND layer_id IN (" + ", ".join("%s" for _ in layers) + ")"
        params += layers
    columns = "municipality_id, day, category_id, stream, layer_id, area_id"
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(IncidentDayCount._meta.db_table)} ({columns}, incidents, events) "  # noqa: S608 (quoted table names, placeholders)
        f"SELECT {columns}, SUM(incidents), SUM(events) "
        f"FROM {quote(IncidentCount._meta.db_table)} "
        f"WHERE municipality_id = %s AND ({days}){where_layers} "
        f"GROUP BY {columns}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _day_ranges(runs) -> Q:
    q = Q()
    for first, last in runs:
        q |= Q(day__gte=first, day__lte=last)
    return q


def incident_days(incidents: Iterable[Incident]) -> dict[int, set[dt.date]]:
    """The local days of these incidents, per municipality (county-level rows left out)."""
    out: dict[int, set[dt.date]] = {}
    for i in incidents:
        if i.municipality_id is not None:
            out.setdefault(i.municipality_id, set()).add(local_day(i.occurred_from))
    return out


def days_of(qs) -> dict[int, set[dt.date]]:
    """The local days of the incidents of ``qs``, per municipality, counted in the database."""
    out: dict[int, set[dt.date]] = {}
    days = (
        qs.exclude(municipality_id=None)
        .annotate(r_day=TruncDate("occurred_from", tzinfo=local_zone()))
        .values_list("municipality_id", "r_day")
        .distinct()
        .order_by()
    )
    for m, day in days:
        out.setdefault(m, set()).add(day)
    return out


def refresh_days(days: dict[int, Iterable[dt.date]]) -> int:
    """:func:`refresh_counts` for several municipalities (``days_of`` / ``incident_days``)."""
    return sum(refresh_counts(municipality_id=m, days=d) for m, d in days.items())


def rebuild_counts(
    *, municipality_id: int, progress: Callable[[int, int], None] | None = None
) -> int:
    """Count every day of one municipality again (``brygga incident-counts --rebuild``, the
    migration that added the table); returns how many rows were written."""
    days = sorted(
        days_of(Incident.objects.filter(municipality_id=municipality_id)).get(municipality_id, ())
    )
    with transaction.atomic():
        IncidentCount.objects.filter(municipality_id=municipality_id).delete()
        IncidentDayCount.objects.filter(municipality_id=municipality_id).delete()
        written = 0
        for start in range(0, len(days), 366):
            written += refresh_counts(
                municipality_id=municipality_id, days=days[start : start + 366]
            )
            if progress:
                progress(min(start + 366, len(days)), len(days))
    return written


def _key(r: IncidentCount) -> tuple:
    return (r.day, r.hour, r.category_id, r.stream, r.layer_id, r.area_id)


def count_differences(*, municipality_id: int) -> list[dict]:
    """Where the stored counts of a municipality differ from the incidents counted now (empty
    when they agree): ``brygga incident-counts --check`` and the tests. The hourly rows are
    compared per hour, the day rows (``"hour": None``) with the same direct count summed per
    day. Nothing is written."""
    days = sorted(
        days_of(Incident.objects.filter(municipality_id=municipality_id)).get(municipality_id, ())
    )
    fresh: dict[tuple, tuple[int, int]] = {}
    for start in range(0, len(days), 366):
        for r in _count(municipality_id, _runs(days[start : start + 366]), None):
            fresh[_key(r)] = (r.incidents, r.events)
    stored: dict[tuple, tuple[int, int]] = {}
    for r in IncidentCount.objects.filter(municipality_id=municipality_id):
        _add(stored, _key(r), r)
    out = _differences(fresh, stored)
    fresh_days: dict[tuple, tuple[int, int]] = {}
    for (day, _hour, *rest), (a, b) in fresh.items():
        k = (day, None, *rest)
        x, y = fresh_days.get(k, (0, 0))
        fresh_days[k] = (x + a, y + b)
    stored_days: dict[tuple, tuple[int, int]] = {}
    for r in IncidentDayCount.objects.filter(municipality_id=municipality_id):
        _add(stored_days, (r.day, None, r.category_id, r.stream, r.layer_id, r.area_id), r)
    return out + _differences(fresh_days, stored_days)


def _add(into: dict[tuple, tuple[int, int]], k: tuple, r) -> None:
    a, b = into.get(k, (0, 0))
    into[k] = (a + r.incidents, b + r.events)


def _differences(fresh: dict, stored: dict) -> list[dict]:
    out = []
    for k in sorted(set(fresh) | set(stored), key=str):
        if fresh.get(k) != stored.get(k):
            day, hour, category, stream, layer, area = k
            out.append(
                {
                    "day": day.isoformat(),
                    "hour": hour,
                    "category": category,
                    "stream": stream,
                    "layer": layer,
                    "area": area,
                    "stored": stored.get(k),
                    "counted": fresh.get(k),
                }
            )
    return out
