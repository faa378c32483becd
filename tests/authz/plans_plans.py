"""Expectations for action plans, problems and measures (the plans app's plans part).

The matrix plan belongs to the safety group (members: the police, the field workers, the
housing company) and has one measure owned by the field workers. The landing page is open to
every member (it lists what each may read). A plan and its measures are read by the planners
(analyst, coordinator, administrators) and the forum's members (the reporter at the field
workers, the analyst at the police); the viewer and the case worker (neither a planner nor a
member of the forum or the measure's organisations) get 404. Plans, problems and new measures
are the coordinators'; the measure is also changed by the owner organisation's reporter.

The API follows the same rules (anonymous 403 as everywhere in the API)."""

from . import _m, api, manage_page, members_page

PLANNERS = ["analyst", "coordinator", "municipal_admin", "system_admin"]
READERS = ["reporter", *PLANNERS]
NOT_READERS = ["viewer", "case_worker", "outsider"]
MANAGERS = ["coordinator", "municipal_admin", "system_admin"]


def _plan_change():
    return _m(s200=MANAGERS, s403=["reporter", "analyst"], s404=NOT_READERS)


EXPECTED: dict[str, dict] = {
    "plans:index": members_page(),
    "plans:plan_new": manage_page(),
    "plans:plan_detail": _m(s200=READERS, s404=NOT_READERS),
    "plans:plan_edit": _plan_change(),
    "plans:plan_adopt": _plan_change(),
    "plans:problem_new": _plan_change(),
    "plans:problem_edit": _plan_change(),
    "plans:measure_new": _plan_change(),
    "plans:measure_detail": _m(s200=READERS, s404=NOT_READERS),
    "plans:measure_edit": _m(s200=["reporter", *MANAGERS], s403=["analyst"], s404=NOT_READERS),
    "api:plans-plan-list": api(s404=["outsider"]),
    "api:plans-plan-detail": api(s404=NOT_READERS),
    "api:plans-measure-list": api(s404=["outsider"]),
    "api:plans-measure-detail": api(s404=NOT_READERS),
}


def _plan_rows(world, municipality, title: str) -> dict:
    """A draft plan of ``municipality`` (its forum's), a problem and a measure of its first
    organisation that takes part in the forum (the field workers in Sundsvall)."""
    from ..plans import factories

    if municipality == world.sundsvall:
        forum, owner, area = world.forums["safety"], world.orgs["field"], world.areas["centrum"]
    else:
        forum, owner, area = world.forums["timra"], world.orgs["timra"], world.areas["timra"]
    plan = factories.plan(municipality, title=f"{title} åtgärdsplan", forum=forum)
    problem = factories.problem(plan, title=f"{title} problem", area=area)
    measure = factories.measure(plan, owner, title=f"{title} åtgärd", problem=problem, areas=[area])
    # the order matters: the matrix takes the first key that the URL name starts with
    return {
        "problem_new": plan.pk,
        "problem_": problem.pk,
        "measure_new": plan.pk,
        "measure_": measure.pk,
        "plan_": plan.pk,
        "plans-plan": plan.pk,
        "plans-measure": measure.pk,
    }


def objects(world) -> dict:
    return _plan_rows(world, world.sundsvall, "Matris")


def tenant_objects(world, municipality, marker) -> dict:
    return _plan_rows(world, municipality, marker)


def api_writes(world, objs) -> dict:
    """A new measure (coordinators) and a status change of the field workers' measure
    (coordinators and the owner organisation's reporter)."""
    create = {
        "plan": objs["plans-plan"],
        "title": "Ny åtgärd via API",
        "owner": world.orgs["housing"].pk,
        "level": "universal",
        "start": "2025-03-01",
        "end": "2025-12-31",
    }
    return {
        ("api:plans-measure-list", "post"): (MANAGERS, create),
        ("api:plans-measure-detail", "patch"): (
            ["reporter", *MANAGERS],
            {"status": "ongoing", "resources": "En halv tjänst"},
        ),
    }
