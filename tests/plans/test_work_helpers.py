"""Data for the work part's tests (operations, indicators, evaluations): incidents in the world's
areas with the rollup kept current, and direct counts straight from ``Incident`` rows to compare
the computed figures with. (No tests here: the other ``test_work_*``, ``test_indicators_*`` and
``test_evaluations_*`` modules import these.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import Q

from brygga.areastats.models import StatValue
from brygga.audit.context import acting_as
from brygga.incidents.models import Category, Incident, IncidentPlacement, Source, Status
from brygga.incidents.rollup_models import COUNTED, stream_of
from brygga.incidents.services.rollups import rebuild_counts

from ..incidents.factories import IncidentFactory, category
from . import factories as f

ZONE = ZoneInfo("Europe/Stockholm")
CODES = ["skadegorelse-fonster", "skadegorelse", "klotter", "klotter-stotande", "brand-container"]
SOURCES = [Source.MANUAL, Source.API, Source.POLICE, Source.IMPORT, Source.OPEN311]
POPULATION = {("centrum", 2024): 2500, ("centrum", 2025): 2600, ("nacksta", 2024): 4000}


def make_incidents(world, n: int = 240, seed: int = 7, start=(2024, 1, 1), end=(2026, 1, 1)):
    """Incidents of every source and category in Centrum, Nacksta or no area, a few of which
    are not counted (deleted, rejected); then the rollup rebuilt. Plus population figures."""
    rng = np.random.default_rng(seed)
    areas = [world.areas["centrum"], world.areas["nacksta"], None]
    t0 = dt.datetime(*start, tzinfo=ZONE).timestamp()
    t1 = dt.datetime(*end, tzinfo=ZONE).timestamp()
    with acting_as(label="test setup"):
        for i in range(n):
            source = SOURCES[int(rng.integers(len(SOURCES)))]
            kw = {
                "municipality": world.sundsvall,
                "category": category(CODES[int(rng.integers(len(CODES)))]),
                "occurred_from": dt.datetime.fromtimestamp(float(rng.uniform(t0, t1)), tz=dt.UTC),
                "count": int(rng.integers(1, 4)),
                "source": source,
                "source_id": f"w-{seed}-{i}",
                "area": areas[int(rng.integers(3))],
                "status": Status.REVIEWED,
                "reporting_organisation": None if source == Source.POLICE else world.orgs["field"],
                "counted": False,
            }
            r = rng.random()
            if r < 0.04:
                kw["deleted_at"] = dt.datetime.now(dt.UTC)
            elif r < 0.08:
                kw["status"] = Status.REJECTED
            IncidentFactory(**kw)
        for (key, year), value in POPULATION.items():
            StatValue.objects.create(
                municipality=world.sundsvall,
                area=world.areas[key],
                year=year,
                series="Folkmängd, totalt",
                value=Decimal(value),
                unit="antal",
            )
    rebuild_counts(municipality_id=world.sundsvall.pk)


def direct_events(
    world, start: dt.date, end: dt.date, *, areas=None, cats=None, stream=None
) -> int:
    """The counted events of local days ``start``–``end`` straight from the rows."""
    qs = Incident.objects.filter(COUNTED, municipality=world.sundsvall).filter(
        occurred_from__gte=dt.datetime.combine(start, dt.time.min, tzinfo=ZONE),
        occurred_from__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=ZONE),
    )
    if cats is not None:
        qs = qs.filter(Q(category__in=cats) | Q(category__parent__in=cats))
    if areas is not None:
        qs = qs.filter(
            pk__in=IncidentPlacement.objects.filter(area__in=areas).values("incident_id")
        )
    return sum(i.count for i in qs if stream is None or stream_of(i.source) == stream)


def plan_and_measure(world, **kw):
    p = f.plan(world.sundsvall, forum=world.forums["safety"])
    m = f.measure(p, world.orgs["field"], areas=[world.areas["centrum"]], **kw)
    return p, m


def main(code: str) -> Category:
    return category(code)
