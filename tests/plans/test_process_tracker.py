"""The process tracker: each checklist item ticks when its evidence is created, and not
before; the evidence is named on the page."""

import datetime as dt

import pytest
from django.urls import reverse

from brygga.audit.context import acting_as
from brygga.plans.tracker import process_steps

from . import evidence as ev
from . import factories as f

pytestmark = pytest.mark.django_db


def _done(world, actor="coordinator") -> set[str]:
    steps = process_steps(world.users[actor], world.sundsvall)
    return {i.key for s in steps for i in s.items if i.done}


def _save(obj, **fields):
    for k, v in fields.items():
        setattr(obj, k, v)
    with acting_as(label="test setup"):
        obj.save()


def test_each_item_ticks_from_its_evidence_and_not_before(world):
    # the world's safety group has the police and the field workers: a joint forum
    done = _done(world)
    assert done == {"forum"}

    def expect(*new):
        nonlocal done
        now = _done(world)
        assert now - done == set(new), (sorted(now - done), new)
        assert done <= now
        done = now

    f.meeting(world.forums["safety"], state="planned")
    expect()
    f.meeting(world.forums["safety"], state="held")
    expect("meeting")
    ev.published_report(world, day=dt.date(2025, 3, 2), by=world.users["coordinator"])
    expect("own_situation_municipality")
    ev.published_report(world, day=dt.date(2025, 3, 5), by=world.users["analyst"])
    expect("own_situation_police")
    ev.dialogue(world, "staff")
    expect("staff_dialogues")
    ev.published_report(world, day=dt.date(2025, 4, 1), forum=world.forums["safety"])
    expect("joint_situation")
    plan = f.plan(world.sundsvall)
    expect()
    problem = f.problem(plan)
    expect("problems")
    ev.dialogue(world, "citizen")
    expect("citizen_dialogues")
    _save(problem, offender="Unga vuxna", place="Busstationen", victim="Resenärer")
    expect("cause_analysis")
    second = f.problem(plan, title="Skadegörelse")
    done.discard("cause_analysis")
    assert "cause_analysis" not in _done(world)
    _save(second, offender="a", place="b", victim="c")
    expect("cause_analysis")
    agreement = f.agreement(world.sundsvall)
    expect()
    _save(agreement, signed_on=dt.date(2024, 2, 1))
    expect("agreement")
    _save(plan, goals="Minskad otrygghet i centrum")
    expect("goals")
    f.measure(plan, world.orgs["field"], title="Utan problem")
    expect()
    measure = f.measure(plan, world.orgs["field"], problem=problem)
    expect("measures")
    _save(plan, state="adopted", adopted_on=dt.date(2025, 2, 1))
    expect("plan_adopted")
    promise = f.promise(world.sundsvall)
    expect()
    _save(promise, published_on=dt.date(2025, 2, 10))
    expect("promises")
    f.indicator(world.sundsvall, measure=measure)
    expect("follow_up_planned")
    ev.issued_follow_up(plan)
    expect("report_back")
    ev.computed_evaluation(measure)
    expect("evaluations")
    steps = process_steps(world.users["coordinator"], world.sundsvall)
    assert all(s.done for s in steps)


def test_the_page_names_the_evidence_and_the_missing(world, client_for):
    report = ev.published_report(
        world, day=dt.date(2025, 3, 2), by=world.users["coordinator"], title="Lägesbild 2025"
    )
    page = client_for("viewer").get(reverse("plans:process", args=["2281"])).content.decode()
    own = page.split('data-item="own_situation_municipality"')[1].split("</li>\n")[0]
    assert 'data-done="1"' in own and "Lägesbild 2025" in own and "2025-03-02" in own
    assert reverse("situation:report_detail", args=["2281", report.pk]) in own
    police = page.split('data-item="own_situation_police"')[1].split("</li>\n")[0]
    assert 'data-done="0"' in police and 'class="missing"' in police
