"""API routes of the plans app's plans part (included by api_routes.py in the "api" namespace,
under /api/v1/plans/):

- ``plans/<code>/plans/`` and ``plans/<code>/plans/<pk>/``: the action plans of a
  municipality that the client reads, each with its problems (cause analysis included) and
  the measures the client reads, nested;
- ``plans/<code>/measures/`` (GET, POST) and ``plans/<code>/measures/<pk>/`` (GET, PATCH):
  measures; a new measure is added through ``services.measure_create`` (coordinators), a
  change through ``services.measure_update`` (coordinators; the owner organisation's
  reporters change status, resources and description only).

Every read goes through the selectors (``visible_to``): a municipality the client cannot see,
a plan or measure it may not read, or one of another municipality is 404; anonymous clients
get 403 as everywhere in the API. The services' ``ValidationError`` is a field-keyed 400."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from brygga.core import selectors as core_selectors
from brygga.core.access import CHANGE, resolver_for

from . import selectors, services
from .models import ActionPlan, Measure, MeasureLevel, MeasureStatus


# --- output ------------------------------------------------------------------------------
class MeasureOutSerializer(serializers.Serializer):
    """A measure (for the schema; the views build plain dicts)."""

    id = serializers.IntegerField()
    municipality = serializers.CharField(help_text="Kommunkod")
    plan = serializers.IntegerField()
    problem = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.IntegerField()
    owner_name = serializers.CharField()
    partners = serializers.ListField(child=serializers.IntegerField())
    areas = serializers.ListField(child=serializers.IntegerField())
    target_group = serializers.CharField()
    level = serializers.ChoiceField(choices=MeasureLevel.choices)
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)
    resources = serializers.CharField()
    status = serializers.ChoiceField(choices=MeasureStatus.choices)
    promise = serializers.IntegerField(allow_null=True)
    agreement_priority = serializers.IntegerField(allow_null=True)


class ProblemOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rank = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    area = serializers.IntegerField(allow_null=True)
    offender = serializers.CharField()
    place = serializers.CharField()
    victim = serializers.CharField()
    risk_factors = serializers.CharField()
    protective_factors = serializers.CharField()
    has_cause_analysis = serializers.BooleanField()
    measures = serializers.ListField(child=serializers.IntegerField())


class PlanOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    municipality = serializers.CharField(help_text="Kommunkod")
    title = serializers.CharField()
    report = serializers.IntegerField(allow_null=True)
    forum = serializers.IntegerField(allow_null=True)
    agreement = serializers.IntegerField(allow_null=True)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    goals = serializers.CharField()
    state = serializers.ChoiceField(choices=ActionPlan.State.choices)
    adopted_on = serializers.DateField(allow_null=True)
    adopted_by = serializers.CharField()
    revise_by = serializers.DateField(allow_null=True)
    problems = ProblemOutSerializer(many=True)
    measures = MeasureOutSerializer(many=True)


def _date(value):
    return value.isoformat() if value else None


def _measure(m: Measure, code: str) -> dict:
    return {
        "id": m.pk,
        "municipality": code,
        "plan": m.plan_id,
        "problem": m.problem_id,
        "title": m.title,
        "description": m.description,
        "owner": m.owner_id,
        "owner_name": m.owner.name,
        "partners": sorted(o.pk for o in m.partners.all()),
        "areas": sorted(a.pk for a in m.areas.all()),
        "target_group": m.target_group,
        "level": m.level,
        "start": _date(m.start),
        "end": _date(m.end),
        "resources": m.resources,
        "status": m.status,
        "promise": m.promise_id,
        "agreement_priority": m.agreement_priority_id,
    }


def _plan(request, plan: ActionPlan, code: str) -> dict:
    measures = list(selectors.measures_for(request.user, plan.municipality).filter(plan=plan))
    problems = selectors.plan_problems(request.user, plan)
    return {
        "id": plan.pk,
        "municipality": code,
        "title": plan.title,
        "report": plan.report_id,
        "forum": plan.forum_id,
        "agreement": plan.agreement_id,
        "period_start": _date(plan.period_start),
        "period_end": _date(plan.period_end),
        "goals": plan.goals,
        "state": plan.state,
        "adopted_on": _date(plan.adopted_on),
        "adopted_by": plan.adopted_by,
        "revise_by": _date(plan.revise_by),
        "problems": [
            {
                "id": p.pk,
                "rank": p.rank,
                "title": p.title,
                "description": p.description,
                "area": p.area_id,
                "offender": p.offender,
                "place": p.place,
                "victim": p.victim,
                "risk_factors": p.risk_factors,
                "protective_factors": p.protective_factors,
                "has_cause_analysis": p.has_cause_analysis,
                "measures": [m.pk for m in p.visible_measures],
            }
            for p in problems
        ],
        "measures": [_measure(m, code) for m in measures],
    }


# --- input -------------------------------------------------------------------------------
class MeasureWriteSerializer(serializers.Serializer):
    """A measure's fields; the related rows are looked up among those of the municipality
    that the client reads (another municipality's id answers like one that does not exist)."""

    plan = serializers.PrimaryKeyRelatedField(queryset=ActionPlan.objects.none())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    problem = serializers.PrimaryKeyRelatedField(
        queryset=ActionPlan.objects.none(), required=False, allow_null=True
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=ActionPlan.objects.none())
    partners = serializers.PrimaryKeyRelatedField(
        queryset=ActionPlan.objects.none(), many=True, required=False
    )
    areas = serializers.PrimaryKeyRelatedField(
        queryset=ActionPlan.objects.none(), many=True, required=False
    )
    target_group = serializers.CharField(required=False, allow_blank=True, max_length=200)
    level = serializers.ChoiceField(choices=MeasureLevel.choices)
    start = serializers.DateField()
    end = serializers.DateField(required=False, allow_null=True)
    resources = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    status = serializers.ChoiceField(choices=MeasureStatus.choices, required=False)
    promise = serializers.PrimaryKeyRelatedField(
        queryset=ActionPlan.objects.none(), required=False, allow_null=True
    )
    agreement_priority = serializers.PrimaryKeyRelatedField(
        queryset=ActionPlan.objects.none(), required=False, allow_null=True
    )

    def __init__(self, *args, user=None, municipality=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import PlanProblem

        if municipality is None:  # the schema's instance: no rows to choose from
            return

        plans = selectors.plans_for(user, municipality)
        orgs = selectors.organisation_choices(user, municipality)
        f = self.fields
        if "plan" in f:
            f["plan"].queryset = plans
        f["problem"].queryset = PlanProblem.objects.filter(
            municipality=municipality, plan__in=plans.values("pk")
        )
        f["owner"].queryset = orgs
        f["partners"].child_relation.queryset = orgs
        f["areas"].child_relation.queryset = selectors.area_choices(user, municipality)
        f["promise"].queryset = selectors.promises_for(user, municipality)
        f["agreement_priority"].queryset = selectors.agreement_priorities_for(user, municipality)


class MeasureUpdateSerializer(MeasureWriteSerializer):
    plan = None


# --- views -------------------------------------------------------------------------------
def _municipality(request, code: str):
    return get_object_or_404(core_selectors.municipalities_for(request.user), code=code)


class PlanListView(APIView):
    """The action plans of one municipality that you read, newest period first, each with its
    problems and measures."""

    @extend_schema(responses=PlanOutSerializer(many=True))
    def get(self, request, code: str):
        municipality = _municipality(request, code)
        plans = selectors.plans_for(request.user, municipality)
        return Response([_plan(request, p, municipality.code) for p in plans])


class PlanDetailView(APIView):
    """One action plan with its problems (and their cause analysis) and measures."""

    @extend_schema(responses=PlanOutSerializer)
    def get(self, request, code: str, pk: int):
        municipality = _municipality(request, code)
        plan = selectors.plan_for(request.user, municipality, pk)
        return Response(_plan(request, plan, municipality.code))


class MeasureListView(APIView):
    """The measures of one municipality that you read; POST adds one to a plan
    (coordinators)."""

    @extend_schema(responses=MeasureOutSerializer(many=True))
    def get(self, request, code: str):
        municipality = _municipality(request, code)
        measures = selectors.measures_for(request.user, municipality)
        return Response([_measure(m, municipality.code) for m in measures])

    @extend_schema(request=MeasureWriteSerializer, responses={201: MeasureOutSerializer})
    def post(self, request, code: str):
        municipality = _municipality(request, code)
        if not resolver_for(request.user).can_create_in(Measure, municipality):
            raise PermissionDenied
        s = MeasureWriteSerializer(data=request.data, user=request.user, municipality=municipality)
        s.is_valid(raise_exception=True)
        d = dict(s.validated_data)
        measure = services.measure_create(actor=request.user, **d)
        measure = selectors.measure_for(request.user, municipality, measure.pk)
        return Response(_measure(measure, municipality.code), status=status.HTTP_201_CREATED)


class MeasureDetailView(APIView):
    """One measure; PATCH changes it (coordinators; the owner organisation's reporters:
    status, resources and description)."""

    @extend_schema(responses=MeasureOutSerializer)
    def get(self, request, code: str, pk: int):
        municipality = _municipality(request, code)
        measure = selectors.measure_for(request.user, municipality, pk)
        return Response(_measure(measure, municipality.code))

    @extend_schema(request=MeasureUpdateSerializer, responses=MeasureOutSerializer)
    def patch(self, request, code: str, pk: int):
        municipality = _municipality(request, code)
        measure = selectors.measure_for(request.user, municipality, pk)
        if not resolver_for(request.user).can(CHANGE, measure):
            raise PermissionDenied
        s = MeasureUpdateSerializer(
            data=request.data, partial=True, user=request.user, municipality=municipality
        )
        s.is_valid(raise_exception=True)
        services.measure_update(actor=request.user, measure=measure, **s.validated_data)
        measure = selectors.measure_for(request.user, municipality, pk)
        return Response(_measure(measure, municipality.code))


urlpatterns: list = [
    path("<str:code>/plans/", PlanListView.as_view(), name="plans-plan-list"),
    path("<str:code>/plans/<int:pk>/", PlanDetailView.as_view(), name="plans-plan-detail"),
    path("<str:code>/measures/", MeasureListView.as_view(), name="plans-measure-list"),
    path("<str:code>/measures/<int:pk>/", MeasureDetailView.as_view(), name="plans-measure-detail"),
]
