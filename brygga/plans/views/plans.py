"""Action plan pages under /kommuner/<code>/planer/: the module's landing page (the plans the
user reads), a new plan from a published lägesbild (step 1: which report; step 2: the plan
with the report's prioritised areas to take over), the plan page (problems with their cause
analysis and measures), edit and adoption. Problems and measures: ``plans_measures.py``.

Reads go through the selectors (``visible_to``): a plan the user may not read is 404, a change
the user may not make on a plan they read is 403. Writes go through the services, whose
``ValidationError`` is shown on the form (status 400)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from brygga.core.access import CHANGE, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.views.decorators import municipality_view

from .. import selectors, services
from ..forms.plans import PlanAdoptForm, PlanCreateForm, PlanForm, ReportChoiceForm
from ..models import ActionPlan, Measure, MeasureStatus

__all__ = ["index", "plan_adopt", "plan_detail", "plan_edit", "plan_new"]

PART = "plans"


def context(municipality, **extra) -> dict:
    return {"municipality": municipality, "plans_part": PART, **extra}


def plan_url(municipality, plan) -> str:
    return reverse("plans:plan_detail", kwargs={"code": municipality.code, "pk": plan.pk})


@municipality_view()
def index(request, municipality):
    plans = list(selectors.plans_for(request.user, municipality))
    for plan in plans:
        plan.by_status = [
            {"key": s, "label": label, "n": getattr(plan, f"n_{s}")}
            for s, label in MeasureStatus.choices
        ]
    return render(
        request,
        "plans/index.html",
        context(
            municipality,
            plans=plans,
            can_create=resolver_for(request.user).can_create_in(ActionPlan, municipality),
        ),
    )


def _two_years(start: dt.date) -> dt.date:
    try:
        return start.replace(year=start.year + 2) - dt.timedelta(days=1)
    except ValueError:
        return start.replace(year=start.year + 2, day=28)


@municipality_view("manage")
def plan_new(request, municipality):
    """Step 1 (no ``?rapport=``): choose the published report; step 2: the plan itself."""
    if not resolver_for(request.user).can_create_in(ActionPlan, municipality):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    choice = ReportChoiceForm(
        source if "rapport" in source else None, user=request.user, municipality=municipality
    )
    reports = choice.fields["rapport"].queryset
    if not choice.is_bound or not choice.is_valid():
        return render(
            request,
            "plans/plan_new.html",
            context(municipality, choice=choice, reports=reports, step=1),
            status=400 if choice.is_bound else 200,
        )
    report = choice.cleaned_data["rapport"]
    kwargs = {"user": request.user, "municipality": municipality, "report": report}
    if request.method == "POST":
        form = PlanCreateForm(request.POST, **kwargs)
        if form.is_valid():
            d = form.cleaned_data
            try:
                plan = services.plan_create(
                    actor=request.user,
                    municipality=municipality,
                    report=report,
                    title=d["title"],
                    forum=d["forum"],
                    agreement=d["agreement"],
                    period_start=d["period_start"],
                    period_end=d["period_end"],
                    goals=d["goals"],
                    take_over=d.get("take_over") or (),
                    extra_problems=d["extra_problems"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The action plan was created."))
                return redirect(plan_url(municipality, plan))
    else:
        start = report.period_end + dt.timedelta(days=1)
        form = PlanCreateForm(
            initial={
                "title": _("Action plan %(from)s–%(to)s")
                % {"from": start.year, "to": start.year + 1},
                "forum": report.forum_id,
                "period_start": start,
                "period_end": _two_years(start),
            },
            **kwargs,
        )
    return render(
        request,
        "plans/plan_new.html",
        context(municipality, form=form, report=report, step=2),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
def plan_detail(request, municipality, pk):
    plan = selectors.plan_for(request.user, municipality, pk)
    resolver = resolver_for(request.user)
    problems = selectors.plan_problems(request.user, plan)
    measures = list(selectors.measures_for(request.user, municipality).filter(plan=plan))
    return render(
        request,
        "plans/plan_detail.html",
        context(
            municipality,
            plan=plan,
            problems=problems,
            loose_measures=[m for m in measures if m.problem_id is None],
            n_measures=len(measures),
            n_analysed=sum(p.has_cause_analysis for p in problems),
            can_change=resolver.can(CHANGE, plan),
            can_add_measure=resolver.can_create_in(Measure, municipality),
        ),
    )


def _changeable(request, municipality, pk) -> ActionPlan:
    """A plan the user reads (else 404) and may change (else 403)."""
    plan = selectors.plan_for(request.user, municipality, pk)
    if not resolver_for(request.user).can(CHANGE, plan):
        raise PermissionDenied
    return plan


@municipality_view()
def plan_edit(request, municipality, pk):
    plan = _changeable(request, municipality, pk)
    kwargs = {"user": request.user, "municipality": municipality}
    if request.method == "POST":
        form = PlanForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.plan_update(actor=request.user, plan=plan, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(plan_url(municipality, plan))
    else:
        form = PlanForm(
            initial={
                "title": plan.title,
                "forum": plan.forum_id,
                "agreement": plan.agreement_id,
                "period_start": plan.period_start,
                "period_end": plan.period_end,
                "goals": plan.goals,
            },
            **kwargs,
        )
    return render(
        request,
        "plans/plan_form.html",
        context(municipality, form=form, plan=plan),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
def plan_adopt(request, municipality, pk):
    """GET: the adoption form (a draft only); POST: adopt."""
    plan = _changeable(request, municipality, pk)
    if plan.state != ActionPlan.State.DRAFT:
        messages.info(request, _("The plan has already been adopted."))
        return redirect(plan_url(municipality, plan))
    if request.method == "POST":
        form = PlanAdoptForm(request.POST)
        if form.is_valid():
            try:
                services.plan_adopt(actor=request.user, plan=plan, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The action plan was adopted."))
                return redirect(plan_url(municipality, plan))
    else:
        form = PlanAdoptForm(initial={"adopted_on": dt.date.today()})
    problems = selectors.plan_problems(request.user, plan)
    return render(
        request,
        "plans/plan_adopt.html",
        context(
            municipality,
            form=form,
            plan=plan,
            missing_analysis=[p for p in problems if not p.has_cause_analysis],
        ),
        status=400 if request.method == "POST" else 200,
    )
