"""Expectations for the plans app's work part: the work log, indicators and evaluations
(brygga/plans/access.py).

The matrix's rows: a plan of the safety group (members: the police, the field workers, the
housing company) with a measure owned by the field workers in Centrum; under it a targeted
operation and a safety walk (with an observation) logged by the field workers, an incident
indicator, a manual indicator and an evaluation.

* The list of operations and its CSV: every member (the rows are narrowed per user).
* Logging an operation: those who may report or manage (viewer and case worker 403).
* An operation, indicator or evaluation under the measure is read with the plan: planners
  (analyst, coordinator, administrators) and the forum's and the measure owner's members (the
  reporter); the viewer and the case worker (not in the forum) get 404.
* An operation, indicator and a manual series' value are changed by coordinators and the
  measure owner's reporters (the analyst, whose police organisation neither owns the measure
  nor took part, gets 404); an evaluation is made by planners (the reporter 403).
* POST-only routes answer GET with 405 past the checks.
"""

from . import MEMBERS, _m, api, members_page

READERS = ["reporter", "analyst", "coordinator", "municipal_admin", "system_admin"]
CHANGERS = ["reporter", "coordinator", "municipal_admin", "system_admin"]
PLANNERS = ["analyst", "coordinator", "municipal_admin", "system_admin"]


def _read():
    return _m(s200=READERS, s404=["viewer", "case_worker", "outsider"])


def _change():
    return _m(s200=CHANGERS, s404=["viewer", "analyst", "case_worker", "outsider"])


def _post_only():
    return _m(s405=MEMBERS, s404=["outsider"])


EXPECTED: dict[str, dict] = {
    "plans:operations": members_page(),
    "plans:operation_export_csv": members_page(),
    "plans:operation_new": _m(
        s200=[*CHANGERS, "analyst"], s403=["viewer", "case_worker"], s404=["outsider"]
    ),
    "plans:operation_detail": _read(),
    "plans:operation_edit": _change(),
    "plans:observation_new": _post_only(),
    "plans:observation_to_incident": _post_only(),
    "plans:indicator_new": _change(),
    "plans:indicator_detail": _read(),
    "plans:indicator_edit": _change(),
    "plans:indicator_value_new": _change(),
    "plans:evaluation_new": _m(
        s200=PLANNERS, s403=["reporter"], s404=["viewer", "case_worker", "outsider"]
    ),
    "plans:evaluation_detail": _read(),
    "plans:evaluation_recompute": _post_only(),
    "plans:evaluation_conclusion": _post_only(),
    "api:plans-operation-list": api(s404=["outsider"]),
    "api:plans-operation-detail": api(s404=["viewer", "case_worker", "outsider"]),
    "api:plans-indicator-list": api(s404=["outsider"]),
    "api:plans-indicator-detail": api(s404=["viewer", "case_worker", "outsider"]),
    "api:plans-evaluation-list": api(s404=["outsider"]),
    "api:plans-evaluation-detail": api(s404=["viewer", "case_worker", "outsider"]),
}

# ?atgard= on the work log selects a measure (?omrade= is core's hint)
FILTER_PARAMS = {"atgard": "measure"}


def _rows(world, municipality, text: str) -> dict:
    import datetime as dt

    from brygga.audit.context import acting_as
    from brygga.plans.models import Evaluation, EvaluationArea, WalkObservation

    from ..plans import factories as f

    own = municipality == world.sundsvall
    owner = world.orgs["field"] if own else world.orgs["timra"]
    area = world.areas["centrum"] if own else world.areas["timra"]
    plan = f.plan(
        municipality, title=f"{text} plan", forum=world.forums["safety" if own else "timra"]
    )
    measure = f.measure(plan, owner, title=f"{text} åtgärd", areas=[area])
    op = f.operation(
        municipality,
        measure=measure,
        area=area,
        organisations=[owner],
        title=f"{text} insats",
        kind="targeted",
    )
    walk = f.operation(
        municipality,
        measure=measure,
        area=area,
        organisations=[owner],
        title=f"{text} trygghetsvandring",
        kind="safety_walk",
    )
    indicator = f.indicator(municipality, measure=measure, name=f"{text} indikator")
    manual = f.indicator(municipality, measure=measure, name=f"{text} manuell", source="manual")
    with acting_as(label="test setup"):
        observation = WalkObservation.objects.create(
            operation=walk, text=f"{text} trasig belysning"
        )
        ev = Evaluation.objects.create(
            municipality=municipality,
            measure=measure,
            title=f"{text} utvärdering",
            before_start=dt.date(2024, 1, 1),
            before_end=dt.date(2024, 12, 31),
            after_start=dt.date(2025, 1, 1),
            after_end=dt.date(2025, 6, 30),
            reading=f"{text} läsning",
            result={"design": "before_after", "rate_ratio": 0.8, "treated_before": 10,
                    "treated_after": 8, "comparison_before": None, "comparison_after": None},
        )  # fmt: skip
        EvaluationArea.objects.create(evaluation=ev, area=area, treated=True)
    # the order matters: the matrix takes the first key that the URL name starts with
    return {
        "observation_new": walk.pk,
        "observation_": observation.pk,
        "operation_": op.pk,
        "indicator_value": manual.pk,
        "indicator_": indicator.pk,
        "evaluation_": ev.pk,
        "plans-operation": op.pk,
        "plans-indicator": indicator.pk,
        "plans-evaluation": ev.pk,
        "measure": measure.pk,
    }


def objects(world) -> dict:
    return _rows(world, world.sundsvall, "Matris")


def tenant_objects(world, municipality, marker) -> dict:
    return _rows(world, municipality, marker)


def api_writes(world, objs) -> dict:
    """Logging an operation through the API: the measure owner's reporter (naming the field
    workers among those taking part) and those who manage; the analyst may report, but not
    for the field workers (400). Everything else of the part is read-only in the API."""
    payload = {
        "kind": "field_presence",
        "title": "API-insats",
        "started_at": "2025-03-07T18:00:00+01:00",
        "ended_at": "2025-03-07T22:00:00+01:00",
        "hours": "8.0",
        "measure": objs["measure"],
        "area": world.areas["centrum"].pk,
        "organisations": [world.orgs["field"].pk],
    }
    return {
        ("api:plans-operation-list", "post"): (
            ["reporter", "coordinator", "municipal_admin", "system_admin"],
            payload,
        )
    }
