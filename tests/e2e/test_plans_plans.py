"""An action plan in a real browser: the coordinator starts a plan from a published
lägesbild, takes over its first prioritised area as a problem, fills the problem's cause
analysis, adds two measures (one refused first for lying outside the plan's period) and adopts
the plan. axe-core checks every page, the form with its error included."""

import re

import pytest

from brygga.plans.models import ActionPlan

from ..plans.test_plans_services import published_report

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/planer"


def _measure(s, title, owner_pk, *, start, end, problem_pk):
    s.page.fill("#id_title", title)
    s.page.select_option("#id_problem", str(problem_pk))
    s.page.select_option("#id_owner", str(owner_pk))
    s.page.select_option("#id_level", "selective")
    s.page.fill("#id_start", start)
    s.page.fill("#id_end", end)
    s.page.click("#measure-save")
    s.page.wait_for_load_state("load")


def test_coordinator_builds_and_adopts_a_plan(session_for, world):
    report = published_report(world, title="Lägesbild 2024")
    s = session_for("coordinator")
    s.goto(f"{BASE}/")
    s.page.click("#plan-new")
    s.page.wait_for_url(f"**{BASE}/ny/")
    s.check()
    s.page.select_option("#id_rapport", str(report.pk))
    s.page.click("#plan-report-next")
    s.page.wait_for_url(f"**{BASE}/ny/?rapport={report.pk}")
    s.check()
    assert s.page.locator("input[name=take_over]").count() == 2
    s.page.fill("#id_title", "Åtgärdsplan Centrum 2025–2026")
    s.page.check("input[name=take_over][value='1']")
    s.page.click("#plan-create")
    s.page.wait_for_url(re.compile(r"/planer/\d+/$"))
    s.check()
    plan = ActionPlan.objects.get(title="Åtgärdsplan Centrum 2025–2026")
    problem = plan.problems.get()
    assert problem.area == world.areas["centrum"]
    section = s.page.locator(f"#problem-{problem.pk}")
    assert section.get_attribute("data-analysed") == "0"

    # the cause analysis: the problem triangle and the factors
    s.page.click(f"#problem-edit-{problem.pk}")
    s.page.wait_for_url(f"**{BASE}/problem/{problem.pk}/andra/")
    s.check()
    s.page.fill("#id_offender", "Unga vuxna som säljer narkotika")
    s.page.fill("#id_place", "Torget och resecentrum, kvällar")
    s.page.fill("#id_victim", "Unga köpare och boende")
    s.page.fill("#id_risk_factors", "Skolfrånvaro, mörka passager")
    s.page.fill("#id_protective_factors", "Vuxennärvaro")
    s.page.click("#problem-save")
    s.page.wait_for_url(re.compile(rf"/planer/{plan.pk}/"))
    s.check()
    assert s.page.locator(f"#problem-{problem.pk}").get_attribute("data-analysed") == "1"

    # two measures; the first try lies outside the plan's period and is refused on the form
    s.page.click("#measure-new")
    s.page.wait_for_url(f"**{BASE}/{plan.pk}/atgarder/ny/")
    s.check()
    field = world.orgs["field"].pk
    _measure(
        s,
        "Fältassistent helgkvällar",
        field,
        start="2025-03-01",
        end="2027-06-30",
        problem_pk=problem.pk,
    )
    s.check()
    assert s.page.locator("#id_end_error").count() == 1
    assert "2026-12-31" in s.page.locator("#id_end_error").inner_text()
    s.page.fill("#id_end", "2026-06-30")
    s.page.click("#measure-save")
    s.page.wait_for_url(re.compile(r"/atgarder/\d+/$"))
    s.check()
    assert s.page.locator("#measure-owner").get_attribute("data-owner") == str(field)

    s.goto(f"{BASE}/{plan.pk}/atgarder/ny/")
    _measure(
        s,
        "Direktkontakt skola–polis",
        world.orgs["police"].pk,
        start="2025-08-15",
        end="2026-06-15",
        problem_pk=problem.pk,
    )
    s.page.wait_for_url(re.compile(r"/atgarder/\d+/$"))
    s.check()
    assert plan.measures.count() == 2

    # adoption
    s.goto(f"{BASE}/{plan.pk}/")
    assert s.page.locator(f"#measures-{problem.pk} li").count() == 2
    s.page.click("#plan-adopt")
    s.page.wait_for_url(f"**{BASE}/{plan.pk}/faststall/")
    s.check()
    s.page.fill("#id_adopted_on", "2025-02-10")
    s.page.fill("#id_adopted_by", "Kommunstyrelsen")
    s.page.click("#plan-adopt-submit")
    s.page.wait_for_url(re.compile(rf"/planer/{plan.pk}/$"))
    s.check()
    assert s.page.locator("#plan-state").get_attribute("data-state") == "adopted"
    assert s.page.locator("#plan-revise-by").inner_text() == "2027-02-10"
    plan.refresh_from_db()
    assert plan.state == "adopted" and str(plan.revise_by) == "2027-02-10"

    # the landing page counts the plan's problems and measures
    s.goto(f"{BASE}/")
    row = s.page.locator(f"tr[data-plan='{plan.pk}']")
    assert row.locator("[data-problems]").get_attribute("data-problems") == "1"
    assert row.locator("[data-measures]").get_attribute("data-measures") == "2"
