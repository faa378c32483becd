"""The action plan pages: the landing page with its counts, a new plan from a published
lägesbild (the report's prioritised areas as checkboxes), the plan page with each problem's
cause analysis and measures, problems, measures (the coordinator's whole form, the owner
organisation's short one) and adoption; bad input comes back as the form with its message
(status 400), never a 500."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from brygga.plans.models import ActionPlan, Measure

from . import factories
from .test_plans_services import published_report

pytestmark = pytest.mark.django_db


def url(name, world, *args):
    return reverse(f"plans:{name}", args=[world.sundsvall.code, *args])


@pytest.fixture
def plan(world):
    p = factories.plan(
        world.sundsvall, forum=world.forums["safety"], report=published_report(world)
    )
    problem = factories.problem(p)
    factories.measure(p, world.orgs["field"], problem=problem, status="ongoing")
    factories.measure(p, world.orgs["police"], title="Skolkontakt", status="planned")
    return p


def test_the_index_lists_the_plans_with_their_counts(world, client_for, plan):
    body = client_for("coordinator").get(url("index", world)).content.decode()
    assert f'data-plan="{plan.pk}"' in body
    assert 'data-problems="1"' in body and 'data-measures="2"' in body
    assert 'data-status="ongoing" data-count="1"' in body
    assert 'id="plan-new"' in body
    analyst = client_for("analyst").get(url("index", world)).content.decode()
    assert f'data-plan="{plan.pk}"' in analyst and 'id="plan-new"' not in analyst
    viewer = client_for("viewer").get(url("index", world)).content.decode()
    assert f'data-plan="{plan.pk}"' not in viewer and 'id="plans-none"' in viewer


def test_the_module_appears_in_the_main_navigation(world, client_for):
    body = client_for("viewer").get(reverse("core:municipality_detail", args=["2281"])).content
    assert url("index", world).encode() in body


def test_a_new_plan_offers_only_published_reports_of_the_municipality(world, client_for):
    published = published_report(world, title="Publicerad")
    draft = published_report(world, draft=True, title="Utkast")
    foreign = published_report(world, world.timra, title="Timrås")
    body = client_for("coordinator").get(url("plan_new", world)).content.decode()
    options = re.findall(r'<option value="(\d+)"', body)
    assert options == [str(published.pk)]
    for bad in (draft, foreign):
        response = client_for("coordinator").get(url("plan_new", world) + f"?rapport={bad.pk}")
        assert response.status_code == 400


def test_without_a_published_report_the_page_says_so(world, client_for):
    body = client_for("coordinator").get(url("plan_new", world)).content.decode()
    assert 'id="plan-no-report"' in body


def test_a_plan_is_created_with_the_areas_taken_over(world, client_for):
    report = published_report(world)
    c = client_for("coordinator")
    page = c.get(url("plan_new", world) + f"?rapport={report.pk}").content.decode()
    assert page.count('name="take_over"') == 2
    response = c.post(
        url("plan_new", world),
        {
            "rapport": report.pk,
            "title": "Åtgärdsplan 2025–2026",
            "forum": world.forums["safety"].pk,
            "period_start": "2025-01-01",
            "period_end": "2026-12-31",
            "take_over": ["1"],
            "extra_problems": "Klotter vid skolor\n",
        },
    )
    plan = ActionPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("plan_detail", world, plan.pk)
    assert plan.report == report and plan.forum == world.forums["safety"]
    ranks = list(plan.problems.values_list("rank", "area"))
    assert ranks == [(1, world.areas["centrum"].pk), (2, None)]
    detail = c.get(response["Location"]).content.decode()
    assert detail.count('class="panel plan-problem"') == 2
    assert 'data-analysed="0"' in detail


def test_a_plan_period_that_ends_before_it_starts_comes_back_with_the_message(world, client_for):
    report = published_report(world)
    response = client_for("coordinator").post(
        url("plan_new", world),
        {
            "rapport": report.pk,
            "title": "Fel",
            "period_start": "2026-01-01",
            "period_end": "2025-01-01",
        },
    )
    assert response.status_code == 400
    assert 'id="id_period_end_error"' in response.content.decode()
    assert not ActionPlan.objects.exists()


def test_problem_cause_analysis_from_the_form(world, client_for, plan):
    problem = plan.problems.get()
    c = client_for("coordinator")
    response = c.post(
        url("problem_edit", world, problem.pk),
        {
            "title": problem.title,
            "rank": "1",
            "offender": "Unga vuxna",
            "place": "Torget",
            "victim": "Boende",
            "risk_factors": "",
            "protective_factors": "Fältassistenter",
        },
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.has_cause_analysis
    detail = c.get(url("plan_detail", world, plan.pk)).content.decode()
    assert f'id="problem-{problem.pk}"' in detail and 'data-analysed="1"' in detail
    # a second problem with the same title is refused on the form
    response = c.post(url("problem_new", world, plan.pk), {"title": problem.title.upper()})
    assert response.status_code == 400
    assert 'id="id_title_error"' in response.content.decode()


def _measure_data(world, **kw):
    data = {
        "title": "Trygghetsvandringar",
        "owner": world.orgs["housing"].pk,
        "level": "universal",
        "start": "2025-04-01",
        "end": "2025-10-31",
        "status": "planned",
    }
    return {**data, **kw}


def test_a_measure_outside_the_plans_period_is_refused_on_the_form(world, client_for, plan):
    c = client_for("coordinator")
    response = c.post(url("measure_new", world, plan.pk), _measure_data(world, end="2027-05-01"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_end_error"' in body and "2026-12-31" in body
    response = c.post(url("measure_new", world, plan.pk), _measure_data(world, end="2025-01-02"))
    assert response.status_code == 400 and 'id="id_end_error"' in response.content.decode()
    response = c.post(url("measure_new", world, plan.pk), _measure_data(world, start="2025-13-01"))
    assert response.status_code == 400 and 'id="id_start_error"' in response.content.decode()
    assert Measure.objects.filter(plan=plan).count() == 2


def test_a_measure_is_added_and_shown(world, client_for, plan):
    c = client_for("coordinator")
    response = c.post(
        url("measure_new", world, plan.pk),
        _measure_data(
            world,
            problem=plan.problems.get().pk,
            partners=[world.orgs["police"].pk],
            areas=[world.areas["centrum"].pk],
        ),
    )
    measure = Measure.objects.get(title="Trygghetsvandringar")
    assert response["Location"] == url("measure_detail", world, measure.pk)
    body = c.get(response["Location"]).content.decode()
    assert f'data-owner="{world.orgs["housing"].pk}"' in body
    assert 'data-status="planned"' in body
    assert [o.pk for o in measure.partners.all()] == [world.orgs["police"].pk]


def test_the_owner_organisations_reporter_changes_status_only(world, client_for, plan):
    measure = Measure.objects.get(owner=world.orgs["field"])
    c = client_for("reporter")
    page = c.get(url("measure_edit", world, measure.pk)).content.decode()
    assert 'name="status"' in page and 'name="owner"' not in page
    response = c.post(
        url("measure_edit", world, measure.pk),
        {"status": "done", "resources": "Två fältassistenter", "description": ""},
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.status == "done" and measure.owner == world.orgs["field"]
    coordinator = client_for("coordinator").get(url("measure_edit", world, measure.pk))
    assert 'name="owner"' in coordinator.content.decode()


def test_the_measure_page_lists_what_the_work_part_records(world, client_for, plan):
    measure = Measure.objects.get(owner=world.orgs["field"])
    factories.indicator(world.sundsvall, measure=measure, name="Händelser på torget")
    factories.operation(world.sundsvall, measure=measure, title="Fältarbete fredag")
    body = client_for("reporter").get(url("measure_detail", world, measure.pk)).content.decode()
    assert 'id="measure-indicators"' in body and "Händelser på torget" in body
    assert 'id="measure-operations"' in body and "Fältarbete fredag" in body


def test_adoption(world, client_for, plan):
    c = client_for("coordinator")
    response = c.post(url("plan_adopt", world, plan.pk), {"adopted_on": "2025-02-10"})
    assert response.status_code == 400
    assert 'id="id_adopted_by_error"' in response.content.decode()
    response = c.post(
        url("plan_adopt", world, plan.pk),
        {"adopted_on": "2025-02-10", "adopted_by": "Kommunstyrelsen"},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.state == "adopted" and plan.revise_by == dt.date(2027, 2, 10)
    body = c.get(url("plan_detail", world, plan.pk)).content.decode()
    assert 'data-state="adopted"' in body and 'id="plan-adopt"' not in body
    # adopting again only leads back to the plan
    again = c.get(url("plan_adopt", world, plan.pk))
    assert again.status_code == 302


def test_plan_edit_refuses_shrinking_past_measures(world, client_for, plan):
    response = client_for("coordinator").post(
        url("plan_edit", world, plan.pk),
        {"title": plan.title, "period_start": "2025-06-01", "period_end": "2026-12-31"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_period_start_error"' in body
    plan.refresh_from_db()
    assert plan.period_start == dt.date(2025, 1, 1)
