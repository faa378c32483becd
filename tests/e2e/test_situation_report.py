"""The lägesbild document in a real browser: the coordinator drafts a report from a dashboard
view and writes the summary, a forum member (the reporter) comments on a section, the
coordinator publishes after the confirmation, and the published page shows the frozen figures
even after a new incident. axe-core checks every page."""

import datetime as dt
import re

import pytest

from brygga.audit.context import acting_as
from brygga.incidents.models import Incident
from brygga.incidents.rollup_models import COUNTED
from brygga.incidents.services.rollups import rebuild_counts
from brygga.situation.models import SituationReport

from ..incidents.factories import IncidentFactory, category

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/lagesbild/rapporter"


def _incidents(world, n, day):
    with acting_as(label="test setup"):
        for i in range(n):
            IncidentFactory(
                municipality=world.sundsvall,
                category=category("klotter"),
                occurred_from=dt.datetime(2025, 3, day, 8 + i % 10, tzinfo=dt.UTC),
                reporting_organisation=world.orgs["field"],
                area=world.areas["centrum"],
            )
    rebuild_counts(municipality_id=world.sundsvall.pk)


def test_draft_comment_publish(session_for, world):
    _incidents(world, 12, 5)
    direct = sum(
        i.count
        for i in Incident.objects.filter(COUNTED, municipality=world.sundsvall).filter(
            occurred_from__year=2025
        )
    )
    s = session_for("coordinator")
    s.goto(f"{BASE}/")
    s.check()
    s.page.click("#report-new")
    s.page.wait_for_url(f"**{BASE}/ny/")
    s.check()
    s.page.fill("#id_report-title", "Lägesbild 2025")
    s.page.fill("#id_report-period_start", "2025-01-01")
    s.page.fill("#id_report-period_end", "2025-12-31")
    s.page.select_option("#id_report-forum", str(world.forums["safety"].pk))
    s.page.click("#report-create")
    s.page.wait_for_url(re.compile(r"/rapporter/\d+/$"))
    s.check()
    report = SituationReport.objects.get(title="Lägesbild 2025")
    assert (
        s.page.locator("#section-summary").inner_text().replace("\u00a0", " ").count(f"{direct} ")
    )
    s.page.fill("#text-summary", "Klottret ökade i mars.")
    s.page.click("#section-summary .report-text-form button")
    s.page.wait_for_url(f"**{BASE}/{report.pk}/")
    assert "Klottret ökade i mars." in s.page.locator("#section-summary").inner_text()

    # the reporter is a member of the safety group: comments on the crime section
    r = session_for("reporter")
    r.goto(f"{BASE}/{report.pk}/")
    r.check()
    assert r.page.locator("#text-summary").count() == 0
    r.page.fill("#comment-crime", "Mest vid resecentrum.")
    r.page.click("#section-crime form button")
    r.page.wait_for_url(f"**{BASE}/{report.pk}/**")
    assert "Mest vid resecentrum." in r.page.locator("#section-crime").inner_text()

    # the coordinator marks it dealt with and publishes after the confirmation
    s.goto(f"{BASE}/{report.pk}/")
    s.page.click("#section-crime .report-comments button")
    s.page.wait_for_url(f"**{BASE}/{report.pk}/**")
    s.page.click("#report-publish")
    s.page.wait_for_url(f"**{BASE}/{report.pk}/publicera/")
    s.check()
    s.page.click("#publish-confirm")
    s.page.wait_for_url(f"**{BASE}/{report.pk}/")
    s.check()
    assert s.page.locator("#report-frozen").is_visible()
    headline = s.page.locator("#table-sammanfattning tbody tr").first.inner_text()
    assert str(direct) in headline

    # new incidents: the published page still shows what it showed
    _incidents(world, 6, 20)
    s.goto(f"{BASE}/{report.pk}/")
    assert s.page.locator("#table-sammanfattning tbody tr").first.inner_text() == headline
    assert "Klottret ökade i mars." in s.page.locator("#section-summary").inner_text()
