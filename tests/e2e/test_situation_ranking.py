"""Priority areas in a real browser: the coordinator changes a weight, the order of the areas
changes and the address carries the weight; the method opens; axe-core checks every page."""

import datetime as dt
from decimal import Decimal

import pytest

from brygga.areastats.readers import ParsedStats, StatRow
from brygga.areastats.services import import_area_stats
from brygga.audit.context import acting_as
from brygga.incidents.services.rollups import day_start, rebuild_counts

from ..core.factories import AreaFactory
from ..incidents.factories import IncidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
URL = "/kommuner/2281/lagesbild/prioritering/"


def _order(s) -> list[str]:
    return s.page.locator("#ranking-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.area)"
    )


def test_changing_a_weight_changes_the_order(session_for, world):
    s_, c = world.sundsvall, world.users["coordinator"]
    with acting_as(label="test setup"):
        haga = AreaFactory(
            municipality=s_, name="Haga", layer=world.areas["centrum"].layer, geometry=None
        )
        areas = {"Centrum": world.areas["centrum"], "Nacksta": world.areas["nacksta"], "Haga": haga}
        # (2025, 2024): Nacksta most per inhabitant, Haga the largest increase
        for name, (now, before) in {
            "Centrum": (20, 10),
            "Nacksta": (20, 20),
            "Haga": (8, 2),
        }.items():
            for i in range(now):
                IncidentFactory(
                    municipality=s_,
                    area=areas[name],
                    occurred_from=day_start(dt.date(2025, 1 + i % 12, 5)) + dt.timedelta(hours=12),
                )
            for i in range(before):
                IncidentFactory(
                    municipality=s_,
                    area=areas[name],
                    occurred_from=day_start(dt.date(2024, 1 + i % 12, 5)) + dt.timedelta(hours=12),
                )
        rebuild_counts(municipality_id=s_.pk)
        parsed = ParsedStats(file_name="test", title="test", source="Test")
        for i, (name, pop) in enumerate({"Centrum": 2000, "Nacksta": 1000, "Haga": 4000}.items()):
            parsed.rows.append(
                StatRow(f"T{i}", name, 2025, "Folkmängd, totalt", "antal", Decimal(pop), i + 1, "A")
            )
        import_area_stats(
            actor=c,
            municipality=s_,
            parsed=parsed,
            known_areas={f"T{i}": areas[n] for i, n in enumerate(["Centrum", "Nacksta", "Haga"])},
        )
    s = session_for("coordinator")
    s.goto(f"{URL}?period=2025&vikt_trend=0&vikt_police=0&vikt_survey=0&vikt_context=0")
    assert _order(s) == ["Nacksta", "Centrum", "Haga"]
    assert s.page.locator("#ranking-table svg[role=img]").count() == 3
    first = s.page.locator("#ranking-table tbody tr").first.locator(".ranking-sentence")
    assert "Nacksta" in first.inner_text()
    # the coordinator weighs the change from the year before instead of the rate
    s.page.fill("#id_vikt_rate", "0")
    s.page.fill("#id_vikt_trend", "5")
    s.page.click("#ranking-submit")
    s.page.wait_for_url("**vikt_trend=5**")
    s.check()
    assert "vikt_rate=0" in s.page.url
    assert _order(s) == ["Haga", "Centrum", "Nacksta"]
    # the method is explained
    s.page.click("#ranking-method summary")
    assert s.page.locator("#ranking-factors").is_visible()
    s.check()
    # reset brings back the default weights
    s.page.click("#ranking-reset")
    s.page.wait_for_load_state("load")
    assert "vikt_" not in s.page.url
    assert s.page.input_value("#id_vikt_rate") == "3"
    s.check()
