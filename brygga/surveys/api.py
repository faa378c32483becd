"""REST API of the safety survey (read-only, mounted under /api/v1/ by brygga.api.urls):
``survey-waves/`` lists the waves the user may see with their questionnaires, and
``survey-waves/<id>/results/`` gives a wave's results in the structure of
``selectors.survey_indicators`` — small cells suppressed, never respondent rows."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brygga.core.access import VIEW

from . import selectors
from .models import SurveyIndex, SurveyQuestion, SurveyWave


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyQuestion
        fields = ["code", "text", "topic", "scale", "missing", "polarity", "position"]


class IndexSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyIndex
        fields = [
            "code",
            "name",
            "description",
            "rule",
            "question_codes",
            "threshold",
            "min_answered",
            "position",
        ]


class WaveSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    response_rate = serializers.FloatField(read_only=True, allow_null=True)
    questions = QuestionSerializer(many=True, read_only=True)
    indices = IndexSerializer(many=True, read_only=True)

    class Meta:
        model = SurveyWave
        fields = [
            "id",
            "municipality",
            "year",
            "name",
            "method",
            "vendor",
            "sample_size",
            "responses",
            "response_rate",
            "period_start",
            "period_end",
            "imported_at",
            "description",
            "questions",
            "indices",
        ]


MUNICIPALITY_PARAM = OpenApiParameter(
    "municipality", OpenApiTypes.STR, description="Kommunkod: only this municipality's waves."
)


@extend_schema_view(list=extend_schema(parameters=[MUNICIPALITY_PARAM]))
class SurveyWaveViewSet(viewsets.ReadOnlyModelViewSet):
    """Survey waves (trygghetsmätningar) with their questions and indices."""

    serializer_class = WaveSerializer

    def get_queryset(self):
        qs = (
            SurveyWave.objects.visible_to(self.request.user, VIEW)
            .select_related("municipality")
            .prefetch_related("questions", "indices")
            .order_by("municipality__code", "-year")
        )
        code = self.request.query_params.get("municipality")
        if code:
            qs = qs.filter(municipality__code=code)
        return qs

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        description=(
            "The wave's indices for the municipality and per area: mean, 95 % interval and n "
            'with cells of fewer than BRYGGA_SURVEY_MIN_CELL respondents suppressed (n "<30", '
            "no figures), and the change from the previous wave."
        ),
    )
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        wave = self.get_object()
        if not wave.responses:
            return Response({})
        data = selectors.results_dict(selectors.wave_results(wave, user=request.user, groups=False))
        data["municipality_code"] = wave.municipality.code
        data["areas"] = [{"id": k, **v} for k, v in data["areas"].items()]
        return Response(data)
