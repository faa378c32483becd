"""REST API for incidents, categories and import (mapping) profiles under /api/v1/.

- ``incidents/``: list (the filters of the web list plus ``municipality`` and ``bbox``, cursor
  pagination, ``?format=geojson`` for a FeatureCollection with point geometry, ``null`` for
  incidents placed only in an area), detail, create (roles that may report in the
  municipality) and partial update (the rows the resolver lets the user change; ``status`` only
  for those who manage the municipality).
- ``categories/``: the national set plus each municipality's own; managers add their own.
- ``import-profiles/``: saved column mappings, for analysts and managers.

Every queryset comes from the resolver (``visible_to``). Texts of incidents marked as containing
personal data are left out of lists (``null``); every response that returns them (the detail,
and the bodies of ``POST`` and ``PATCH``) logs one read.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.api import GeoJSONRenderer, MunicipalityRefField, RestrictedViewSetMixin
from brygga.core.models import Area, Municipality, Organisation

from . import selectors, services
from .filters import ApiIncidentFilter
from .location import resolve
from .models import Category, ImportProfile, Incident, Source, Status, Visibility

EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LOCATION_FIELDS = ("lat", "lon", "sweref_e", "sweref_n", "area")
PURPOSE_API = "API: incident detail"
PURPOSE_API_CREATE = "API: incident created"
PURPOSE_API_UPDATE = "API: incident changed"


# --- rendering and pagination ---------------------------------------------------------------
class IncidentGeoJSONRenderer(GeoJSONRenderer):
    """A FeatureCollection with the cursor links (``next``/``previous``) of the page."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            return JSONRenderer.render(self, data, accepted_media_type, renderer_context)
        rows = data.get("results", data) if isinstance(data, dict) else data
        if isinstance(rows, dict):
            rows = [rows]
        features = [
            {
                "type": "Feature",
                "id": row.get("id"),
                "geometry": row.get("geometry"),
                "properties": {k: v for k, v in row.items() if k != "geometry"},
            }
            for row in rows or []
        ]
        fc = {"type": "FeatureCollection", "features": features}
        if isinstance(data, dict) and "results" in data:
            fc["next"], fc["previous"] = data.get("next"), data.get("previous")
        return JSONRenderer.render(self, fc, accepted_media_type, renderer_context)


class IncidentCursorPagination(CursorPagination):
    ordering = ("-occurred_from", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


# --- serializers ----------------------------------------------------------------------------
class RestrictedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related row by id, looked up only among the rows the user may see, so ids of other
    municipalities' rows answer like ids that do not exist."""

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.model.objects.visible_to(getattr(request, "user", None), VIEW)


@extend_schema_field(OpenApiTypes.STR)
class MunicipalityCodeField(MunicipalityRefField):
    """A kommunkod (four digits) of a municipality the user has a role in."""


POINT_SCHEMA = {
    "type": "object",
    "nullable": True,
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2},
    },
}


class IncidentSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    county = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    main_category = serializers.SerializerMethodField()
    area_name = serializers.SerializerMethodField()
    reporting_organisation_name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    place_description = serializers.SerializerMethodField()
    geometry = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "municipality",
            "county",
            "category",
            "category_name",
            "main_category",
            "occurred_from",
            "occurred_to",
            "lat",
            "lon",
            "sweref_e",
            "sweref_n",
            "area",
            "area_name",
            "place_description",
            "description",
            "count",
            "reporting_organisation",
            "reporting_organisation_name",
            "source",
            "source_url",
            "source_type",
            "status",
            "visibility",
            "has_personal_data",
            "is_summary",
            "created_at",
            "updated_at",
            "geometry",
        ]
        read_only_fields = fields

    def _texts_allowed(self, obj: Incident) -> bool:
        return not obj.has_personal_data or bool(self.context.get("personal_data_read"))

    @extend_schema_field(OpenApiTypes.INT)
    def get_main_category(self, obj: Incident) -> int:
        return obj.category.parent_id or obj.category_id

    @extend_schema_field({"type": "string", "nullable": True})
    def get_area_name(self, obj: Incident):
        return obj.area.name if obj.area_id else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_reporting_organisation_name(self, obj: Incident):
        return obj.reporting_organisation.name if obj.reporting_organisation_id else None

    @extend_schema_field(
        {
            "type": "string",
            "nullable": True,
            "description": "null in lists when the text contains personal data; the detail "
            "returns it and logs the read.",
        }
    )
    def get_description(self, obj: Incident):
        return obj.description if self._texts_allowed(obj) else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_place_description(self, obj: Incident):
        return obj.place_description if self._texts_allowed(obj) else None

    @extend_schema_field(POINT_SCHEMA)
    def get_geometry(self, obj: Incident):
        if not obj.has_point:
            return None
        return {"type": "Point", "coordinates": [obj.lon, obj.lat]}


