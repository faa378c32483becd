"""API routes of the plans app's work part (included by api_routes.py in the "api" namespace,
under /api/v1/plans/):

* ``<code>/operations/`` — the operations the client may see (GET), and a new one (POST,
  through ``services.operation_create``: the same rules as the page); ``<code>/operations/<pk>/``
  one operation with its observations;
* ``<code>/indicators/`` and ``<code>/indicators/<pk>/`` — indicators with their computed
  series (baseline, current value, change, target met, values per period);
* ``<code>/evaluations/`` and ``<code>/evaluations/<pk>/`` — evaluations with their stored
  result and reading.

A municipality the client cannot see is 404, as is an object it may not read."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from brygga.core import selectors as core_selectors
from brygga.core.access import VIEW, resolver_for
from brygga.core.models import Area, Organisation

from . import selectors, services
from .indicator_values import compute
from .models import Measure, Operation, OperationKind


def _municipality(request, code: str):
    return get_object_or_404(core_selectors.municipalities_for(request.user), code=code)


# --- operations ---------------------------------------------------------------------------------
class OperationInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OperationKind.choices)
    title = serializers.CharField(max_length=200)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    hours = serializers.DecimalField(max_digits=8, decimal_places=1, min_value=0)
    measure = serializers.IntegerField(required=False, allow_null=True)
    area = serializers.IntegerField(required=False, allow_null=True)
    organisations = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )
    participants = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


def _operation(op: Operation, *, observations: bool = False) -> dict:
    out = {
        "id": op.pk,
        "municipality": op.municipality.code,
        "kind": op.kind,
        "title": op.title,
        "started_at": op.started_at.isoformat(),
        "ended_at": op.ended_at.isoformat(),
        "area": op.area_id,
        "area_name": op.area.name if op.area_id else None,
        "measure": op.measure_id,
        "organisations": sorted(o.pk for o in op.organisations.all()),
        "hours": str(op.hours),
        "participants": op.participants,
        "notes": op.notes,
    }
    if observations:
        out["observations"] = [
            {
                "id": o.pk,
                "text": o.text,
                "latitude": o.latitude,
                "longitude": o.longitude,
                "incident": o.incident_id,
            }
            for o in op.observations.all()
        ]
    return out


def _pick(model, municipality, pk, field: str, user=None):
    if pk is None:
        return None
    qs = model.objects.filter(municipality=municipality)
    if user is not None:
        qs = qs.visible_to(user, VIEW)
    found = qs.filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError({field: ["There is no such object in the municipality."]})
    return found


class OperationListView(APIView):
    """The operations of one municipality that the client may see (newest first), and logging a
    new one."""

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="plans_operations_list")
    def get(self, request, code: str):
        municipality = _municipality(request, code)
        qs = selectors.operations_for(request.user, municipality).select_related("municipality")
        return Response([_operation(op) for op in qs[:500]])

    @extend_schema(request=OperationInSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, code: str):
        municipality = _municipality(request, code)
        if not resolver_for(request.user).can_create_in(Operation, municipality):
            raise PermissionDenied
        s = OperationInSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = dict(s.validated_data)
        d["measure"] = _pick(Measure, municipality, d.get("measure"), "measure", request.user)
        d["area"] = _pick(Area, municipality, d.get("area"), "area")
        orgs = list(
            Organisation.objects.filter(
                municipality=municipality, pk__in=d.get("organisations") or []
            )
        )
        if len(orgs) != len(set(d.get("organisations") or [])):
            raise serializers.ValidationError(
                {"organisations": ["Choose organisations of the municipality."]}
            )
        d["organisations"] = orgs
        try:
            with transaction.atomic():
                op = services.operation_create(actor=request.user, municipality=municipality, **d)
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        return Response(_operation(op, observations=True), status=status.HTTP_201_CREATED)


class OperationDetailView(APIView):
    """One operation with its observations."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str, pk: int):
        municipality = _municipality(request, code)
        op = get_object_or_404(selectors.operations_for(request.user, municipality), pk=pk)
        return Response(_operation(op, observations=True))


