"""The writers of action plans, problems and measures: who may write, the periods (the issue's
bad input: a period that ends before it starts, a measure outside the plan's period), the
choices of the same municipality only, taking over the report's prioritised areas, adoption
with its revision date, and the audit rows."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from brygga.audit.context import acting_as
from brygga.audit.models import AuditEvent
from brygga.plans import services
from brygga.plans.models import ActionPlan, Measure, PlanProblem
from brygga.situation.models import SECTION_KEYS, SituationReport

from . import factories

pytestmark = pytest.mark.django_db

Y25, Y26 = dt.date(2025, 1, 1), dt.date(2026, 12, 31)


def published_report(world, municipality=None, *, rows=None, draft=False, title="Lägesbild"):
    """A published lägesbild whose priority table ranks Centrum and Nacksta (or ``rows``)."""
    municipality = municipality or world.sundsvall
    if rows is None:
        rows = [
            [1, "Centrum", 1.8, "Anmälda händelser, Polisens händelser", 40, 12, 5000],
            [2, "Nacksta", 0.9, "Otrygghet", 22, 4, 7000],
        ]
    section = {"title": "", "text": "", "paragraphs": [], "tables": [], "charts": []}
    snapshot = {"meta": {"title": title}, **{k: dict(section) for k in SECTION_KEYS}}
    snapshot["priorities"] = {
        **section,
        "tables": [
            {
                "key": "prioriteringar",
                "title": "Prioriterade områden",
                "columns": [
                    "rank",
                    "area",
                    "score",
                    "drivers",
                    "events",
                    "police_events",
                    "population",
                ],
                "rows": rows,
            }
        ],
    }
    with acting_as(label="test setup"):
        return SituationReport.objects.create(
            municipality=municipality,
            title=title,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            state="draft" if draft else "published",
            snapshot=None if draft else snapshot,
        )


def _plan(world, actor="coordinator", **kw):
    kw.setdefault("report", published_report(world))
    return services.plan_create(
        actor=world.users[actor],
        municipality=world.sundsvall,
        title=kw.pop("title", "Åtgärdsplan 2025–2026"),
        period_start=kw.pop("period_start", Y25),
        period_end=kw.pop("period_end", Y26),
        **kw,
    )


def _measure(world, plan, actor="coordinator", **kw):
    kw.setdefault("title", "Fältassistent helgkvällar")
    kw.setdefault("owner", world.orgs["field"])
    kw.setdefault("level", "selective")
    kw.setdefault("start", dt.date(2025, 3, 1))
    return services.measure_create(actor=world.users[actor], plan=plan, **kw)


def test_only_coordinators_create_plans(world):
    assert _plan(world).state == "draft"
    for actor in ("viewer", "reporter", "analyst", "case_worker", "outsider"):
        with pytest.raises(PermissionDenied):
            _plan(world, actor, title=f"Plan {actor}")


def test_a_plan_takes_over_the_reports_prioritised_areas_and_problems_by_hand(world):
    plan = _plan(world, take_over=[2, 1], extra_problems=["Klotter vid skolor", " ", "Ungdomsrån"])
    problems = list(plan.problems.order_by("rank"))
    assert [(p.rank, p.area_id) for p in problems[:2]] == [
        (1, world.areas["centrum"].pk),
        (2, world.areas["nacksta"].pk),
    ]
    assert problems[0].title.startswith("Centrum: ")
    assert "Polisens händelser" in problems[0].title
    assert [p.title for p in problems[2:]] == ["Klotter vid skolor", "Ungdomsrån"]
    assert [p.rank for p in problems[2:]] == [3, 4]
    assert not any(p.has_cause_analysis for p in problems)


def test_an_area_of_the_ranking_that_the_municipality_lacks_leaves_the_problem_without_area(
    world,
):
    report = published_report(world, rows=[[1, "Okänt område", 1.0, "", 3, 0, None]])
    plan = _plan(world, report=report, take_over=[1])
    problem = plan.problems.get()
    assert problem.area_id is None and problem.title == "Okänt område"


def test_a_rank_the_report_does_not_have_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        _plan(world, take_over=[7])
    assert "take_over" in exc.value.message_dict
    assert not ActionPlan.objects.exists()


@pytest.mark.parametrize("kind", ["draft", "foreign", "missing"])
def test_a_plan_starts_from_a_published_report_of_the_municipality(world, kind):
    report = {
        "draft": lambda: published_report(world, draft=True),
        "foreign": lambda: published_report(world, world.timra),
        "missing": lambda: None,
    }[kind]()
    with pytest.raises(ValidationError) as exc:
        _plan(world, report=report)
    assert "report" in exc.value.message_dict


def test_a_plan_period_that_ends_before_it_starts_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        _plan(world, period_start=Y26, period_end=Y25)
    assert "period_end" in exc.value.message_dict
    plan = _plan(world)
    with pytest.raises(ValidationError) as exc:
        services.plan_update(
            actor=world.users["coordinator"], plan=plan, period_end=dt.date(2024, 6, 1)
        )
    assert "period_end" in exc.value.message_dict


def test_forum_and_agreement_of_another_municipality_are_refused(world):
    with pytest.raises(ValidationError) as exc:
        _plan(world, forum=world.forums["timra"])
    assert "forum" in exc.value.message_dict
    agreement = factories.agreement(world.timra)
    with pytest.raises(ValidationError) as exc:
        _plan(world, agreement=agreement)
    assert "agreement" in exc.value.message_dict


def test_adoption_sets_the_revision_two_years_later_and_is_audited(world):
    plan = _plan(world)
    with pytest.raises(PermissionDenied):
        services.plan_adopt(
            actor=world.users["analyst"], plan=plan, adopted_on=Y25, adopted_by="KS"
        )
    adopted = services.plan_adopt(
        actor=world.users["coordinator"],
        plan=plan,
        adopted_on=dt.date(2025, 2, 10),
        adopted_by="Kommunstyrelsen",
    )
    assert adopted.state == "adopted"
    assert adopted.revise_by == dt.date(2027, 2, 10)
    event = AuditEvent.objects.get(event_type="plans_plan_adopted")
    assert event.object_id == str(plan.pk)
    assert event.actor_id == world.users["coordinator"].pk
    assert event.changes["revise_by"] == "2027-02-10"
    with pytest.raises(ValidationError):  # adopted once
        services.plan_adopt(
            actor=world.users["coordinator"], plan=plan, adopted_on=Y25, adopted_by="KS"
        )


def test_adoption_on_29_february_and_a_revision_date_before_adoption(world):
    plan = _plan(world)
    leap = services.plan_adopt(
        actor=world.users["coordinator"],
        plan=plan,
        adopted_on=dt.date(2024, 2, 29),
        adopted_by="KS",
    )
    assert leap.revise_by == dt.date(2026, 2, 28)
    other = _plan(world, title="Andra planen")
    with pytest.raises(ValidationError) as exc:
        services.plan_adopt(
            actor=world.users["coordinator"],
            plan=other,
            adopted_on=Y25,
            adopted_by="KS",
            revise_by=dt.date(2024, 1, 1),
        )
    assert "revise_by" in exc.value.message_dict


def test_creating_a_plan_and_a_measure_writes_change_rows(world):
    plan = _plan(world, take_over=[1])
    measure = _measure(world, plan)
    types = set(AuditEvent.objects.values_list("object_type", flat=True))
    assert {"plans.actionplan", "plans.planproblem", "plans.measure"} <= types
    assert AuditEvent.objects.filter(object_type="plans.measure", object_id=str(measure.pk))


def test_problem_cause_analysis_and_unique_titles(world):
    plan = _plan(world)
    coordinator = world.users["coordinator"]
    problem = services.problem_create(actor=coordinator, plan=plan, title="Öppen narkotikahandel")
    assert problem.rank == 1 and not problem.has_cause_analysis
    services.problem_update(
        actor=coordinator,
        problem=problem,
        offender="Unga vuxna som säljer",
        place="Torget kvällstid",
        victim="Unga köpare, boende",
        risk_factors="Skolfrånvaro",
    )
    problem.refresh_from_db()
    assert problem.has_cause_analysis
    with pytest.raises(ValidationError) as exc:
        services.problem_create(actor=coordinator, plan=plan, title="öppen narkotikahandel")
    assert "title" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.problem_create(
            actor=coordinator, plan=plan, title="Fel område", area=world.areas["timra"]
        )
    assert "area" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.problem_update(actor=world.users["reporter"], problem=problem, place="x")
    assert PlanProblem.objects.filter(plan=plan).count() == 1


def test_a_measure_outside_the_plans_period_is_refused_naming_the_period(world):
    plan = _plan(world)
    with pytest.raises(ValidationError) as exc:
        _measure(world, plan, start=dt.date(2024, 12, 1))
    assert "2025-01-01" in exc.value.message_dict["start"][0]
    assert "2026-12-31" in exc.value.message_dict["start"][0]
    with pytest.raises(ValidationError) as exc:
        _measure(world, plan, end=dt.date(2027, 6, 1))
    assert "2026-12-31" in exc.value.message_dict["end"][0]
    with pytest.raises(ValidationError) as exc:  # ends before it starts
        _measure(world, plan, start=dt.date(2025, 6, 1), end=dt.date(2025, 5, 1))
    assert "end" in exc.value.message_dict
    assert not Measure.objects.exists()


def test_a_plans_period_may_not_shrink_past_its_measures(world):
    plan = _plan(world)
    _measure(world, plan, start=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError) as exc:
        services.plan_update(
            actor=world.users["coordinator"], plan=plan, period_end=dt.date(2025, 12, 31)
        )
    assert "Fältassistent helgkvällar" in exc.value.message_dict["period_start"][0]


def test_measure_choices_come_from_the_same_municipality(world):
    plan = _plan(world)
    other = factories.plan(world.sundsvall, title="Annan plan")
    foreign_problem = factories.problem(other)
    cases = {
        "owner": {"owner": world.orgs["timra"]},
        "partners": {"partners": [world.orgs["timra"]]},
        "areas": {"areas": [world.areas["timra"]]},
        "problem": {"problem": foreign_problem},
        "promise": {"promise": factories.promise(world.timra)},
        "agreement_priority": {
            "agreement_priority": factories.priority(factories.agreement(world.timra))
        },
    }
    for field, kw in cases.items():
        with pytest.raises(ValidationError) as exc:
            _measure(world, plan, **kw)
        assert field in exc.value.message_dict, field
    promise = factories.promise(world.sundsvall)
    priority = factories.priority(factories.agreement(world.sundsvall))
    measure = _measure(
        world,
        plan,
        partners=[world.orgs["police"], world.orgs["housing"]],
        areas=[world.areas["centrum"]],
        promise=promise,
        agreement_priority=priority,
    )
    assert {o.pk for o in measure.partners.all()} == {
        world.orgs["police"].pk,
        world.orgs["housing"].pk,
    }
    assert measure.promise == promise and measure.agreement_priority == priority


def test_who_adds_and_changes_measures(world):
    plan = _plan(world)
    for actor in ("reporter", "analyst", "viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            _measure(world, plan, actor, title=f"Åtgärd {actor}")
    measure = _measure(world, plan)
    # the owner organisation's reporter changes the status and the resources ...
    services.measure_update(
        actor=world.users["reporter"], measure=measure, status="ongoing", resources="1 tjänst"
    )
    measure.refresh_from_db()
    assert (measure.status, measure.resources) == ("ongoing", "1 tjänst")
    # ... a field sent unchanged is no change ...
    services.measure_update(
        actor=world.users["reporter"], measure=measure, owner=world.orgs["field"], status="done"
    )
    # ... but not the owner or the period
    with pytest.raises(PermissionDenied):
        services.measure_update(
            actor=world.users["reporter"], measure=measure, owner=world.orgs["police"]
        )
    with pytest.raises(PermissionDenied):  # the police's analyst does not own the measure
        services.measure_update(actor=world.users["analyst"], measure=measure, status="done")
    services.measure_update(
        actor=world.users["coordinator"], measure=measure, owner=world.orgs["police"]
    )
    measure.refresh_from_db()
    assert measure.owner == world.orgs["police"] and measure.status == "done"


def test_a_measure_update_outside_the_period_and_with_a_duplicate_title_is_refused(world):
    plan = _plan(world)
    first = _measure(world, plan)
    second = _measure(world, plan, title="Skolpolis")
    coordinator = world.users["coordinator"]
    with pytest.raises(ValidationError) as exc:
        services.measure_update(actor=coordinator, measure=second, title=first.title)
    assert "title" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.measure_update(actor=coordinator, measure=second, end=dt.date(2030, 1, 1))
    assert "end" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.measure_update(actor=coordinator, measure=second, status="finished")
    assert "status" in exc.value.message_dict
