"""The whole cycle in a real browser, as a coordinator (issue #16's first Done-when): a
published lägesbild → a citizen promise → an action plan with a problem taken over from the
report, its cause analysis and two measures (the first serving the promise) → an operation
logged → an indicator whose values are computed → an evaluation with a comparison area → a
meeting of the safety group with an action item → the report-back, issued, as PDF → the
promise marked fulfilled with its evidence → the promise on the public page. axe-core checks
every page visited."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.incidents.services.rollups import rebuild_counts
from brygga.plans.models import ActionPlan, CitizenPromise, Measure

from ..incidents.factories import IncidentFactory, category
from ..plans.test_plans_services import published_report

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
K = "/kommuner/2281"


def _incidents(world):
    """Klotter in Centrum (8 in February, 3 in September 2024) and Nacksta (4 and 5)."""
    with acting_as(label="test setup"):
        for month, n, area in (
            (2, 8, "centrum"),
            (9, 3, "centrum"),
            (2, 4, "nacksta"),
            (9, 5, "nacksta"),
        ):
            for i in range(n):
                IncidentFactory(
                    municipality=world.sundsvall,
                    category=category("klotter"),
                    occurred_from=dt.datetime(2024, month, 1 + i, 12, tzinfo=dt.UTC),
                    reporting_organisation=world.orgs["field"],
                    area=world.areas[area],
                    counted=False,
                )
    rebuild_counts(municipality_id=world.sundsvall.pk)


def test_the_whole_cycle(session_for, world):
    _incidents(world)
    report = published_report(world, title="Lägesbild 2024")
    centrum, nacksta = world.areas["centrum"], world.areas["nacksta"]
    s = session_for("coordinator")

    # a citizen promise (the measures will name it)
    s.goto(f"{K}/medborgarloften/")
    s.page.click("#promise-new")
    s.page.wait_for_url("**/medborgarloften/ny/")
    s.check()
    s.page.fill("#id_title", "Mindre klotter i centrum")
    s.page.fill("#id_text", "Vi lovar att klottret i centrum ska minska.")
    s.page.fill("#id_period_start", "2024-07-01")
    s.page.fill("#id_period_end", "2025-06-30")
    s.page.fill("#id_police_commitments", "Polisen följer upp varje anmälan.")
    s.page.fill("#id_municipality_commitments", "Kommunen sanerar inom ett dygn.")
    s.page.click("#promise-save")
    s.page.wait_for_url(re.compile(r"/medborgarloften/\d+/$"))
    s.check()
    promise = CitizenPromise.objects.get(title="Mindre klotter i centrum")

    # the plan, from the published lägesbild
    s.goto(f"{K}/planer/")
    s.check()
    s.page.click("#plan-new")
    s.page.wait_for_url("**/planer/ny/")
    s.check()
    s.page.select_option("#id_rapport", str(report.pk))
    s.page.click("#plan-report-next")
    s.page.wait_for_url(f"**/planer/ny/?rapport={report.pk}")
    s.check()
    s.page.fill("#id_title", "Åtgärdsplan 2024–2025")
    s.page.fill("#id_period_start", "2024-07-01")
    s.page.fill("#id_period_end", "2025-12-31")
    s.page.check("input[name=take_over][value='1']")  # Centrum
    s.page.click("#plan-create")
    s.page.wait_for_url(re.compile(r"/planer/\d+/$"))
    s.check()
    plan = ActionPlan.objects.get(title="Åtgärdsplan 2024–2025")
    assert plan.report_id == report.pk
    problem = plan.problems.get()

    # the cause analysis
    s.page.click(f"#problem-edit-{problem.pk}")
    s.page.wait_for_url(f"**/planer/problem/{problem.pk}/andra/")
    s.check()
    s.page.fill("#id_offender", "Ett fåtal unga klottrare")
    s.page.fill("#id_place", "Gångtunnlar och busshållplatser")
    s.page.fill("#id_victim", "Fastighetsägare och resenärer")
    s.page.fill("#id_risk_factors", "Mörka passager")
    s.page.fill("#id_protective_factors", "Snabb sanering")
    s.page.click("#problem-save")
    s.page.wait_for_url(re.compile(rf"/planer/{plan.pk}/"))
    s.check()
    assert s.page.locator(f"#problem-{problem.pk}").get_attribute("data-analysed") == "1"

    # two measures; the first serves the promise and works in Centrum
    for title, owner, promise_pk in (
        ("Snabb sanering och helgvandringar", world.orgs["field"].pk, promise.pk),
        ("Direktkontakt skola–polis", world.orgs["police"].pk, None),
    ):
        s.goto(f"{K}/planer/{plan.pk}/atgarder/ny/")
        s.check()
        s.page.fill("#id_title", title)
        s.page.select_option("#id_problem", str(problem.pk))
        s.page.select_option("#id_owner", str(owner))
        s.page.select_option("#id_level", "universal")
        s.page.fill("#id_start", "2024-07-01")
        s.page.fill("#id_end", "2025-06-30")
        s.page.check(f"input[name=areas][value='{centrum.pk}']")
        if promise_pk:
            s.page.select_option("#id_promise", str(promise_pk))
        s.page.click("#measure-save")
        s.page.wait_for_url(re.compile(r"/atgarder/\d+/$"))
        s.check()
    measure = Measure.objects.get(title="Snabb sanering och helgvandringar")
    assert plan.measures.count() == 2

    # an operation under the measure
    s.goto(f"{K}/insatser/?atgard={measure.pk}")
    s.check()
    s.page.click("#operation-new")
    s.page.wait_for_url("**/insatser/ny/**")
    s.check()
    s.page.select_option("#id_kind", "safety_walk")
    s.page.fill("#id_title", "Trygghetsvandring i tunnlarna")
    s.page.fill("#id_started_at", "2024-09-12T18:00")
    s.page.fill("#id_ended_at", "2024-09-12T21:00")
    s.page.select_option("#id_area", str(centrum.pk))
    s.page.fill("#id_hours", "9")
    s.page.click("#operation-save")
    s.page.wait_for_url(re.compile(r"/insatser/\d+/$"))
    s.check()

    # an indicator: its values are computed from the incidents
    s.goto(f"{K}/insatser/?atgard={measure.pk}")
    s.page.click("#indicator-new")
    s.page.wait_for_url(f"**/atgarder/{measure.pk}/indikatorer/ny/")
    s.check()
    s.page.fill("#id_name", "Klotter i centrum")
    s.page.select_option("#id_source", "incidents")
    s.page.select_option("#id_categories", [str(category("klotter").pk)])
    s.page.select_option("#id_areas", [str(centrum.pk)])
    s.page.select_option("#id_granularity", "quarter")
    s.page.fill("#id_baseline_start", "2024-01-01")
    s.page.fill("#id_baseline_end", "2024-06-30")
    s.page.fill("#id_target_value", "4")
    s.page.click("#indicator-save")
    s.page.wait_for_url(re.compile(r"/indikatorer/\d+/$"))
    s.check()
    assert (
        s.page.locator('#indicator-values tr[data-start="2024-01-01"]').get_attribute("data-count")
        == "8"
    )
    assert (
        s.page.locator('#indicator-values tr[data-start="2024-07-01"]').get_attribute("data-count")
        == "3"
    )

    # an evaluation with Nacksta as comparison area
    s.goto(f"{K}/insatser/?atgard={measure.pk}")
    s.page.click("#evaluation-new")
    s.page.wait_for_url(f"**/atgarder/{measure.pk}/utvarderingar/ny/")
    s.check()
    s.page.check(f"input[name=comparison_areas][value='{nacksta.pk}']")
    s.page.select_option("#id_categories", [str(category("klotter").pk)])
    s.page.fill("#id_before_start", "2024-01-01")
    s.page.fill("#id_before_end", "2024-06-30")
    s.page.fill("#id_after_start", "2024-07-01")
    s.page.fill("#id_after_end", "2024-12-31")
    s.page.click("#evaluation-save")
    s.page.wait_for_url(re.compile(r"/utvarderingar/\d+/$"))
    s.check()
    result = s.page.locator("#evaluation-result")
    assert result.get_attribute("data-design") == "did"
    assert float(result.get_attribute("data-rate-ratio")) < 1

    # a meeting of the safety group with an action item
    year = timezone.localdate().year + 1
    s.goto(f"{K}/moten/")
    s.page.click("#meeting-new")
    s.page.wait_for_url("**/moten/nytt/")
    s.check()
    s.page.select_option("#id_forum", str(world.forums["safety"].pk))
    s.page.fill("#id_title", "Trygghetsgruppen följer upp planen")
    s.page.fill("#id_starts_at", f"{year}-02-10T13:00")
    s.page.fill("#id_ends_at", f"{year}-02-10T15:00")
    s.page.click("#meeting-form button[type=submit]")
    s.page.wait_for_url(re.compile(r"/moten/\d+/$"))
    s.check()
    s.page.click("#action-item-new")
    s.page.wait_for_url("**/atgardspunkt/ny/")
    s.check()
    s.page.fill("#id_title", "Ta fram kostnaden för belysning i tunnlarna")
    s.page.select_option("#id_owner_organisation", str(world.orgs["housing"].pk))
    s.page.fill("#id_due_on", f"{year}-03-01")
    s.page.click("#action-item-form button[type=submit]")
    s.page.wait_for_url(re.compile(r"/moten/\d+/(#action-items)?$"))
    s.check()
    assert s.page.locator("#action-item-table tbody tr").count() == 1

    # the report-back of the second half of 2024, issued, as PDF
    s.goto(f"{K}/aterrapporter/")
    s.check()
    s.page.click(f"#fu-new-links a[href$='/planer/{plan.pk}/aterrapporter/ny/']")
    s.page.wait_for_url(f"**/planer/{plan.pk}/aterrapporter/ny/")
    s.check()
    s.page.fill("#id_title", "Återrapport hösten 2024")
    s.page.fill("#id_period_start", "2024-07-01")
    s.page.fill("#id_period_end", "2024-12-31")
    s.page.click("#fu-create")
    s.page.wait_for_url(re.compile(r"/aterrapporter/\d+/$"))
    s.check()
    row = s.page.locator(f"#fu-measures-table tr[data-measure='{measure.pk}']").inner_text()
    assert "9,0" in row
    assert s.page.locator("#fu-indicators-table tbody tr").count() == 1
    assert s.page.locator("#fu-evaluations .fu-evaluation").count() == 1
    report_url = s.page.url
    s.page.click("#fu-issue")
    s.page.wait_for_url("**/utfarda/")
    s.check()
    s.page.click("#fu-issue-confirm")
    s.page.wait_for_url(report_url)
    s.check()
    with s.page.expect_download() as download:
        s.page.click("#fu-pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # the promise: its evidence is the measure; published and marked fulfilled
    detail = f"{K}/medborgarloften/{promise.pk}/"
    s.goto(detail)
    assert s.page.locator(f"#promise-evidence tr[data-measure='{measure.pk}']").count() == 1
    s.page.click("#promise-publish")
    s.page.wait_for_url(f"**{detail}publicera/")
    s.check()
    s.page.click("#promise-publish-save")
    s.page.wait_for_url(f"**{detail}")
    s.check()
    s.page.click("#promise-status")
    s.page.wait_for_url(f"**{detail}status/")
    s.check()
    s.page.select_option("#id_status", "fulfilled")
    s.page.fill("#id_status_justification", "Klottret i centrum minskade mer än i Nacksta.")
    s.page.click("#promise-status-save")
    s.page.wait_for_url(f"**{detail}")
    s.check()

    # the public page, without signing in
    v = session_for()
    v.goto("/offentlig/kommuner/2281/medborgarloften/")
    card = v.page.locator(f"#public-promise-{promise.pk}")
    assert card.get_attribute("data-status") == "fulfilled"
    assert "Klottret i centrum minskade mer än i Nacksta." in card.inner_text()
    assert "Snabb sanering" not in v.page.inner_text("main")  # the measures are not public