def _check_time(value):
    if value is not None and value < EARLIEST:
        raise ValidationError(_("The time must be after 1900."))
    return value


class IncidentUpdateSerializer(serializers.Serializer):
    category = RestrictedPrimaryKeyField(Category, required=False)
    occurred_from = serializers.DateTimeField(required=False)
    occurred_to = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Only when the exact time is unknown."
    )
    lat = serializers.FloatField(required=False, allow_null=True, help_text="WGS84 latitude")
    lon = serializers.FloatField(required=False, allow_null=True, help_text="WGS84 longitude")
    sweref_e = serializers.FloatField(
        required=False, allow_null=True, help_text="SWEREF 99 TM easting (metres)"
    )
    sweref_n = serializers.FloatField(
        required=False, allow_null=True, help_text="SWEREF 99 TM northing (metres)"
    )
    area = RestrictedPrimaryKeyField(
        Area,
        required=False,
        allow_null=True,
        help_text="An area of the municipality, when there is no point.",
    )
    place_description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    count = serializers.IntegerField(required=False, min_value=1, max_value=10000)
    has_personal_data = serializers.BooleanField(required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="Only for those who manage the municipality.",
    )

    def validate_occurred_from(self, value):
        return _check_time(value)

    def validate_occurred_to(self, value):
        return _check_time(value)


class IncidentCreateSerializer(IncidentUpdateSerializer):
    municipality = MunicipalityCodeField()
    category = RestrictedPrimaryKeyField(Category)
    occurred_from = serializers.DateTimeField()
    reporting_organisation = RestrictedPrimaryKeyField(
        Organisation,
        required=False,
        allow_null=True,
        help_text="An organisation you may report for in the municipality.",
    )
    status = None


class CategorySerializer(serializers.ModelSerializer):
    municipality = MunicipalityRefField(
        allow_null=True, help_text="Kommunkod; national categories have none (null)."
    )
    parent = RestrictedPrimaryKeyField(
        Category, required=False, allow_null=True, help_text="The main category, if any."
    )
    code = serializers.SlugField(max_length=60)

    class Meta:
        model = Category
        fields = [
            "id",
            "municipality",
            "parent",
            "code",
            "name",
            "description",
            "sort_order",
            "is_active",
        ]

    def validate(self, attrs):
        if attrs.get("municipality") is None:
            raise ValidationError(
                {"municipality": [_("Give the municipality the category belongs to.")]}
            )
        # The main category, the code and the name are checked by services.create_category.
        return attrs


class ImportProfileSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ImportProfile
        fields = ["id", "municipality", "name", "mapping", "created_at", "updated_at"]
        read_only_fields = fields


# --- viewsets -------------------------------------------------------------------------------
MUNICIPALITY_PARAM = OpenApiParameter(
    "municipality",
    OpenApiTypes.STR,
    description="Kommunkod, e.g. 2281",
)


def _is_code(value: str) -> bool:
    """A kommunkod: four ASCII digits (anything else matches no municipality)."""
    return len(value) == 4 and value.isascii() and value.isdigit()


def _location(municipality: Municipality, data: dict):
    """Validate a location (raises Django's ValidationError → a field-keyed 400)."""
    return resolve(municipality, **{f: data.get(f) for f in LOCATION_FIELDS})


