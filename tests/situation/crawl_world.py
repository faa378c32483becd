"""A world of small counts for the audience crawl (tests/situation/test_audience_crawl.py):
the seeded incidents of test_figures plus three more areas of the layer and a quarter where
most categories, areas, sources and hours hold 1–4 events and a few hold more, so primary and
complementary suppression both act; and one published report per protected audience."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from brygga.areastats.models import StatValue
from brygga.audit.context import acting_as
from brygga.incidents.models import Source, Status
from brygga.incidents.services.rollups import rebuild_counts
from brygga.situation import services
from brygga.situation.models import SECTION_KEYS
from brygga.situation.snapshot import build_snapshot

from ..core.factories import AreaFactory
from ..incidents.factories import IncidentFactory, category
from .test_figures import make_incidents

PERIOD = "2025-K2"
OTHER_TEXT = "HEMLIGOBSERVATION langning vid skolan"
# (area key, events in the quarter, population): small and larger areas
EXTRA_AREAS = [("skonsberg", 2, 1800), ("haga", 3, 900), ("bosvedjan", 11, 3100)]
# (category code, events in the quarter in Centrum): one large, the rest small
EXTRA_EVENTS = [
    ("klotter", 9),
    ("brand-container", 1),
    ("klotter-stotande", 2),
    ("nedskrapning", 2),
    ("narkotika", 1),
    ("ordningsstorning", 4),
]
# incidents with a point (lat, lon) in Centrum: their coordinates must show nowhere
POINTS = [(62.39117, 17.30523), (62.38841, 17.31377)]


def build(world) -> None:
    make_incidents(world)
    layer = world.areas["centrum"].layer
    with acting_as(label="test setup"):
        for key, n, population in EXTRA_AREAS:
            area = AreaFactory(municipality=world.sundsvall, layer=layer, name=key.capitalize())
            world.areas[key] = area
            StatValue.objects.create(
                municipality=world.sundsvall,
                area=area,
                year=2024,
                series="Folkmängd, totalt",
                value=Decimal(population),
                unit="antal",
            )
            for i in range(n):
                IncidentFactory(
                    municipality=world.sundsvall,
                    category=category("skadegorelse"),
                    occurred_from=dt.datetime(2025, 4, 3 + 2 * i, 8 + i, tzinfo=dt.UTC),
                    count=1,
                    source=Source.MANUAL,
                    status=Status.REVIEWED,
                    reporting_organisation=world.orgs["field"],
                    area=area,
                )
        for code, n in EXTRA_EVENTS:
            for i in range(n):
                IncidentFactory(
                    municipality=world.sundsvall,
                    category=category(code),
                    occurred_from=dt.datetime(2025, 5, 1 + i, 21, tzinfo=dt.UTC),
                    count=1,
                    source=Source.OPEN311 if code == "brand-container" else Source.MANUAL,
                    status=Status.REVIEWED,
                    reporting_organisation=world.orgs["field"],
                    area=world.areas["centrum"],
                )
        for i, (lat, lon) in enumerate(POINTS):
            IncidentFactory(
                municipality=world.sundsvall,
                category=category("skadegorelse-fonster"),
                occurred_from=dt.datetime(2025, 6, 3 + i, 13, tzinfo=dt.UTC),
                count=1,
                source=Source.MANUAL,
                status=Status.REVIEWED,
                reporting_organisation=world.orgs["field"],
                area=world.areas["centrum"],
                lat=lat,
                lon=lon,
            )
    rebuild_counts(municipality_id=world.sundsvall.pk)


def texts() -> dict[str, str]:
    out = {key: f"Analytikerns text om {key}." for key in SECTION_KEYS}
    out["other"] = OTHER_TEXT
    return out


def publish(world, audience: str, title: str | None = None):
    coordinator = world.users["coordinator"]
    report = services.report_create(
        actor=coordinator,
        municipality=world.sundsvall,
        title=title or f"Lägesbild {PERIOD} ({audience})",
        period_start=dt.date(2025, 4, 1),
        period_end=dt.date(2025, 6, 30),
        scope={"period": PERIOD, "lager": str(world.areas["centrum"].layer_id)},
        forum=world.forums["safety"],
        audience=audience,
        texts=texts(),
    )
    return services.report_publish(
        actor=coordinator, report=report, snapshot=build_snapshot(coordinator, report)
    )


def unprotected(world, report) -> dict:
    """The same report's snapshot as the partners see it (every count): the truth the
    checker compares the protected tables with."""
    from brygga.situation.models import Audience

    twin = services.report_create(
        actor=world.users["coordinator"],
        municipality=world.sundsvall,
        title=report.title,
        period_start=report.period_start,
        period_end=report.period_end,
        scope=report.scope,
        forum=world.forums["safety"],
        audience=Audience.PARTNERS,
        texts=texts(),
    )
    return build_snapshot(world.users["coordinator"], twin)
