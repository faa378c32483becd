"""API routes of the plans app's agreements part (included by api_routes.py in the "api"
namespace, under /api/v1/plans/):

* ``plans/<code>/agreements/`` and ``…/<pk>/`` (``plans-agreement-list`` / ``-detail``): the
  cooperation agreements, read-only, with their parties and priority areas nested; the signed
  document is a link to its download page (``document.url``), never its bytes.
* ``plans/<code>/promises/`` and ``…/<pk>/`` (``plans-promise-list`` / ``-detail``): citizen
  promises; POST creates one, PATCH changes one, both through the services
  (``services/agreements.py``): the text fields, period, agreement and problems through
  ``promise_update``, ``status`` (+ ``status_justification``) through ``promise_set_status``
  (a closed status without a justification is 400 with the message), ``extended_to`` through
  ``promise_extend`` and ``published_on`` through ``promise_publish``, all in one transaction.

A municipality the client cannot see is 404, a row it cannot see is 404, a write its role may
not make is 403 (the services ask the resolver)."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from brygga.core import selectors as core_selectors
from brygga.core.access import CHANGE, resolver_for

from . import services
from .models import Agreement, CitizenPromise, PromiseStatus
from .selectors.agreements import agreements_for, problems_for, promises_for


def _municipality(request, code: str):
    return get_object_or_404(core_selectors.municipalities_for(request.user), code=code)


# --- agreements --------------------------------------------------------------------------------
class PartySerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    organisation_name = serializers.CharField()
    mandate = serializers.CharField()
    commitments = serializers.CharField()
    signatory = serializers.CharField()
    signatory_title = serializers.CharField()


class PrioritySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    position = serializers.IntegerField()


class DocumentSerializer(serializers.Serializer):
    name = serializers.CharField()
    content_type = serializers.CharField()
    url = serializers.CharField(help_text="The download page (signed-in users who read it).")


class AgreementSerializer(serializers.Serializer):
    """One agreement (for the schema; the views build plain dicts)."""

    id = serializers.IntegerField()
    municipality = serializers.CharField(help_text="The kommunkod.")
    title = serializers.CharField()
    police_area = serializers.CharField(allow_null=True)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    summary = serializers.CharField()
    signed_on = serializers.DateField(allow_null=True)
    renews = serializers.IntegerField(allow_null=True)
    parties = PartySerializer(many=True)
    priorities = PrioritySerializer(many=True)
    document = DocumentSerializer(allow_null=True)


def _agreement(a: Agreement, code: str) -> dict:
    document = None
    if a.signed_document_name:
        document = {
            "name": a.signed_document_name,
            "content_type": a.signed_document_type,
            "url": reverse("plans:agreement_document", kwargs={"code": code, "pk": a.pk}),
        }
    return {
        "id": a.pk,
        "municipality": code,
        "title": a.title,
        "police_area": a.police_area.name if a.police_area else None,
        "period_start": a.period_start.isoformat(),
        "period_end": a.period_end.isoformat(),
        "summary": a.summary,
        "signed_on": a.signed_on.isoformat() if a.signed_on else None,
        "renews": a.renews_id,
        "parties": [
            {
                "organisation": p.organisation_id,
                "organisation_name": p.organisation.name,
                "mandate": p.mandate,
                "commitments": p.commitments,
                "signatory": p.signatory,
                "signatory_title": p.signatory_title,
            }
            for p in a.parties.all()
        ],
        "priorities": [
            {"id": p.pk, "title": p.title, "description": p.description, "position": p.position}
            for p in a.priorities.all()
        ],
        "document": document,
    }


def _agreements(request, code: str):
    municipality = _municipality(request, code)
    return municipality, agreements_for(request.user, municipality).defer("signed_document")


class AgreementListView(APIView):
    """The cooperation agreements of one municipality."""

    @extend_schema(responses=AgreementSerializer(many=True))
    def get(self, request, code: str):
        municipality, qs = _agreements(request, code)
        return Response([_agreement(a, municipality.code) for a in qs])


class AgreementDetailView(APIView):
    """One cooperation agreement."""

    @extend_schema(responses=AgreementSerializer)
    def get(self, request, code: str, pk: int):
        municipality, qs = _agreements(request, code)
        return Response(_agreement(get_object_or_404(qs, pk=pk), municipality.code))


# --- promises ----------------------------------------------------------------------------------
@extend_schema_field(
    {"type": "string", "enum": list(PromiseStatus.values), "description": "The promise's status."}
)
class PromiseStatusField(serializers.ChoiceField):
    """The status (its own schema: the name ``status`` is taken by other choice sets)."""

    def __init__(self, **kwargs):
        super().__init__(choices=PromiseStatus.choices, **kwargs)


class PromiseSerializer(serializers.Serializer):
    """A citizen promise: what is read, and what POST / PATCH accept."""

    id = serializers.IntegerField(read_only=True)
    municipality = serializers.CharField(read_only=True, help_text="The kommunkod.")
    title = serializers.CharField(max_length=200)
    text = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    extended_to = serializers.DateField(required=False, allow_null=True)
    police_commitments = serializers.CharField(required=False, allow_blank=True)
    municipality_commitments = serializers.CharField(required=False, allow_blank=True)
    agreement = serializers.IntegerField(required=False, allow_null=True)
    problems = serializers.ListField(child=serializers.IntegerField(), required=False)
    status = PromiseStatusField(required=False)
    status_justification = serializers.CharField(required=False, allow_blank=True)
    status_changed_on = serializers.DateField(read_only=True)
    published_on = serializers.DateField(required=False, allow_null=True)


def _promise(p: CitizenPromise, code: str) -> dict:
    def iso(d):
        return d.isoformat() if d else None

    return {
        "id": p.pk,
        "municipality": code,
        "title": p.title,
        "text": p.text,
        "period_start": iso(p.period_start),
        "period_end": iso(p.period_end),
        "extended_to": iso(p.extended_to),
        "police_commitments": p.police_commitments,
        "municipality_commitments": p.municipality_commitments,
        "agreement": p.agreement_id,
        "problems": sorted(p.problems.values_list("pk", flat=True)),
        "status": p.status,
        "status_justification": p.status_justification,
        "status_changed_on": iso(p.status_changed_on),
        "published_on": iso(p.published_on),
    }


def _check_municipality(request, municipality) -> None:
    named = request.data.get("municipality") if hasattr(request.data, "get") else None
    if named not in (None, "", municipality.code):
        raise ValidationError({"municipality": [_("The municipality cannot be changed.")]})


def _links(request, municipality, data: dict) -> dict:
    """The agreement and problem ids of ``data`` as rows the client reads (else 400)."""
    out = {}
    if "agreement" in data:
        pk = data["agreement"]
        out["agreement"] = None
        if pk is not None:
            out["agreement"] = agreements_for(request.user, municipality).filter(pk=pk).first()
            if out["agreement"] is None:
                raise ValidationError(
                    {"agreement": [_("Choose a cooperation agreement of the municipality.")]}
                )
    if "problems" in data:
        ids = set(data["problems"])
        rows = list(problems_for(request.user, municipality).filter(pk__in=ids))
        if len(rows) != len(ids):
            raise ValidationError(
                {"problems": [_("Choose problems of the municipality's plans that you can see.")]}
            )
        out["problems"] = rows
    return out


BASIC = (
    "title",
    "text",
    "period_start",
    "period_end",
    "police_commitments",
    "municipality_commitments",
)


class PromiseListView(APIView):
    """The citizen promises of one municipality; POST adds one (coordinators)."""

    @extend_schema(responses=PromiseSerializer(many=True))
    def get(self, request, code: str):
        municipality = _municipality(request, code)
        qs = promises_for(request.user, municipality).prefetch_related("problems")
        return Response([_promise(p, municipality.code) for p in qs])

    @extend_schema(request=PromiseSerializer, responses={201: PromiseSerializer})
    def post(self, request, code: str):
        municipality = _municipality(request, code)
        _check_municipality(request, municipality)
        ser = PromiseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        with transaction.atomic():
            promise = services.promise_create(
                actor=request.user,
                municipality=municipality,
                **{k: d[k] for k in BASIC if k in d},
                **_links(request, municipality, d),
            )
            _apply_extras(request, promise, d)
        return Response(_promise(promise, municipality.code), status=201)


def _apply_extras(request, promise: CitizenPromise, d: dict) -> None:
    if d.get("extended_to"):
        services.promise_extend(actor=request.user, promise=promise, extended_to=d["extended_to"])
    if "status" in d:
        services.promise_set_status(
            actor=request.user,
            promise=promise,
            status=d["status"],
            justification=d.get("status_justification", promise.status_justification),
        )
    if d.get("published_on"):
        services.promise_publish(
            actor=request.user, promise=promise, published_on=d["published_on"]
        )


class PromiseDetailView(APIView):
    """One citizen promise; PATCH changes it (coordinators)."""

    @extend_schema(responses=PromiseSerializer)
    def get(self, request, code: str, pk: int):
        municipality = _municipality(request, code)
        promise = get_object_or_404(promises_for(request.user, municipality), pk=pk)
        return Response(_promise(promise, municipality.code))

    @extend_schema(request=PromiseSerializer, responses=PromiseSerializer)
    def patch(self, request, code: str, pk: int):
        municipality = _municipality(request, code)
        promise = get_object_or_404(promises_for(request.user, municipality), pk=pk)
        if not resolver_for(request.user).can(CHANGE, promise):
            raise PermissionDenied
        _check_municipality(request, municipality)
        ser = PromiseSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        with transaction.atomic():
            links = _links(request, municipality, d)
            if any(k in d for k in BASIC) or links:
                current = {k: getattr(promise, k) for k in BASIC}
                promise = services.promise_update(
                    actor=request.user,
                    municipality=municipality,
                    instance=promise,
                    **{**current, **{k: d[k] for k in BASIC if k in d}},
                    agreement=links.get("agreement", promise.agreement),
                    problems=links.get("problems"),
                )
            _apply_extras(request, promise, d)
        return Response(_promise(promise, municipality.code))


urlpatterns: list = [
    path("<str:code>/agreements/", AgreementListView.as_view(), name="plans-agreement-list"),
    path(
        "<str:code>/agreements/<int:pk>/",
        AgreementDetailView.as_view(),
        name="plans-agreement-detail",
    ),
    path("<str:code>/promises/", PromiseListView.as_view(), name="plans-promise-list"),
    path("<str:code>/promises/<int:pk>/", PromiseDetailView.as_view(), name="plans-promise-detail"),
]
