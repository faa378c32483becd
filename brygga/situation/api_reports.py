"""The published lägesbilder in the REST API (mounted under /api/v1/ by brygga.api.urls):
``situation/<code>/reports/`` lists the published reports of a municipality that the client
may read, and ``situation/<code>/reports/<pk>/`` gives one report's frozen snapshot, keyed by
section (the same document as the page's JSON download).

Through the resolver (``SituationReport.objects.visible_to``): drafts are never listed nor
served here (a draft is 404), a municipality the client cannot see is 404, a report of another
municipality is 404. What a report shows was decided by its audience when it was published
(``audiences.py``)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from brygga.core import selectors

from .models import Audience, SituationReport


class ReportItemSerializer(serializers.Serializer):
    """One published report in the list (for the schema; the view builds plain dicts)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    audience = serializers.ChoiceField(choices=Audience.choices)
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    superseded = serializers.BooleanField(help_text="A newer version has been published.")
    supersedes = serializers.IntegerField(allow_null=True, help_text="The previous version.")


def _published(request, code: str):
    municipality = get_object_or_404(selectors.municipalities_for(request.user), code=code)
    newer = SituationReport.objects.visible_to(request.user).filter(
        municipality=municipality,
        supersedes=OuterRef("pk"),
        state=SituationReport.State.PUBLISHED,
    )
    return (
        SituationReport.objects.visible_to(request.user)
        .filter(municipality=municipality, state=SituationReport.State.PUBLISHED)
        .annotate(superseded=Exists(newer))
        .order_by("-published_at", "-id")
    )


def _item(report: SituationReport) -> dict:
    return {
        "id": report.pk,
        "title": report.title,
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "audience": report.audience,
        "version": report.version,
        "published_at": report.published_at.isoformat() if report.published_at else None,
        "superseded": report.superseded,
        "supersedes": report.supersedes_id,
    }


class ReportListView(APIView):
    """The published situation reports of one municipality, newest first."""

    @extend_schema(responses=ReportItemSerializer(many=True))
    def get(self, request, code: str):
        return Response([_item(r) for r in _published(request, code)])


class ReportDetailView(APIView):
    """One published situation report, as its page's JSON download: ``meta`` (title, period, audience, headline figures,
    the suppression threshold) and every section (text, generated paragraphs, tables, charts)
    as frozen on the day it was published."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code: str, pk: int):
        report = get_object_or_404(_published(request, code), pk=pk)
        return Response(report.snapshot)
