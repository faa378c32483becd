"""The synthetic partner reports: candidate points per place, the reports of each day (a
deterministic function of the date, see :func:`generate`) and their insertion. What the streams
are is in :mod:`.streams`, their texts in :mod:`.descriptions`."""

from __future__ import annotations

import time
import zlib
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import shapely
from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape

from brygga.audit.context import acting_as
from brygga.audit.services import log_action
from brygga.core.demo import URBAN
from brygga.core.geo import sweref_to_wgs84, to_sweref, wgs84_to_sweref
from brygga.core.models import Area
from brygga.incidents.location import area_at
from brygga.incidents.models import Incident, Source, Status

from .context import demo_context
from .descriptions import DESCRIPTIONS
from .streams import (
    HOTSPOT_AREA,
    HOTSPOT_CUM,
    HOTSPOT_STREAMS,
    PLACES,
    SCHOOL_SPOTS,
    SCHOOLS,
    SLOTS,
    SPOTS,
    STREAMS,
    Stream,
    season_factors,
)

SEED = 2281
DAYS = 548  # about 18 months
HOTSPOT_DAYS = 56  # the emerging hot spot rises during the last eight weeks
DEMO_PREFIX = "demo-"
POOL_SIZE = 1500  # candidate points per place; reports pick from them (repeat addresses)
AREA_ONLY_SHARE = 0.05
# The demo measure at Nacksta centrum (evening presence of the field workers and new lighting,
# brygga/plans/demo.py) starts MEASURE_DAYS before ``today``; from then on only MEASURE_KEEP of
# the reports there happen, so its evaluation shows a change against the other areas.
MEASURE_DAYS = 273
MEASURE_PLACE = "nacksta"
MEASURE_KEEP = 0.55
BATCH = 1000


@dataclass
class _Pool:
    label: str | None
    lon: np.ndarray
    lat: np.ndarray
    e: np.ndarray
    n: np.ndarray


def _pools(areas: dict[str, Area]) -> dict[str, _Pool]:
    """Candidate points per place, all inside a demo area (deterministic, independent of the
    date). The hot spot's points lie inside its area."""
    shapes = {name: to_sweref(shape(a.geometry)) for name, a in areas.items()}
    everywhere = shapely.union_all(list(shapes.values()))
    urban = shapely.union_all([shapes[n] for n in URBAN if n in shapes])
    for g in (everywhere, urban, shapes[HOTSPOT_AREA]):
        shapely.prepare(g)
    pools = {}
    for i, (key, (label, lon, lat, sd)) in enumerate(PLACES.items()):
        rng = np.random.default_rng([SEED, 1000 + i])
        if key == "urban":
            inside = urban
            x0, y0, x1, y1 = urban.bounds
            e = rng.uniform(x0, x1, POOL_SIZE * 6)
            n = rng.uniform(y0, y1, POOL_SIZE * 6)
        else:
            inside = shapes[HOTSPOT_AREA] if key == "granlo" else everywhere
            ce, cn = wgs84_to_sweref(lon, lat)
            e = rng.normal(ce, sd, POOL_SIZE * 2)
            n = rng.normal(cn, sd, POOL_SIZE * 2)
        keep = shapely.contains_xy(inside, e, n)
        e, n = e[keep][:POOL_SIZE], n[keep][:POOL_SIZE]
        plon, plat = sweref_to_wgs84(e, n)
        plon, plat = np.round(plon, 7), np.round(plat, 7)
        e, n = wgs84_to_sweref(plon, plat)  # as location.resolve() stores them
        pools[key] = _Pool(label, plon, plat, np.round(e, 2), np.round(n, 2))
    return pools


@dataclass
class _Row:
    source_id: str
    organisation: str
    category: str
    start: datetime
    end: datetime | None
    place: str
    index: int
    area_only: bool
    count: int
    description: str


def _make(u, sid: str, stream: Stream, day: date, place: str, pools, tz) -> _Row:
    """One report from nine uniform numbers ``u``: when, how many, where, which text. (The
    ninth, ``u[8]``, picked the place.)"""
    if u[0] < stream.interval_share:  # found in the morning: happened the evening or night before
        eve = day - timedelta(days=1)
        start = datetime(eve.year, eve.month, eve.day, 17 + int(u[1] * 6), tzinfo=tz)
        end = datetime(day.year, day.month, day.day, 6 + int(u[2] * 3), tzinfo=tz)
    else:
        wd, we, _dow = SLOTS[stream.timing]
        late = day.weekday() in (4, 5) or (day.month, day.day) in ((12, 31), (4, 30))
        slot = bisect(we if late else wd, u[1])
        start = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(
            hours=slot, minutes=5 * int(u[2] * 12)
        )  # wall-clock arithmetic: slots 24–29 are the next morning
        end = None
    count = 1
    if u[3] < stream.multi_share:
        count = 2 + int(u[4] * (stream.multi_max - 1))
    texts = DESCRIPTIONS[stream.category]
    return _Row(
        source_id=sid,
        organisation=stream.organisation,
        category=stream.category,
        start=start,
        end=end,
        place=place,
        index=int(u[5] * len(pools[place].lon)),
        area_only=bool(u[6] < AREA_ONLY_SHARE) and place != "granlo",
        count=count,
        description=texts[int(u[7] * len(texts))],
    )


def measure_start(today: date) -> date:
    """The first day of the demo measure at Nacksta centrum (``MEASURE_DAYS`` before today)."""
    return today - timedelta(days=MEASURE_DAYS)


