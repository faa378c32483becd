"""The plans app's rules for the one resolver (``brygga.core.access``).

Who reads what ("partners see plans of forums they sit in"):

* **Agreements, citizen promises, the yearly cycle and dialogues** are the municipality's shared
  documents: everyone who can view the municipality reads them. Coordinators (``manage``) write
  agreements, promises and the cycle; analysts (``analyse``) and coordinators record dialogues.
* An **action plan** is read by the municipality's planners (``analyse`` or ``manage``: analysts
  and coordinators), by every member of the plan's forum, and by the members of an organisation
  that owns or takes part in one of its measures. Coordinators change plans.
* A **measure**, its **indicators** (and their values), **evaluations**, the **operations**
  logged under it and their observations are read with the plan. A measure is changed by
  coordinators and by the owner organisation's members who may report (``report``); so are its
  indicators and operations. Evaluations are made by analysts and coordinators.
* An operation without a measure is read by the planners and the organisations that took part,
  and changed by those organisations' reporters and by coordinators.
* A **meeting** and its action items are read by the planners and the forum's members; a meeting
  is changed by coordinators and by the convener's reporters; an action item by the same, and
  by its owner (the person or the owner organisation's members).
* A **report-back** is read with its plan and changed, while it is a draft, by coordinators.
* Everything else is denied (default deny). The public page of promises reads its own selector
  (``selectors.public_promises``), not these rules.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from brygga.core.access import (
    CHANGE,
    VIEW,
    AccessResolver,
    register_create_abilities,
    register_rule,
)

from .models import (
    ActionItem,
    ActionPlan,
    Agreement,
    CitizenPromise,
    CycleEvent,
    Dialogue,
    Evaluation,
    FollowUpReport,
    Indicator,
    IndicatorValue,
    Measure,
    Meeting,
    Operation,
    WalkObservation,
)

PLANNER_ABILITIES = ("analyse", "manage")


def planners(resolver: AccessResolver) -> set[int]:
    """The municipalities where the user plans (analysts and coordinators)."""
    out: set[int] = set()
    for ability in PLANNER_ABILITIES:
        out |= resolver.municipalities_with(ability)
    return out


def _plan_readable(resolver: AccessResolver, prefix: str = "") -> Q:
    """Rows whose plan (``prefix`` leads to it) the user reads."""
    orgs = resolver.member_organisations()
    return Q(**{f"{prefix}municipality_id__in": resolver.municipalities_with(VIEW)}) & (
        Q(**{f"{prefix}municipality_id__in": planners(resolver)})
        | Q(**{f"{prefix}forum__organisations__in": orgs})
        | Q(**{f"{prefix}measures__owner__in": orgs})
        | Q(**{f"{prefix}measures__partners__in": orgs})
    )


def _narrow(qs: QuerySet, condition: Q) -> QuerySet:
    """``qs`` filtered by a condition that may join many rows, without repeating rows."""
    return qs.filter(pk__in=qs.filter(condition).values("pk"))


def _shared_rule(write: tuple[str, ...]):
    def rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
        if action == VIEW:
            return qs.filter(municipality_id__in=resolver.municipalities_with(VIEW))
        if action == CHANGE:
            allowed: set[int] = set()
            for ability in write:
                allowed |= resolver.municipalities_with(ability)
            return qs.filter(municipality_id__in=allowed)
        return qs.none()

    return rule


def plan_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return _narrow(qs, _plan_readable(resolver))
    if action == CHANGE:
        return qs.filter(municipality_id__in=resolver.municipalities_with("manage"))
    return qs.none()


def _measure_writers(resolver: AccessResolver, prefix: str = "") -> Q:
    return Q(**{f"{prefix}municipality_id__in": resolver.municipalities_with("manage")}) | Q(
        **{f"{prefix}owner__in": resolver.organisations_with_ability("report")}
    )


def measure_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return _narrow(qs, _plan_readable(resolver, "plan__"))
    if action == CHANGE:
        return _narrow(qs, _measure_writers(resolver))
    return qs.none()


def indicator_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return _narrow(
            qs,
            _plan_readable(resolver, "measure__plan__")
            | (Q(measure__isnull=True) & Q(municipality_id__in=planners(resolver))),
        )
    if action == CHANGE:
        return _narrow(
            qs,
            _measure_writers(resolver, "measure__")
            | Q(municipality_id__in=resolver.municipalities_with("manage")),
        )
    return qs.none()


def indicator_value_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action not in (VIEW, CHANGE):
        return qs.none()
    return qs.filter(indicator__in=indicator_rule(resolver, Indicator.objects.all(), action))


def evaluation_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return _narrow(qs, _plan_readable(resolver, "measure__plan__"))
    if action == CHANGE:
        return qs.filter(municipality_id__in=planners(resolver))
    return qs.none()


def operation_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    reporters = resolver.organisations_with_ability("report")
    if action == VIEW:
        return _narrow(
            qs,
            _plan_readable(resolver, "measure__plan__")
            | (
                Q(municipality_id__in=resolver.municipalities_with(VIEW))
                & (
                    Q(municipality_id__in=planners(resolver))
                    | Q(organisations__in=resolver.member_organisations())
                )
            ),
        )
    if action == CHANGE:
        return _narrow(
            qs,
            Q(municipality_id__in=resolver.municipalities_with("manage"))
            | Q(measure__owner__in=reporters)
            | Q(organisations__in=reporters),
        )
    return qs.none()


def observation_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action not in (VIEW, CHANGE):
        return qs.none()
    return qs.filter(operation__in=operation_rule(resolver, Operation.objects.all(), action))


def _meeting_readable(resolver: AccessResolver, prefix: str = "") -> Q:
    return Q(**{f"{prefix}municipality_id__in": resolver.municipalities_with(VIEW)}) & (
        Q(**{f"{prefix}municipality_id__in": planners(resolver)})
        | Q(**{f"{prefix}forum__organisations__in": resolver.member_organisations()})
    )


def _meeting_writers(resolver: AccessResolver, prefix: str = "") -> Q:
    return Q(**{f"{prefix}municipality_id__in": resolver.municipalities_with("manage")}) | Q(
        **{f"{prefix}forum__convener__in": resolver.organisations_with_ability("report")}
    )


def meeting_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return _narrow(qs, _meeting_readable(resolver))
    if action == CHANGE:
        return _narrow(qs, _meeting_writers(resolver))
    return qs.none()


def action_item_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return _narrow(qs, _meeting_readable(resolver, "meeting__"))
    if action == CHANGE:
        own = Q(owner_organisation__in=resolver.organisations_with_ability("report"))
        if resolver.is_authenticated:
            own |= Q(owner_user_id=resolver.user.pk) & Q(
                municipality_id__in=resolver.municipalities_with(VIEW)
            )
        return _narrow(qs, _meeting_writers(resolver, "meeting__") | own)
    return qs.none()


def follow_up_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return _narrow(qs, _plan_readable(resolver, "plan__"))
    if action == CHANGE:
        return qs.filter(
            municipality_id__in=resolver.municipalities_with("manage"),
            state=FollowUpReport.State.DRAFT,
        )
    return qs.none()


def register() -> None:
    """Join the plans app's models to the resolver (called from ``PlansConfig.ready``)."""
    register_rule(Agreement, _shared_rule(("manage",)))
    register_rule(CitizenPromise, _shared_rule(("manage",)))
    register_rule(CycleEvent, _shared_rule(("manage",)))
    register_rule(Dialogue, _shared_rule(PLANNER_ABILITIES))
    register_rule(ActionPlan, plan_rule)
    register_rule(Measure, measure_rule)
    register_rule(Indicator, indicator_rule)
    register_rule(IndicatorValue, indicator_value_rule)
    register_rule(Evaluation, evaluation_rule)
    register_rule(Operation, operation_rule)
    register_rule(WalkObservation, observation_rule)
    register_rule(Meeting, meeting_rule)
    register_rule(ActionItem, action_item_rule)
    register_rule(FollowUpReport, follow_up_rule)
    # who may add rows (default: "manage"); the services check the object-level part (a
    # measure's owner, the forum's convener) themselves
    register_create_abilities(Dialogue, PLANNER_ABILITIES)
    register_create_abilities(Evaluation, PLANNER_ABILITIES)
    register_create_abilities(Operation, ("report", "manage"))
    register_create_abilities(Indicator, ("report", "manage"))
    register_create_abilities(Meeting, ("report", "manage"))
