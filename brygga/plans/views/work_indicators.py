"""Indicators and evaluations of a measure: add an indicator (``atgarder/<measure>/indikatorer/
ny/``), its page with the computed series (chart and table, baseline and target), its edit
form and, for a manual series, the form for one period's value; add an evaluation
(``atgarder/<measure>/utvarderingar/ny/``), its page with the result and reading, recompute
it from the current data, and save the conclusion."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from brygga.core.access import CHANGE, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.views.decorators import municipality_view
from brygga.core.views.generic import ObjectDetailView, ObjectUpdateView, Service

from .. import selectors, services
from ..forms.work import (
    EvaluationConclusionForm,
    EvaluationForm,
    IndicatorForm,
    IndicatorValueForm,
)
from ..indicator_values import compute
from ..models import Evaluation, Indicator, IndicatorSource
from .work_charts import IndicatorChart

__all__ = [
    "evaluation_conclusion",
    "evaluation_detail",
    "evaluation_new",
    "evaluation_recompute",
    "indicator_detail",
    "indicator_edit",
    "indicator_new",
    "indicator_value_new",
]

PART = "operations"


def _page(request, template, context, status=200):
    return render(request, template, {"plans_part": PART, **context}, status=status)


# --- indicators ---------------------------------------------------------------------------------
def _indicator_url(municipality, indicator) -> str:
    return reverse("plans:indicator_detail", kwargs={"code": municipality.code, "pk": indicator.pk})


@require_http_methods(["GET", "POST"])
@municipality_view()
def indicator_new(request, municipality, measure: int):
    m = selectors.measure_for(request.user, municipality, measure, CHANGE)
    if not resolver_for(request.user).can_create_in(Indicator, municipality):
        raise PermissionDenied
    form = IndicatorForm(request.POST or None, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            ind = services.indicator_create(
                actor=request.user, municipality=municipality, measure=m, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The indicator “%(name)s” was added.") % {"name": ind})
            return redirect(_indicator_url(municipality, ind))
    return _page(
        request,
        "plans/indicator_form.html",
        {"municipality": municipality, "measure": m, "form": form, "object": None},
        status=400 if request.method == "POST" else 200,
    )


class IndicatorEdit(ObjectUpdateView):
    model = Indicator
    form_class = IndicatorForm
    ability = "view"
    selector = staticmethod(selectors.indicators_for)
    service = Service(update=services.indicator_update)
    template_name = "plans/indicator_form.html"
    success_url = "plans:indicator_detail"

    def get_context_data(self, **context):
        return {**context, "plans_part": PART, "measure": self.object.measure}


class IndicatorDetail(ObjectDetailView):
    model = Indicator
    selector = staticmethod(selectors.indicators_for)
    template_name = "plans/indicator_detail.html"

    def get_context_data(self, **context):
        ind = context["indicator"]
        series = compute(ind, user=self.request.user)
        chart = IndicatorChart(
            labels=[p.label for p in series.periods],
            values=[p.value for p in series.periods],
            baseline=series.baseline,
            target=ind.target_value,
        )
        return {
            **context,
            "plans_part": PART,
            "series": series,
            "chart": chart,
            "is_manual": ind.source == IndicatorSource.MANUAL,
            "is_rate": ind.source == IndicatorSource.INCIDENT_RATE,
            "categories": list(ind.categories.all()),
            "areas": list(ind.areas.all().defer("geometry")),
        }


indicator_edit = IndicatorEdit.as_view()
indicator_detail = IndicatorDetail.as_view()


@require_http_methods(["GET", "POST"])
@municipality_view()
def indicator_value_new(request, municipality, pk: int):
    """One period's value of a manual series (404 for a computed indicator)."""
    ind = get_object_or_404(selectors.indicators_for(request.user, municipality, CHANGE), pk=pk)
    if ind.source != IndicatorSource.MANUAL:
        raise Http404
    form = IndicatorValueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_value_create(actor=request.user, indicator=ind, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The value was added."))
            return redirect(_indicator_url(municipality, ind))
    return _page(
        request,
        "plans/indicator_value_form.html",
        {"municipality": municipality, "indicator": ind, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- evaluations --------------------------------------------------------------------------------
def _evaluation_url(municipality, ev) -> str:
    return reverse("plans:evaluation_detail", kwargs={"code": municipality.code, "pk": ev.pk})


@require_http_methods(["GET", "POST"])
@municipality_view()
def evaluation_new(request, municipality, measure: int):
    m = selectors.measure_for(request.user, municipality, measure)
    if not resolver_for(request.user).can_create_in(Evaluation, municipality):
        raise PermissionDenied
    initial = {
        "title": _("Evaluation of %(measure)s") % {"measure": m.title},
        "treated_areas": list(m.areas.values_list("pk", flat=True)),
    }
    form = EvaluationForm(request.POST or None, municipality=municipality, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ev = services.evaluation_create(
                actor=request.user, municipality=municipality, measure=m, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The evaluation was computed."))
            return redirect(_evaluation_url(municipality, ev))
    return _page(
        request,
        "plans/evaluation_form.html",
        {"municipality": municipality, "measure": m, "form": form},
        status=400 if request.method == "POST" else 200,
    )


class EvaluationDetail(ObjectDetailView):
    model = Evaluation
    selector = staticmethod(selectors.evaluations_for)
    template_name = "plans/evaluation_detail.html"

    def get_context_data(self, **context):
        ev = context["evaluation"]
        treated, comparison = services.treated_and_comparison(ev)
        return {
            **context,
            "plans_part": PART,
            "treated": treated,
            "comparison": comparison,
            "categories": list(ev.categories.all()),
            "result": ev.result or {},
            "conclusion_form": EvaluationConclusionForm(initial={"conclusion": ev.conclusion}),
        }


evaluation_detail = EvaluationDetail.as_view()


def _changeable(request, municipality, pk: int) -> Evaluation:
    return get_object_or_404(selectors.evaluations_for(request.user, municipality, CHANGE), pk=pk)


@municipality_view()
@require_POST
def evaluation_recompute(request, municipality, pk: int):
    ev = _changeable(request, municipality, pk)
    try:
        services.evaluation_recompute(actor=request.user, evaluation=ev)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The evaluation was computed again from the current data."))
    return redirect(_evaluation_url(municipality, ev))


@municipality_view()
@require_POST
def evaluation_conclusion(request, municipality, pk: int):
    ev = _changeable(request, municipality, pk)
    form = EvaluationConclusionForm(request.POST)
    if form.is_valid():
        services.evaluation_conclude(
            actor=request.user, evaluation=ev, conclusion=form.cleaned_data["conclusion"]
        )
        messages.success(request, _("The conclusion was saved."))
    return redirect(_evaluation_url(municipality, ev))