def _kept(sid: str) -> bool:
    """Whether a report at the measure's place still happens after the measure started (a
    fixed share, decided by the report's id so that a re-run keeps the same ones)."""
    return zlib.crc32(sid.encode()) % 1000 < MEASURE_KEEP * 1000


def generate(today: date, pools: dict[str, _Pool]) -> list[_Row]:
    """The synthetic reports for the DAYS days before ``today``. Each day's reports depend only
    on that date (and, for the hot spot, on its distance to ``today``), so a run on a later
    day reproduces the days it shares with an earlier run."""
    tz = timezone.get_default_timezone()
    cutoff = datetime(today.year, today.month, today.day, tzinfo=tz)
    rates = np.array([s.rate for s in STREAMS])
    rows: list[_Row] = []
    for offset in range(DAYS, 0, -1):
        day = today - timedelta(days=offset)
        weekday = day.weekday()
        rng = np.random.default_rng([SEED, day.toordinal()])
        season = season_factors(day)
        factors = np.array([season[s.season] * SLOTS[s.timing][2][weekday] for s in STREAMS])
        counts = rng.poisson(rates * factors)
        uniforms = rng.random((int(counts.sum()), 9)).tolist()
        k = 0
        for stream, n in zip(STREAMS, counts.tolist(), strict=True):
            for _ in range(n):
                u = uniforms[k]
                k += 1
                sid = f"{DEMO_PREFIX}{day:%Y%m%d}-{k:03d}"
                place = stream.place(u[8])
                if place == MEASURE_PLACE and offset <= MEASURE_DAYS and not _kept(sid):
                    continue
                rows.append(_make(u, sid, stream, day, place, pools, tz))
        # the emerging hot spot: a trickle, then a rise over the last eight weeks
        hrng = np.random.default_rng([SEED, 7, day.toordinal()])
        rate = 0.01 if offset > HOTSPOT_DAYS else 0.3 + 0.9 * (1 - offset / HOTSPOT_DAYS)
        n = int(hrng.poisson(rate * SLOTS["evening"][2][weekday]))
        for j, u in enumerate(hrng.random((n, 9)).tolist(), start=1):
            stream = HOTSPOT_STREAMS[bisect(HOTSPOT_CUM, u[8])]
            sid = f"{DEMO_PREFIX}hs-{day:%Y%m%d}-{j:02d}"
            rows.append(_make(u, sid, stream, day, "granlo", pools, tz))
    return [r for r in rows if (r.end or r.start) < cutoff]


@transaction.atomic
def load_synthetic(*, today: date | None = None) -> dict:
    """Insert the generated partner reports that are not there yet."""
    t0 = time.monotonic()
    today = today or date.today()
    ctx = demo_context({s.organisation for s in STREAMS})
    sundsvall, all_areas, orgs = ctx.municipality, ctx.areas, ctx.organisations
    categories = ctx.categories

    pools = _pools(ctx.demo_areas)
    rows = generate(today, pools)
    demo_rows = Incident.objects.filter(
        municipality=sundsvall,
        source__in=(Source.MANUAL, Source.IMPORT),
        source_id__startswith=DEMO_PREFIX,
    )
    # Partners report in Brygga: a database loaded before the demo said so carries its demo
    # reports as an "imported file"; they become what they stand for.
    demo_rows.filter(source=Source.IMPORT).update(source=Source.MANUAL)
    existing = set(demo_rows.values_list("source_id", flat=True))
    review_before = timezone.now() - timedelta(days=14)
    area_cache: dict[tuple[str, int], Area | None] = {}
    new = []
    for r in rows:
        if r.source_id in existing:
            continue
        pool = pools[r.place]
        key = (r.place, r.index)
        if key not in area_cache:
            area_cache[key] = area_at(
                sundsvall, float(pool.lat[r.index]), float(pool.lon[r.index]), areas=all_areas
            )
        area = area_cache[key]
        label = pool.label or (area.name if area else "Sundsvall")
        spots = SPOTS
        if r.organisation in SCHOOLS:
            label, spots = r.organisation, SCHOOL_SPOTS
        spot = spots[r.index % len(spots)]
        point = not r.area_only
        new.append(
            Incident(
                municipality=sundsvall,
                county=sundsvall.county,
                category=categories[r.category],
                occurred_from=r.start,
                occurred_to=r.end,
                lat=float(pool.lat[r.index]) if point else None,
                lon=float(pool.lon[r.index]) if point else None,
                sweref_e=float(pool.e[r.index]) if point else None,
                sweref_n=float(pool.n[r.index]) if point else None,
                area=area,
                place_description=f"{label}, {spot}" if point else f"{label} (området)",
                description=r.description,
                count=r.count,
                reporting_organisation=orgs[r.organisation],
                source=Source.MANUAL,
                source_id=r.source_id,
                status=Status.REVIEWED if r.start < review_before else Status.NEW,
            )
        )
    Incident.objects.bulk_create(new, batch_size=BATCH)
    if new:
        with acting_as(label="brygga demo"):
            log_action(
                event_type="demo_incidents_loaded",
                subject=sundsvall,
                details={
                    "created": len(new),
                    "first": min(r.start for r in rows).date().isoformat(),
                    "last": max(r.start for r in rows).date().isoformat(),
                    "seed": SEED,
                },
            )
    return {
        "generated": len(rows),
        "created": len(new),
        "existing": len(rows) - len(new),
        "first": min(r.start for r in rows).date() if rows else None,
        "last": max(r.start for r in rows).date() if rows else None,
        "seconds": round(time.monotonic() - t0, 2),
    }