@extend_schema_view(
    list=extend_schema(
        summary="Incidents visible to you",
        description="Cursor-paginated, newest first. `?format=geojson` returns a GeoJSON "
        "FeatureCollection (point geometry; null for incidents placed only in an area).",
    ),
    retrieve=extend_schema(summary="One incident (a read of personal data is logged)"),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = IncidentSerializer
    filterset_class = ApiIncidentFilter
    pagination_class = IncidentCursorPagination
    renderer_classes = [JSONRenderer, IncidentGeoJSONRenderer]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        action = VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else CHANGE
        qs = Incident.objects.visible_to(self.request.user, action)
        code = self.request.query_params.get("municipality") if self.action == "list" else None
        if self.action == "list" and not code:
            # several municipalities: each county-level event once, not once per municipality
            viewable = resolver_for(self.request.user).municipalities_with("view")
            qs = qs.one_copy_per_event(viewable)
        one = selectors.municipality_by_code(code) if code and _is_code(code) else None
        return selectors.with_related(qs, one)

    def get_serializer_class(self):
        if self.action == "create":
            return IncidentCreateSerializer
        if self.action == "partial_update":
            return IncidentUpdateSerializer
        return IncidentSerializer

    def _out(self, incident: Incident, status_code=status.HTTP_200_OK) -> Response:
        """The incident with its texts. The caller has logged the read
        (``selectors.log_incident_read``) when the texts hold personal data."""
        context = {**self.get_serializer_context(), "personal_data_read": True}
        return Response(IncidentSerializer(incident, context=context).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        incident = self.get_object()
        if incident.has_personal_data and incident.municipality_id:
            with transaction.atomic():
                incident = selectors.incident_detail(
                    request.user, incident.municipality, incident.pk, purpose=PURPOSE_API
                )
            return self._out(incident)
        return Response(self.get_serializer(incident).data)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentSerializer})
    def create(self, request, *args, **kwargs):
        serializer = IncidentCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        municipality = d["municipality"]
        if not resolver_for(request.user).can_create_in(Incident, municipality):
            raise PermissionDenied(_("Your role may not report incidents in the municipality."))
        with transaction.atomic():
            incident = services.incident_create(
                actor=request.user,
                municipality=municipality,
                category=d["category"],
                occurred_from=d["occurred_from"],
                occurred_to=d.get("occurred_to"),
                location=_location(municipality, d),
                description=d.get("description", ""),
                place_description=d.get("place_description", ""),
                count=d.get("count", 1),
                reporting_organisation=d.get("reporting_organisation"),
                has_personal_data=d.get("has_personal_data", False),
                visibility=d.get("visibility", Visibility.SHARED),
                source=Source.API,
            )
            # the response returns the texts: a read like the detail's
            selectors.log_incident_read(request.user, incident, purpose=PURPOSE_API_CREATE)
        return self._out(incident, status.HTTP_201_CREATED)

    @extend_schema(request=IncidentUpdateSerializer, responses={200: IncidentSerializer})
    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        serializer = IncidentUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        d = dict(serializer.validated_data)
        new_status = d.pop("status", None)
        fields = {}
        if any(f in d for f in LOCATION_FIELDS):
            if incident.county_event:
                raise ValidationError({"lat": [_("County-level events have no place to change.")]})
            fields["location"] = _location(incident.municipality, d)
        for key in (
            "category",
            "occurred_from",
            "occurred_to",
            "description",
            "place_description",
            "count",
            "has_personal_data",
            "visibility",
        ):
            if key in d:
                fields[key] = d[key]
        if fields and incident.county_event:
            raise ValidationError(
                {"non_field_errors": [_("County-level police events can only change status.")]}
            )
        with transaction.atomic():
            if fields:
                incident = services.incident_update(actor=request.user, incident=incident, **fields)
            if new_status is not None and new_status != incident.status:
                incident = services.incident_set_status(
                    actor=request.user, incident=incident, status=new_status
                )
            # the response returns the texts as they are now: a read like the detail's
            selectors.log_incident_read(request.user, incident, purpose=PURPOSE_API_UPDATE)
        return self._out(incident)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "municipality",
                OpenApiTypes.STR,
                description="Kommunkod: the categories usable there (national + its own).",
            )
        ]
    )
)
class CategoryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Incident categories: the national set and each municipality's own additions."""

    serializer_class = CategorySerializer
    filterset_fields = ["is_active"]

    def get_queryset(self):
        qs = Category.objects.visible_to(self.request.user, VIEW).select_related(
            "parent", "municipality"
        )
        code = self.request.query_params.get("municipality")
        if code:
            if not _is_code(code):
                return qs.none()
            qs = qs.filter(Q(municipality__isnull=True) | Q(municipality__code=code))
        return qs

    def perform_create(self, serializer):
        d = serializer.validated_data
        try:
            serializer.instance = services.create_category(
                self.request.user,
                d["municipality"],
                parent=d.get("parent"),
                code=d["code"],
                name=d["name"],
                description=d.get("description", ""),
                sort_order=d.get("sort_order", 100),
                is_active=d.get("is_active", True),
            )
        except DjangoPermissionDenied:
            raise PermissionDenied(
                _("Your role may not add categories in the municipality.")
            ) from None


@extend_schema_view(list=extend_schema(parameters=[MUNICIPALITY_PARAM]))
class ImportProfileViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Saved column mappings for recurring CSV/XLSX imports (analysts and managers)."""

    model = ImportProfile
    serializer_class = ImportProfileSerializer

    def get_queryset(self):
        code = self.request.query_params.get("municipality")
        if code and not _is_code(code):
            return ImportProfile.objects.none()
        return super().get_queryset().select_related("municipality")