# --- indicators ---------------------------------------------------------------------------------
def _indicator(ind, user, *, series: bool) -> dict:
    out = {
        "id": ind.pk,
        "municipality": ind.municipality.code,
        "measure": ind.measure_id,
        "name": ind.name,
        "source": ind.source,
        "granularity": ind.granularity,
        "unit": ind.unit,
        "categories": sorted(c.code for c in ind.categories.all()),
        "areas": sorted(a.pk for a in ind.areas.all()),
        "survey_index_code": ind.survey_index_code,
        "baseline_start": ind.baseline_start.isoformat(),
        "baseline_end": ind.baseline_end.isoformat(),
        "target_value": ind.target_value,
        "target_date": ind.target_date.isoformat() if ind.target_date else None,
        "direction": ind.direction,
    }
    if series:
        out["series"] = compute(ind, user=user).as_dict()
    return out


class IndicatorListView(APIView):
    """The indicators of one municipality that the client may see."""

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="plans_indicators_list")
    def get(self, request, code: str):
        municipality = _municipality(request, code)
        qs = selectors.indicators_for(request.user, municipality).select_related("municipality")
        return Response([_indicator(i, request.user, series=False) for i in qs])


class IndicatorDetailView(APIView):
    """One indicator with its computed series."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str, pk: int):
        municipality = _municipality(request, code)
        ind = get_object_or_404(selectors.indicators_for(request.user, municipality), pk=pk)
        return Response(_indicator(ind, request.user, series=True))


# --- evaluations --------------------------------------------------------------------------------
def _evaluation(ev, *, full: bool) -> dict:
    treated, comparison = services.treated_and_comparison(ev)
    out = {
        "id": ev.pk,
        "municipality": ev.municipality.code,
        "measure": ev.measure_id,
        "title": ev.title,
        "treated_areas": [a.pk for a in treated],
        "comparison_areas": [a.pk for a in comparison],
        "categories": sorted(c.code for c in ev.categories.all()),
        "before": {"start": ev.before_start.isoformat(), "end": ev.before_end.isoformat()},
        "after": {"start": ev.after_start.isoformat(), "end": ev.after_end.isoformat()},
        "computed_at": ev.computed_at.isoformat() if ev.computed_at else None,
    }
    if full:
        out.update({"result": ev.result, "reading": ev.reading, "conclusion": ev.conclusion})
    return out


class EvaluationListView(APIView):
    """The evaluations of one municipality that the client may see."""

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="plans_evaluations_list")
    def get(self, request, code: str):
        municipality = _municipality(request, code)
        qs = selectors.evaluations_for(request.user, municipality).select_related("municipality")
        return Response([_evaluation(e, full=False) for e in qs])


class EvaluationDetailView(APIView):
    """One evaluation with its result (rate ratio, interval, p, the four totals, method),
    reading and conclusion."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str, pk: int):
        municipality = _municipality(request, code)
        ev = get_object_or_404(selectors.evaluations_for(request.user, municipality), pk=pk)
        return Response(_evaluation(ev, full=True))


urlpatterns = [
    path("<str:code>/operations/", OperationListView.as_view(), name="plans-operation-list"),
    path(
        "<str:code>/operations/<int:pk>/",
        OperationDetailView.as_view(),
        name="plans-operation-detail",
    ),
    path("<str:code>/indicators/", IndicatorListView.as_view(), name="plans-indicator-list"),
    path(
        "<str:code>/indicators/<int:pk>/",
        IndicatorDetailView.as_view(),
        name="plans-indicator-detail",
    ),
    path("<str:code>/evaluations/", EvaluationListView.as_view(), name="plans-evaluation-list"),
    path(
        "<str:code>/evaluations/<int:pk>/",
        EvaluationDetailView.as_view(),
        name="plans-evaluation-detail",
    ),
]
