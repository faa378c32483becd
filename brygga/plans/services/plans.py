"""Writes of action plans, their prioritised problems and measures (the plans part).

Developer note:
- ``plan_create`` builds a plan from a published lägesbild of the same municipality that the
  actor reads (``selectors.published_reports_for``); ``take_over`` names ranks of the report's
  priority table (``selectors.report_priorities``): each becomes a ``PlanProblem`` with that
  rank, the area of that name among the municipality's areas (if there is exactly one) and the
  title "<area>: <drivers>". ``extra_problems`` are problems written by hand.
- ``plan_adopt`` sets state, date and body; ``revise_by`` defaults to the adoption date plus
  two years (Lag 2023:196: revise at least every second year) and writes a
  ``plans_plan_adopted`` audit action. Creation and edits are recorded by the change tracker.
- Plans and problems are changed by coordinators (``plan_rule``). A measure is added by
  coordinators; it is changed by coordinators and by the owner organisation's reporters
  (``measure_rule``), who may change only ``OWNER_FIELDS`` (status, resources, description):
  owner, plan, period and links stay the coordinators'.
- Periods: a period that ends before it starts is refused (field ``period_end`` / ``end``); a
  measure must lie inside its plan's period (an open end means "until the plan ends"), and a
  plan's period may not shrink past its measures. The choices (forum, agreement, owner,
  partners, areas, promise, agreement priority, problem) must be of the same municipality and
  visible to the actor. Every refusal is a ``ValidationError`` keyed by field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from brygga.audit.context import actor_for_user
from brygga.audit.services import log_action
from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.models import Area, Forum, Municipality, Organisation
from brygga.core.selectors import forums_for
from brygga.situation.models import SituationReport

from .. import selectors
from ..models import (
    ActionPlan,
    Agreement,
    AgreementPriority,
    CitizenPromise,
    Measure,
    MeasureLevel,
    MeasureStatus,
    PlanProblem,
    link_defaults,
)

__all__ = [
    "OWNER_FIELDS",
    "measure_create",
    "measure_update",
    "plan_adopt",
    "plan_create",
    "plan_update",
    "problem_create",
    "problem_update",
]

# what the owner organisation's reporters may change on a measure (the rest: coordinators)
OWNER_FIELDS = frozenset({"status", "resources", "description"})
PROBLEM_FIELDS = (
    "title",
    "description",
    "rank",
    "area",
    "offender",
    "place",
    "victim",
    "risk_factors",
    "protective_factors",
)
MEASURE_FIELDS = (
    "title",
    "description",
    "problem",
    "owner",
    "partners",
    "areas",
    "target_group",
    "level",
    "start",
    "end",
    "resources",
    "status",
    "promise",
    "agreement_priority",
)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _d(value: dt.date) -> str:
    return value.isoformat()


def _check_period(start, end, field: str = "period_end") -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError(
            {
                field: _("The period ends (%(end)s) before it starts (%(start)s).")
                % {"start": _d(start), "end": _d(end)}
            }
        )


def _one_of(qs, obj, field: str, message: str):
    """``obj`` if it is in ``qs`` (the rows of the municipality the actor may choose)."""
    if obj is None:
        return None
    if not qs.filter(pk=obj.pk).exists():
        raise ValidationError({field: message})
    return obj


def _check_report(actor, municipality: Municipality, report: SituationReport | None):
    if report is None:
        raise ValidationError({"report": _("Choose the published situation report.")})
    return _one_of(
        selectors.published_reports_for(actor, municipality),
        report,
        "report",
        _("Choose a published situation report of the municipality that you can see."),
    )


def _check_links(actor, municipality: Municipality, *, forum=None, agreement=None) -> None:
    _one_of(
        forums_for(actor, municipality),
        forum,
        "forum",
        _("Choose a forum of the municipality that you can see."),
    )
    _one_of(
        Agreement.objects.visible_to(actor, VIEW).filter(municipality=municipality),
        agreement,
        "agreement",
        _("Choose an agreement of the municipality that you can see."),
    )


def _unique_title(qs, title: str, message: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Write a title.")})
    # compared in Python: SQLite folds only ASCII letters ("Ö" and "ö" differ there)
    if title.casefold() in {t.casefold() for t in qs.values_list("title", flat=True)}:
        raise ValidationError({"title": message})
    return title


# --- plans ---------------------------------------------------------------------------------
@transaction.atomic
def plan_create(
    *,
    actor,
    municipality: Municipality,
    title: str,
    report: SituationReport | None,
    period_start: dt.date,
    period_end: dt.date,
    forum: Forum | None = None,
    agreement: Agreement | None = None,
    goals: str = "",
    take_over: Iterable[int] = (),
    extra_problems: Iterable[str] = (),
) -> ActionPlan:
    """A draft plan from a published lägesbild, with the report's prioritised areas of ranks
    ``take_over`` and ``extra_problems`` (titles) as its problems."""
    if not resolver_for(actor).can_create_in(ActionPlan, municipality):
        raise PermissionDenied
    _check_report(actor, municipality, report)
    _check_period(period_start, period_end)
    _check_links(actor, municipality, forum=forum, agreement=agreement)
    plan = ActionPlan(
        municipality=municipality,
        title=(title or "").strip(),
        report=report,
        forum=forum,
        agreement=agreement,
        period_start=period_start,
        period_end=period_end,
        goals=(goals or "").strip(),
        created_by=_user(actor),
    )
    plan.full_clean(exclude=["created_by"])
    plan.save()
    priorities = {p["rank"]: p for p in selectors.report_priorities(report)}
    wanted = sorted({int(r) for r in take_over})
    unknown = [r for r in wanted if r not in priorities]
    if unknown:
        raise ValidationError(
            {"take_over": _("The report has no prioritised area of rank %(r)s.") % {"r": unknown}}
        )
    areas = Area.objects.visible_to(actor, VIEW).filter(municipality=municipality)
    seen: set[str] = set()
    for rank in wanted:
        p = priorities[rank]
        matches = list(areas.filter(name=p["area"])[:2])
        title_ = f"{p['area']}: {p['drivers']}" if p["drivers"] else p["area"]
        title_ = title_[:200]
        seen.add(title_.lower())
        PlanProblem(
            plan=plan,
            title=title_,
            rank=rank,
            area=matches[0] if len(matches) == 1 else None,
        ).save()
    next_rank = (max(wanted) if wanted else 0) + 1
    for text in extra_problems:
        text = (text or "").strip()[:200]
        if not text or text.lower() in seen:
            continue
        seen.add(text.lower())
        PlanProblem(plan=plan, title=text, rank=next_rank).save()
        next_rank += 1
    return plan


@transaction.atomic
def plan_update(*, actor, plan: ActionPlan, **fields) -> ActionPlan:
    """Change a plan's title, report, forum, agreement, period or goals."""
    plan = ActionPlan.objects.select_for_update().get(
        municipality_id=plan.municipality_id, pk=plan.pk
    )
    if not resolver_for(actor).can(CHANGE, plan):
        raise PermissionDenied
    allowed = {"title", "report", "forum", "agreement", "period_start", "period_end", "goals"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    municipality = plan.municipality
    if "report" in fields and fields["report"] != plan.report:
        _check_report(actor, municipality, fields["report"])
    _check_links(actor, municipality, forum=fields.get("forum"), agreement=fields.get("agreement"))
    for key, value in fields.items():
        setattr(plan, key, value.strip() if isinstance(value, str) else value)
    _check_period(plan.period_start, plan.period_end)
    outside = [
        m.title
        for m in Measure.objects.filter(municipality_id=plan.municipality_id, plan=plan)
        if m.start < plan.period_start or (m.end or m.start) > plan.period_end
    ]
    if outside:
        raise ValidationError(
            {
                "period_start": _(
                    "These measures would lie outside the plan's period: %(m)s. Change their "
                    "periods first."
                )
                % {"m": ", ".join(outside)}
            }
        )
    plan.full_clean(exclude=["created_by"])
    plan.save()
    return plan


def _two_years_later(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 2)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 2, day=28)


