"""Problem and measure pages of an action plan: a new problem and its edit page (the cause
analysis: the problem triangle and risk and protective factors), a new measure, a measure's
page (with what the work part records under it, when those pages exist) and its edit page.

Coordinators change problems and add measures. A measure is changed by coordinators (the whole
form) and by the owner organisation's reporters (status, resources, description:
``MeasureOwnerForm``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from brygga.core.access import CHANGE, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.views.decorators import municipality_view

from .. import selectors, services
from ..forms.plans import MeasureForm, MeasureOwnerForm, ProblemForm
from ..models import Measure
from .plans import _changeable, context, plan_url

__all__ = ["measure_detail", "measure_edit", "measure_new", "problem_edit", "problem_new"]

PROBLEM_FIELDS = (
    "title",
    "rank",
    "area",
    "description",
    "offender",
    "place",
    "victim",
    "risk_factors",
    "protective_factors",
)


def _measure_url(municipality, measure) -> str:
    from django.urls import reverse

    return reverse("plans:measure_detail", kwargs={"code": municipality.code, "pk": measure.pk})


def _problem_page(request, municipality, plan, problem=None):
    kwargs = {"user": request.user, "municipality": municipality}
    if request.method == "POST":
        form = ProblemForm(request.POST, **kwargs)
        if form.is_valid():
            d = dict(form.cleaned_data)
            if d.get("rank") is None:
                d.pop("rank")
            try:
                if problem is None:
                    problem = services.problem_create(actor=request.user, plan=plan, **d)
                else:
                    services.problem_update(actor=request.user, problem=problem, **d)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(plan_url(municipality, plan) + f"#problem-{problem.pk}")
    else:
        initial = {f: getattr(problem, f) for f in PROBLEM_FIELDS} if problem else {}
        form = ProblemForm(initial=initial, **kwargs)
    return render(
        request,
        "plans/problem_form.html",
        context(municipality, form=form, plan=plan, problem=problem),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
def problem_new(request, municipality, pk):
    plan = _changeable(request, municipality, pk)
    return _problem_page(request, municipality, plan)


@municipality_view()
def problem_edit(request, municipality, pk):
    problem = selectors.problem_for(request.user, municipality, pk)
    plan = _changeable(request, municipality, problem.plan_id)
    return _problem_page(request, municipality, plan, problem)


@municipality_view()
def measure_new(request, municipality, pk):
    plan = selectors.plan_for(request.user, municipality, pk)
    if not resolver_for(request.user).can_create_in(Measure, municipality):
        raise PermissionDenied
    kwargs = {"user": request.user, "municipality": municipality, "plan": plan}
    if request.method == "POST":
        form = MeasureForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                measure = services.measure_create(
                    actor=request.user, plan=plan, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The measure was added."))
                return redirect(_measure_url(municipality, measure))
    else:
        initial = {"start": plan.period_start, "end": plan.period_end}
        problem = request.GET.get("problem", "")
        if problem.isdigit():
            initial["problem"] = int(problem)
        form = MeasureForm(initial=initial, **kwargs)
    return render(
        request,
        "plans/measure_form.html",
        context(municipality, form=form, plan=plan, measure=None),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
def measure_detail(request, municipality, pk):
    measure = selectors.measure_for(request.user, municipality, pk)
    return render(
        request,
        "plans/measure_detail.html",
        context(
            municipality,
            measure=measure,
            plan=measure.plan,
            can_change=resolver_for(request.user).can(CHANGE, measure),
            **selectors.measure_followups(request.user, measure),
        ),
    )


@municipality_view()
def measure_edit(request, municipality, pk):
    measure = selectors.measure_for(request.user, municipality, pk)
    resolver = resolver_for(request.user)
    if not resolver.can(CHANGE, measure):
        raise PermissionDenied
    full = resolver.has_ability("manage", municipality)
    form_class = MeasureForm if full else MeasureOwnerForm
    kwargs = {"user": request.user, "municipality": municipality, "plan": measure.plan}
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.measure_update(actor=request.user, measure=measure, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(_measure_url(municipality, measure))
    else:
        initial = {f: getattr(measure, f) for f in form_class.base_fields}
        for key in ("partners", "areas"):
            if key in initial:
                initial[key] = list(getattr(measure, key).all())
        form = form_class(initial=initial, **kwargs)
    return render(
        request,
        "plans/measure_form.html",
        context(municipality, form=form, plan=measure.plan, measure=measure, full=full),
        status=400 if request.method == "POST" else 200,
    )
