"""The work log's pages under /kommuner/<code>/insatser/: the list (filters by period, area,
kind and measure; the effort per area and month beside the incident counts of the same areas
and months, and its CSV), an operation's page (a safety walk's observations, each of which
can be passed on as an incident report), and the create and edit forms. Indicators and
evaluations: ``work_indicators.py``.

Thin views: reads through ``selectors``, writes through ``services`` (which check the
resolver again), forms for the input."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.views.decorators import municipality_view
from brygga.core.views.generic import (
    ObjectCreateView,
    ObjectDetailView,
    ObjectUpdateView,
    Service,
    paginate,
)
from brygga.incidents.models import Incident

from .. import selectors, services
from ..forms.work import (
    ObservationForm,
    ObservationIncidentForm,
    OperationFilterForm,
    OperationForm,
)
from ..models import Evaluation, Indicator, Operation, OperationKind, WalkObservation

__all__ = [
    "observation_new",
    "observation_to_incident",
    "operation_detail",
    "operation_edit",
    "operation_export_csv",
    "operation_new",
    "operations",
]

PART = "operations"
SERVICE = Service(create=services.operation_create, update=services.operation_update)
MONTHS_SHOWN = 12


def _default_span(today: dt.date) -> tuple[dt.date, dt.date]:
    """The current month and the eleven before it."""
    y, m = divmod(today.month - 1 - (MONTHS_SHOWN - 1), 12)
    return dt.date(today.year + y, m + 1, 1), today


def _filtered(request, municipality):
    """The filter form and the operations it selects, with the effort table's span."""
    from ..indicator_values import today

    form = OperationFilterForm(request.GET or None, municipality=municipality, user=request.user)
    qs = selectors.operations_for(request.user, municipality)
    period = None
    if form.is_valid():
        d = form.cleaned_data
        period = d.get("period")
        qs = selectors.filter_operations(
            qs, period=period, area=d.get("omrade"), kind=d.get("typ"), measure=d.get("atgard")
        )
    elif form.is_bound:
        qs = qs.none()
    span = (period.start, period.end) if period is not None else _default_span(today())
    return form, qs, span


@require_GET
@municipality_view()
def operations(request, municipality):
    form, qs, (start, end) = _filtered(request, municipality)
    resolver = resolver_for(request.user)
    table = selectors.effort_table(request.user, municipality, qs, start, end)
    measure = form.cleaned_data.get("atgard") if form.is_valid() else None
    context = {
        "municipality": municipality,
        "plans_part": PART,
        "form": form,
        "page": paginate(request, qs),
        "table": table,
        "query": request.GET.urlencode(),
        "can_add": resolver.can_create_in(Operation, municipality),
        "measure": measure,
        "can_change_measure": measure is not None and resolver.can(CHANGE, measure),
        "can_evaluate": resolver.can_create_in(Evaluation, municipality),
        "indicators": selectors.indicators_for(request.user, municipality).order_by(
            "measure__title", "name"
        )[:50],
        "evaluations": selectors.evaluations_for(request.user, municipality)[:50],
    }
    return render(request, "plans/operation_list.html", context)


@require_GET
@municipality_view()
def operation_export_csv(request, municipality):
    """The effort per area and month beside the incident counts, as CSV (semicolons, BOM)."""
    _form, qs, (start, end) = _filtered(request, municipality)
    table = selectors.effort_table(request.user, municipality, qs, start, end)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(["area", "layer", "month", "hours", "operations", "incidents"])
    for r in table.csv_rows():
        writer.writerow(
            [r[k] for k in ("area", "layer", "month", "hours", "operations", "incidents")]
        )
    response = HttpResponse(
        ("\ufeff" + buf.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    name = f"insatser-{municipality.code}-{start:%Y-%m}-{end:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class _OperationPage:
    model = Operation
    selector = staticmethod(selectors.operations_for)

    def get_context_data(self, **context):
        return super().get_context_data(**{**context, "plans_part": PART})


class _OperationForm(_OperationPage):
    ability = "view"  # reporters and coordinators: the services decide, can_create_in below
    service = SERVICE
    template_name = "plans/operation_form.html"
    success_url = "plans:operation_detail"

    def get_form(self):
        initial = None
        wanted = self.request.GET.get("atgard", "")
        if self.object is None and wanted.isdigit():
            initial = {"measure": int(wanted), "kind": OperationKind.TARGETED}
        return OperationForm(
            self.request.POST or None,
            instance=self.object,
            municipality=self.municipality,
            user=self.request.user,
            initial=initial,
        )


class OperationNew(_OperationForm, ObjectCreateView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if not resolver_for(request.user).can_create_in(Operation, self.municipality):
            raise PermissionDenied

    def get_success_message(self, obj):
        return _("The operation “%(name)s” was logged.") % {"name": obj}


class OperationEdit(_OperationForm, ObjectUpdateView):
    pass


class OperationDetail(_OperationPage, ObjectDetailView):
    template_name = "plans/operation_detail.html"

    def get_context_data(self, **context):
        op = context["operation"]
        observations = list(selectors.observations_of(self.request.user, op))
        can_change = context["can_change"]
        can_report = can_change and resolver_for(self.request.user).can_create_in(
            Incident, self.municipality
        )
        for o in observations:
            o.form = (
                ObservationIncidentForm(municipality=self.municipality, prefix=f"obs{o.pk}")
                if can_report and o.incident_id is None
                else None
            )
        return super().get_context_data(
            **context,
            observations=observations,
            observation_form=ObservationForm() if can_change else None,
            is_walk=op.kind == OperationKind.SAFETY_WALK,
            indicators=Indicator.objects.visible_to(self.request.user, VIEW).filter(
                municipality=self.municipality, measure_id=op.measure_id
            )
            if op.measure_id
            else [],
        )


operation_new = OperationNew.as_view()
operation_edit = OperationEdit.as_view()
operation_detail = OperationDetail.as_view()


def _detail_url(municipality, op) -> str:
    return reverse("plans:operation_detail", kwargs={"code": municipality.code, "pk": op.pk})


@municipality_view()
@require_POST
def observation_new(request, municipality, pk: int):
    """Add an observation to a safety walk (from the operation's page)."""
    op = get_object_or_404(selectors.operations_for(request.user, municipality, CHANGE), pk=pk)
    form = ObservationForm(request.POST)
    if form.is_valid():
        try:
            services.observation_create(actor=request.user, operation=op, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The observation was added."))
            return redirect(_detail_url(municipality, op) + "#observations")
    context = {
        "municipality": municipality,
        "plans_part": PART,
        "operation": op,
        "form": form,
    }
    return render(request, "plans/operation_observation_form.html", context, status=400)


@municipality_view()
@require_POST
def observation_to_incident(request, municipality, pk: int):
    """Pass an observation on as an incident report in the chosen category."""
    observation = get_object_or_404(
        WalkObservation.objects.visible_to(request.user, CHANGE).select_related("operation"),
        municipality=municipality,
        pk=pk,
    )
    op = observation.operation
    form = ObservationIncidentForm(
        request.POST, municipality=municipality, prefix=f"obs{observation.pk}"
    )
    if not form.is_valid():
        messages.error(request, _("Choose a category for the incident report."))
        return redirect(_detail_url(municipality, op) + "#observations")
    try:
        incident = services.observation_to_incident(
            actor=request.user, observation=observation, category=form.cleaned_data["category"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        messages.error(request, _("Your role may not report incidents in the municipality."))
    else:
        messages.success(
            request,
            _("The observation was passed on as incident report %(id)s.") % {"id": incident.pk},
        )
    return redirect(_detail_url(municipality, op) + "#observations")
