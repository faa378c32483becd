"""`brygga demo` loads a realistic history of incidents for Sundsvall: partner reports with the
patterns an analyst expects to find, and the real police events for Västernorrland."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from django.utils import timezone

from brygga.audit.models import AuditEvent
from brygga.core.demo import load_demo
from brygga.core.geo import BOUNDARY_TOLERANCE_M, boundary_sweref, wgs84_to_sweref
from brygga.core.models import Area, Municipality
from brygga.incidents import demo
from brygga.incidents.models import Incident

pytestmark = pytest.mark.django_db

COUNTY_MUNICIPALITIES = {"2281", "2262", "2260", "2280", "2282", "2283", "2284"}


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def _demo_reports():
    s = Municipality.objects.get(code="2281")
    return s, Incident.objects.filter(
        municipality=s, source="manual", source_id__startswith="demo-"
    )


def test_demo_loads_realistic_incidents_and_a_second_run_changes_nothing(capsys):
    call_command("demo", "--no-serve")
    assert "partnerrapporter" in capsys.readouterr().out
    s, qs = _demo_reports()
    rows = list(
        qs.values(
            "occurred_from",
            "occurred_to",
            "lat",
            "lon",
            "sweref_e",
            "sweref_n",
            "area__name",
            "category__code",
            "category__parent__code",
            "category__municipality",
            "reporting_organisation__name",
            "count",
            "description",
        )
    )
    assert 4000 <= len(rows) <= 8000
    times = [_local(r["occurred_from"]) for r in rows]
    today = date.today()
    assert min(times).date() <= today - timedelta(days=365)
    assert max(r["occurred_to"] or r["occurred_from"] for r in rows) <= timezone.now()
    months = {(t.year, t.month) for t in times}
    assert len(months) >= 13

    # reported by the demo partners in Sundsvall, in the national categories
    orgs = Counter(r["reporting_organisation__name"] for r in rows)
    assert {"Mitthem", "Fältassistenterna", "Trygghetsbolaget Norr (demo)", "Nackstaskolan"} <= set(
        orgs
    )
    housing = Counter(
        r["category__parent__code"] or r["category__code"]
        for r in rows
        if r["reporting_organisation__name"] == "Mitthem"
    )
    assert {"klotter", "skadegorelse", "nedskrapning"} <= {c for c, _ in housing.most_common(4)}
    assert all(r["description"] for r in rows)
    assert {r["category__municipality"] for r in rows} == {None}

    # weekend evenings (Fri/Sat 18–02) have far more reports per hour than weekday daytime
    weekend_evening = sum(
        1
        for t in times
        if (t.weekday() in (4, 5) and t.hour >= 18) or (t.weekday() in (5, 6) and t.hour < 2)
    )
    weekday_day = sum(1 for t in times if t.weekday() < 4 and 8 <= t.hour < 17)
    assert weekend_evening / 16 > 2 * (weekday_day / 36)

    # seasons: outdoor disorder peaks in summer; fires peak around new year and valborg
    outdoor = [
        t
        for t, r in zip(times, rows, strict=True)
        if r["category__code"] in ("grupp", "alkohol", "nedskrapning")
    ]
    first_day = min(times).date()
    days = [first_day + timedelta(days=i) for i in range((today - first_day).days)]

    def per_day(events, months):
        n_days = sum(1 for d in days if d.month in months)
        return sum(1 for t in events if t.month in months) / n_days

    assert per_day(outdoor, (6, 7, 8)) > 1.5 * per_day(outdoor, (12, 1, 2))
    fires = Counter(
        (t.month, t.day)
        for t, r in zip(times, rows, strict=True)
        if r["category__parent__code"] == "brand"
    )
    festive_days = [d for d in days if (d.month, d.day) in {(12, 31), (1, 1), (4, 30), (5, 1)}]
    festive = sum(fires[(d.month, d.day)] for d in festive_days) / len(festive_days)
    assert festive > 3 * sum(fires.values()) / len(days)

    # points: clustered, all inside Sundsvall, SWEREF matching WGS84, every report in an area
    points = [r for r in rows if r["lat"] is not None]
    assert 0.9 * len(rows) <= len(points) < len(rows)  # a few reports name only an area
    assert all(r["area__name"] for r in rows)
    e = np.array([r["sweref_e"] for r in points])
    n = np.array([r["sweref_n"] for r in points])
    boundary = boundary_sweref(s).buffer(BOUNDARY_TOLERANCE_M)
    assert shapely.contains_xy(boundary, e, n).all()
    lon = np.array([r["lon"] for r in points])
    lat = np.array([r["lat"] for r in points])
    assert np.allclose(wgs84_to_sweref(lon, lat), (e, n), atol=0.05)
    by_area = Counter(r["area__name"] for r in points)
    assert {a for a, _ in by_area.most_common(3)} <= {"Centrum", "Nacksta", "Skönsberg", "Bredsand"}
    assert by_area["Centrum"] > 5 * by_area["Sidsjö"]
    assert any(r["occurred_to"] for r in rows)
    assert any(r["count"] > 1 for r in rows)

    # the emerging hot spot in Granloholm: the last eight weeks against the eight before
    end = timezone.make_aware(datetime(today.year, today.month, today.day))
    granlo = [t for t, r in zip(times, rows, strict=True) if r["area__name"] == "Granloholm"]
    last = sum(1 for t in granlo if end - timedelta(weeks=8) <= t < end)
    before = sum(1 for t in granlo if end - timedelta(weeks=16) <= t < end - timedelta(weeks=8))
    assert last >= 2 * before and last - before >= 15

    # the real police events for Sundsvall and the county, summaries flagged
    police = Incident.objects.filter(source="police")
    assert police.filter(municipality=s).count() > 500
    county = police.filter(county_event=True, municipality=s)
    assert county.count() > 500
    assert set(police.values_list("municipality__code", flat=True)) <= COUNTY_MUNICIPALITIES
    assert set(police.values_list("county_id", flat=True)) == {s.county_id}
    summaries = police.filter(source_type__startswith="Sammanfattning")
    assert summaries.count() > 100
    assert not summaries.filter(is_summary=False).exists()

    # a second run adds nothing, not even an audit row
    def counts():
        return (
            Incident.objects.count(),
            qs.count(),
            police.count(),
            AuditEvent.objects.count(),
            AuditEvent.objects.filter(event_type="demo_incidents_loaded").count(),
        )

    first = counts()
    assert first[4] == 1
    call_command("demo", "--no-serve")
    assert counts() == first


def test_generation_is_deterministic_and_stable_from_day_to_day():
    load_demo()
    s = Municipality.objects.get(code="2281")
    areas = {a.name: a for a in Area.objects.filter(municipality=s)}
    pools = demo._pools(areas)
    day = date(2025, 3, 1)
    a, b = demo.generate(day, pools), demo.generate(day, pools)
    assert a == b
    later = {r.source_id: r for r in demo.generate(day + timedelta(days=7), pools)}
    common = [r for r in a if r.source_id in later and "-hs-" not in r.source_id]
    assert len(common) > 0.95 * len(a)
    assert all(later[r.source_id] == r for r in common)
    assert all(r.start < timezone.make_aware(datetime(2025, 3, 1)) for r in a)
