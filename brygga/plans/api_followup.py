"""The report-backs in the REST API (under /api/v1/plans/): ``<code>/follow-ups/`` lists the
report-backs of a municipality the client may read (drafts and issued), ``<code>/follow-ups/
<pk>/`` gives one with what it shows — the frozen snapshot of an issued one, the figures
computed now (with the client's access) for a draft. Through the resolver: a municipality or
report-back the client cannot see is 404. Writes are made on the pages (a coordinator issues a
report-back after reading it)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from brygga.core import selectors

from .followup import build_snapshot
from .models import FollowUpReport


class FollowUpItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    plan = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    state = serializers.ChoiceField(choices=FollowUpReport.State.choices)
    issued_at = serializers.DateTimeField(allow_null=True)


def _reports(request, code: str):
    municipality = get_object_or_404(selectors.municipalities_for(request.user), code=code)
    return (
        FollowUpReport.objects.visible_to(request.user)
        .filter(municipality=municipality)
        .select_related("plan", "plan__municipality")
    )


def _item(r: FollowUpReport) -> dict:
    return {
        "id": r.pk,
        "title": r.title,
        "plan": r.plan_id,
        "period_start": r.period_start.isoformat(),
        "period_end": r.period_end.isoformat(),
        "state": r.state,
        "issued_at": r.issued_at.isoformat() if r.issued_at else None,
    }


class FollowUpListView(APIView):
    """The report-backs of one municipality, newest period first."""

    @extend_schema(responses=FollowUpItemSerializer(many=True))
    def get(self, request, code: str):
        return Response([_item(r) for r in _reports(request, code)])


class FollowUpDetailView(APIView):
    """One report-back: its list fields and ``content`` (meta, measures, indicators,
    evaluations, promises, what we learned)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str, pk: int):
        report = get_object_or_404(_reports(request, code), pk=pk)
        content = (
            report.snapshot if report.snapshot is not None else build_snapshot(request.user, report)
        )
        return Response({**_item(report), "content": content})


urlpatterns = [
    path("<str:code>/follow-ups/", FollowUpListView.as_view(), name="plans-follow-up-list"),
    path(
        "<str:code>/follow-ups/<int:pk>/",
        FollowUpDetailView.as_view(),
        name="plans-follow-up-detail",
    ),
]
