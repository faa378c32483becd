"""Who reads which action plan: the municipality's planners (analysts, coordinators,
administrators), the members of the plan's forum, and the organisations that own or take part
in one of its measures; everyone else in the municipality, and the outsider, reads none. The
report's prioritised areas come from its frozen snapshot."""

import pytest

from brygga.plans import selectors
from brygga.plans.models import ActionPlan

from . import factories
from .test_plans_services import published_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(world):
    s = world.sundsvall
    forum_plan = factories.plan(s, title="Forumets plan", forum=world.forums["safety"])
    own = factories.plan(s, title="Kommunens plan")
    owned = factories.plan(s, title="Socialtjänstens åtgärd")
    factories.measure(owned, world.orgs["social"])
    partner = factories.plan(s, title="Kommunledningen deltar")
    factories.measure(partner, world.orgs["housing"], partners=[world.orgs["kommun"]])
    factories.plan(world.timra, title="Timrås plan", forum=world.forums["timra"])
    return {"forum": forum_plan, "own": own, "owned": owned, "partner": partner}


def _titles(world, actor):
    return set(
        selectors.plans_for(world.users[actor], world.sundsvall).values_list("title", flat=True)
    )


def test_planners_read_every_plan_of_the_municipality(world, plans):
    every = {p.title for p in plans.values()}
    for actor in ("analyst", "coordinator", "municipal_admin"):
        assert _titles(world, actor) == every, actor


def test_forum_members_and_measure_organisations_read_their_plans(world, plans):
    # the reporter works at the field workers, a member of the safety group
    assert _titles(world, "reporter") == {"Forumets plan"}
    # the case worker's social services own a measure of one plan
    assert _titles(world, "case_worker") == {"Socialtjänstens åtgärd"}
    # the viewer's organisation takes part in a measure as a partner
    assert _titles(world, "viewer") == {"Kommunledningen deltar"}


def test_the_outsider_reads_no_plan_of_another_municipality(world, plans):
    assert _titles(world, "outsider") == set()
    mine = selectors.plans_for(world.users["outsider"], world.timra)
    assert list(mine.values_list("title", flat=True)) == ["Timrås plan"]


def test_counts_on_the_list_equal_the_rows(world, plans):
    plan = plans["forum"]
    factories.problem(plan)
    factories.problem(plan, title="Klotter")
    factories.measure(plan, world.orgs["field"], status="ongoing")
    factories.measure(plan, world.orgs["police"], title="Skolkontakt", status="done")
    row = selectors.plans_for(world.users["coordinator"], world.sundsvall).get(pk=plan.pk)
    assert (row.n_problems, row.n_measures, row.n_ongoing, row.n_done, row.n_planned) == (
        2,
        2,
        1,
        1,
        0,
    )


def test_a_member_reads_only_the_measures_of_plans_they_read(world, plans):
    measures = selectors.measures_for(world.users["case_worker"], world.sundsvall)
    assert {m.plan.title for m in measures} == {"Socialtjänstens åtgärd"}


def test_report_priorities_read_the_snapshot_in_rank_order(world):
    rows = [[2, "Nacksta", 0.5, "", 1, 0, 10], [1, "Centrum", 1.5, "Otrygghet", 9, 1, 10]]
    report = published_report(world, rows=rows)
    got = selectors.report_priorities(report)
    assert [(p["rank"], p["area"], p["drivers"]) for p in got] == [
        (1, "Centrum", "Otrygghet"),
        (2, "Nacksta", ""),
    ]
    assert selectors.report_priorities(published_report(world, draft=True)) == []


def test_published_reports_for_a_plan(world):
    published = published_report(world, title="Publicerad")
    published_report(world, draft=True)
    published_report(world, world.timra)
    got = selectors.published_reports_for(world.users["coordinator"], world.sundsvall)
    assert list(got) == [published]
    assert ActionPlan.objects.count() == 0