@transaction.atomic
def plan_adopt(
    *,
    actor,
    plan: ActionPlan,
    adopted_on: dt.date,
    adopted_by: str,
    revise_by: dt.date | None = None,
) -> ActionPlan:
    """Adopt a draft plan (the body that decided, e.g. "Kommunstyrelsen"). The revision date
    defaults to two years after adoption."""
    plan = ActionPlan.objects.select_for_update().get(
        municipality_id=plan.municipality_id, pk=plan.pk
    )
    if not resolver_for(actor).can(CHANGE, plan):
        raise PermissionDenied
    if plan.state != ActionPlan.State.DRAFT:
        raise ValidationError(_("Only a draft plan can be adopted."))
    if adopted_on is None:
        raise ValidationError({"adopted_on": _("Give the date of the decision.")})
    adopted_by = (adopted_by or "").strip()
    if not adopted_by:
        raise ValidationError({"adopted_by": _("Name who adopted the plan.")})
    revise_by = revise_by or _two_years_later(adopted_on)
    if revise_by <= adopted_on:
        raise ValidationError({"revise_by": _("The revision date must come after the adoption.")})
    plan.state = ActionPlan.State.ADOPTED
    plan.adopted_on = adopted_on
    plan.adopted_by = adopted_by[:200]
    plan.revise_by = revise_by
    plan.full_clean(exclude=["created_by"])
    plan.save()
    log_action(
        event_type="plans_plan_adopted",
        subject=plan,
        details={
            "adopted_on": _d(adopted_on),
            "adopted_by": plan.adopted_by,
            "revise_by": _d(revise_by),
        },
        actor=actor_for_user(actor),
    )
    return plan


# --- problems ------------------------------------------------------------------------------
def _problem_values(actor, plan: ActionPlan, fields: dict, exclude_pk=None) -> dict:
    unknown = set(fields) - set(PROBLEM_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if "title" in out:
        others = PlanProblem.objects.filter(municipality_id=plan.municipality_id, plan=plan)
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        out["title"] = _unique_title(
            others, out["title"], _("The plan already has a problem with this title.")
        )
    if "rank" in out and (out["rank"] is None or not 1 <= int(out["rank"]) <= 999):
        raise ValidationError({"rank": _("The priority is a number from 1 to 999.")})
    if out.get("area") is not None:
        _one_of(
            Area.objects.visible_to(actor, VIEW).filter(municipality_id=plan.municipality_id),
            out["area"],
            "area",
            _("Choose an area of the municipality."),
        )
    return out


@transaction.atomic
def problem_create(*, actor, plan: ActionPlan, title: str, **fields) -> PlanProblem:
    """A prioritised problem of a plan, with its cause analysis."""
    if not resolver_for(actor).can(CHANGE, plan):
        raise PermissionDenied
    values = _problem_values(actor, plan, {"title": title, **fields})
    if "rank" not in values:
        values["rank"] = (
            max(
                PlanProblem.objects.filter(
                    municipality_id=plan.municipality_id, plan=plan
                ).values_list("rank", flat=True),
                default=0,
            )
            + 1
        )
    problem = PlanProblem(plan=plan, **values)
    problem.full_clean(exclude=["municipality"])
    problem.save()
    return problem


@transaction.atomic
def problem_update(*, actor, problem: PlanProblem, **fields) -> PlanProblem:
    """Change a problem: its title, priority, area, description or cause analysis."""
    if not resolver_for(actor).can(CHANGE, problem.plan):
        raise PermissionDenied
    values = _problem_values(actor, problem.plan, fields, exclude_pk=problem.pk)
    for key, value in values.items():
        setattr(problem, key, value)
    problem.full_clean(exclude=["municipality"])
    problem.save()
    return problem


# --- measures ------------------------------------------------------------------------------
def _check_measure(actor, plan: ActionPlan, values: dict) -> None:
    """The measure's period and choices (``values`` holds every field)."""
    start, end = values["start"], values.get("end")
    if start is None:
        raise ValidationError({"start": _("Give the date the measure starts.")})
    _check_period(start, end, "end")
    last = end or start
    if start < plan.period_start or last > plan.period_end:
        raise ValidationError(
            {
                "end" if start >= plan.period_start else "start": _(
                    "The measure lies outside the plan's period (%(start)s–%(end)s)."
                )
                % {"start": _d(plan.period_start), "end": _d(plan.period_end)}
            }
        )
    if values.get("level") not in MeasureLevel.values:
        raise ValidationError({"level": _("Choose a level.")})
    if values.get("status") not in MeasureStatus.values:
        raise ValidationError({"status": _("Choose a status.")})
    municipality = plan.municipality
    orgs = Organisation.objects.visible_to(actor, VIEW).filter(municipality=municipality)
    if values.get("owner") is None:
        raise ValidationError({"owner": _("Choose the organisation that owns the measure.")})
    message = _("Choose an organisation of the municipality.")
    _one_of(orgs, values["owner"], "owner", message)
    for org in values.get("partners") or ():
        _one_of(orgs, org, "partners", message)
    areas = Area.objects.visible_to(actor, VIEW).filter(municipality=municipality)
    for area in values.get("areas") or ():
        _one_of(areas, area, "areas", _("Choose areas of the municipality."))
    problem = values.get("problem")
    if problem is not None and problem.plan_id != plan.pk:
        raise ValidationError({"problem": _("Choose a problem of this plan.")})
    _one_of(
        selectors.promises_for(actor, municipality),
        values.get("promise"),
        "promise",
        _("Choose a citizen promise of the municipality."),
    )
    _one_of(
        selectors.agreement_priorities_for(actor, municipality),
        values.get("agreement_priority"),
        "agreement_priority",
        _("Choose a priority area of an agreement of the municipality."),
    )


def _set_links(measure: Measure, partners, areas) -> None:
    if partners is not None:
        measure.partners.set(list(partners), through_defaults=link_defaults(measure))
    if areas is not None:
        measure.areas.set(list(areas), through_defaults=link_defaults(measure))


@transaction.atomic
def measure_create(
    *,
    actor,
    plan: ActionPlan,
    title: str,
    owner: Organisation,
    level: str,
    start: dt.date,
    end: dt.date | None = None,
    description: str = "",
    problem: PlanProblem | None = None,
    partners: Iterable[Organisation] = (),
    areas: Iterable[Area] = (),
    target_group: str = "",
    resources: str = "",
    status: str = MeasureStatus.PLANNED,
    promise: CitizenPromise | None = None,
    agreement_priority: AgreementPriority | None = None,
) -> Measure:
    """A measure of a plan (coordinators)."""
    resolver = resolver_for(actor)
    if not resolver.can(VIEW, plan) or not resolver.can_create_in(Measure, plan.municipality):
        raise PermissionDenied
    values = {
        "title": title,
        "owner": owner,
        "level": level,
        "start": start,
        "end": end,
        "description": (description or "").strip(),
        "problem": problem,
        "partners": list(partners or ()),
        "areas": list(areas or ()),
        "target_group": (target_group or "").strip(),
        "resources": (resources or "").strip(),
        "status": status or MeasureStatus.PLANNED,
        "promise": promise,
        "agreement_priority": agreement_priority,
    }
    values["title"] = _unique_title(
        Measure.objects.filter(municipality_id=plan.municipality_id, plan=plan),
        title,
        _("The plan already has a measure with this title."),
    )
    _check_measure(actor, plan, values)
    partners_, areas_ = values.pop("partners"), values.pop("areas")
    measure = Measure(municipality_id=plan.municipality_id, plan=plan, **values)
    measure.full_clean()
    measure.save()
    _set_links(measure, partners_, areas_)
    return measure


@transaction.atomic
def measure_update(*, actor, measure: Measure, **fields) -> Measure:
    """Change a measure. Coordinators change everything; the owner organisation's reporters
    only ``OWNER_FIELDS`` (a field sent with its current value counts as unchanged)."""
    measure = (
        Measure.objects.select_for_update()
        .select_related("plan")
        .get(municipality_id=measure.municipality_id, pk=measure.pk)
    )
    resolver = resolver_for(actor)
    if not resolver.can(CHANGE, measure):
        raise PermissionDenied
    unknown = set(fields) - set(MEASURE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    current = {f: getattr(measure, f) for f in MEASURE_FIELDS if f not in ("partners", "areas")}
    current["partners"] = list(measure.partners.all())
    current["areas"] = list(measure.areas.all())
    changed = {
        k
        for k, v in fields.items()
        if (
            {o.pk for o in v or ()} != {o.pk for o in current[k]}
            if k in ("partners", "areas")
            else (v.strip() if isinstance(v, str) else v) != current[k]
        )
    }
    if not resolver.has_ability("manage", measure.municipality_id) and changed - OWNER_FIELDS:
        raise PermissionDenied(
            _("Only a coordinator changes these fields: %(f)s") % {"f": sorted(changed)}
        )
    values = {**current, **fields}
    for key in ("description", "target_group", "resources"):
        values[key] = (values.get(key) or "").strip()
    if "title" in changed:
        values["title"] = _unique_title(
            Measure.objects.filter(
                municipality_id=measure.municipality_id, plan=measure.plan
            ).exclude(pk=measure.pk),
            values["title"],
            _("The plan already has a measure with this title."),
        )
    _check_measure(actor, measure.plan, values)
    partners_, areas_ = values.pop("partners"), values.pop("areas")
    for key, value in values.items():
        setattr(measure, key, value)
    measure.full_clean()
    measure.save()
    _set_links(
        measure,
        partners_ if "partners" in changed else None,
        areas_ if "areas" in changed else None,
    )
    return measure
