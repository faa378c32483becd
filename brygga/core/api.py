"""REST API for the core domain (mounted under /api/v1/ by brygga.api.urls).

Every queryset is narrowed through the resolver: ``visible_to(user, "view")`` for reads and
``visible_to(user, "change")`` for writes, so a row the user may not see answers 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import JSONRenderer

from . import services
from .access import CHANGE, VIEW, resolver_for
from .geo import GeometryError, parse_polygon
from .models import (
    Area,
    AreaLayer,
    County,
    Forum,
    Membership,
    Municipality,
    Organisation,
    PoliceArea,
)


class GeoJSONRenderer(JSONRenderer):
    """``?format=geojson``: a FeatureCollection of the serialized rows' ``geometry``."""

    media_type = "application/geo+json"
    format = "geojson"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            return super().render(data, accepted_media_type, renderer_context)
        rows = data.get("results", data) if isinstance(data, dict) else data
        if isinstance(rows, dict):
            rows = [rows]
        features = []
        for row in rows:
            props = {k: v for k, v in row.items() if k not in ("geometry", "boundary")}
            geom = row.get("geometry") or row.get("boundary")
            features.append(
                {
                    "type": "Feature",
                    "id": row.get("id") or row.get("code"),
                    "geometry": geom,
                    "properties": props,
                }
            )
        fc = {"type": "FeatureCollection", "features": features}
        if isinstance(data, dict) and "count" in data:
            fc["count"] = data["count"]
            fc["next"], fc["previous"] = data.get("next"), data.get("previous")
        return super().render(fc, accepted_media_type, renderer_context)


class MunicipalityRefField(serializers.SlugRelatedField):
    """The municipality by kommunkod, limited to those the user may manage."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return Municipality.objects.visible_to(request.user if request else None, VIEW)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) != 4 or not data.isdigit():
            raise ValidationError(
                _(
                    "Unknown municipality code %(code)r: a municipality code has four digits, e.g. 2281."
                )
                % {"code": str(data)[:20]}
            )
        try:
            return self.get_queryset().get(code=data)
        except Municipality.DoesNotExist:
            raise ValidationError(
                _("Unknown municipality code, or a municipality you have no role in: %(code)s.")
                % {"code": data}
            ) from None


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by id, looked up among the rows the user may see (``visible_to``): an id
    from another municipality answers exactly like an id that does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().visible_to(request.user if request else None, VIEW)


class CountySerializer(serializers.ModelSerializer):
    class Meta:
        model = County
        fields = ["code", "name"]


class MunicipalitySerializer(serializers.ModelSerializer):
    county = CountySerializer(read_only=True)

    class Meta:
        model = Municipality
        fields = [
            "code",
            "name",
            "county",
            "population",
            "population_year",
            "centre_lon",
            "centre_lat",
            "boundary",
        ]


class PoliceAreaSerializer(serializers.ModelSerializer):
    municipalities = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = PoliceArea
        fields = ["id", "name", "police_region", "municipalities"]


class OrganisationSerializer(serializers.ModelSerializer):
    municipality = MunicipalityRefField()
    parent = VisibleRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Organisation
        fields = [
            "id",
            "municipality",
            "name",
            "kind",
            "parent",
            "description",
            "contact_email",
            "is_active",
        ]


class AreaSerializer(serializers.ModelSerializer):
    municipality = MunicipalityRefField()
    layer = VisibleRelatedField(
        queryset=AreaLayer.objects.all(),
        required=False,
        help_text="The area's layer; when left out, the municipality's own areas.",
    )
    layer_name = serializers.CharField(source="layer.name", read_only=True)
    geometry = serializers.JSONField(
        allow_null=True,
        help_text="GeoJSON Polygon or MultiPolygon, WGS84 [longitude, latitude]; null for a "
        "statistical area known only by its code.",
    )

    class Meta:
        model = Area
        fields = [
            "id",
            "municipality",
            "name",
            "layer",
            "layer_name",
            "official_code",
            "description",
            "is_demo_geometry",
            "geometry",
        ]
        read_only_fields = ["is_demo_geometry"]
        # unique per layer: the service checks it (the layer may be left out: see above)
        validators = []

    def validate(self, attrs):
        municipality = attrs.get("municipality") or getattr(self.instance, "municipality", None)
        if attrs.get("geometry") is not None:
            try:
                parse_polygon(attrs["geometry"], municipality=municipality)
            except GeometryError as exc:
                raise ValidationError({"geometry": [str(exc)]}) from None
        return attrs


class ForumSerializer(serializers.ModelSerializer):
    municipality = MunicipalityRefField()
    organisations = VisibleRelatedField(
        queryset=Organisation.objects.all(), many=True, required=False
    )
    areas = VisibleRelatedField(queryset=Area.objects.all(), many=True, required=False)
    convener = VisibleRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Forum
        fields = [
            "id",
            "municipality",
            "name",
            "kind",
            "description",
            "convener",
            "organisations",
            "areas",
            "is_active",
        ]


class MembershipSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "municipality", "username", "organisation", "role"]


MUNICIPALITY_PARAM = OpenApiParameter(
    "municipality", OpenApiTypes.STR, description="Kommunkod, e.g. 2281"
)


class RestrictedViewSetMixin:
    """Every queryset comes from ``visible_to``: view for reads, change for writes."""

    model = None

    def get_queryset(self):
        action = VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else CHANGE
        qs = self.model.objects.visible_to(self.request.user, action)
        code = self.request.query_params.get("municipality")
        if code:
            qs = qs.filter(municipality__code=code)
        return qs

    def _check_create(self, municipality):
        if not resolver_for(self.request.user).can_create_in(self.model, municipality):
            raise PermissionDenied(_("Your role may not add this in the municipality."))


@extend_schema_view(list=extend_schema(parameters=[]))
class MunicipalityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MunicipalitySerializer
    lookup_field = "code"
    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def get_queryset(self):
        return Municipality.objects.visible_to(self.request.user).select_related("county")


class PoliceAreaViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PoliceAreaSerializer

    def get_queryset(self):
        return PoliceArea.objects.visible_to(self.request.user).prefetch_related("municipalities")


@extend_schema_view(list=extend_schema(parameters=[MUNICIPALITY_PARAM]))
class OrganisationViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    model = Organisation
    serializer_class = OrganisationSerializer
    filterset_fields = ["kind", "is_active"]

    def perform_create(self, serializer):
        d = serializer.validated_data
        self._check_create(d["municipality"])
        serializer.instance = services.organisation_save(
            actor=self.request.user,
            municipality=d["municipality"],
            name=d["name"],
            kind=d["kind"],
            parent=d.get("parent"),
            description=d.get("description", ""),
            contact_email=d.get("contact_email", ""),
            is_active=d.get("is_active", True),
        )

    def perform_update(self, serializer):
        inst = serializer.instance
        d = {
            **{
                f: getattr(inst, f)
                for f in ("name", "kind", "parent", "description", "contact_email", "is_active")
            },
            **serializer.validated_data,
        }
        if d.get("municipality", inst.municipality) != inst.municipality:
            raise ValidationError({"municipality": [_("The municipality cannot be changed.")]})
        serializer.instance = services.organisation_save(
            actor=self.request.user,
            municipality=inst.municipality,
            instance=inst,
            name=d["name"],
            kind=d["kind"],
            parent=d["parent"],
            description=d["description"],
            contact_email=d["contact_email"],
            is_active=d["is_active"],
        )

    def perform_destroy(self, instance):
        services.organisation_delete(actor=self.request.user, organisation=instance)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            MUNICIPALITY_PARAM,
            OpenApiParameter(
                "point",
                OpenApiTypes.STR,
                description="Only areas containing this WGS84 point, as 'lon,lat'.",
            ),
        ]
    )
)
class AreaViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    """Areas; ``?format=geojson`` answers a GeoJSON FeatureCollection."""

    model = Area
    serializer_class = AreaSerializer
    filterset_fields = ["layer", "official_code"]
    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def get_queryset(self):
        qs = super().get_queryset()
        point = self.request.query_params.get("point")
        if point:
            try:
                lon, lat = (float(v) for v in point.split(","))
            except ValueError:
                raise ValidationError(
                    {"point": [_("Give the point as 'longitude,latitude', e.g. 17.3069,62.3908.")]}
                ) from None
            from .geo import areas_containing

            hits = areas_containing(
                qs.filter(min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat),
                lon,
                lat,
            )
            qs = qs.filter(pk__in=[a.pk for a in hits])
        return qs

    def _save(self, serializer, instance=None):
        d = serializer.validated_data
        municipality = instance.municipality if instance else d["municipality"]
        if instance is None:
            self._check_create(municipality)
        elif d.get("municipality", municipality) != municipality:
            raise ValidationError({"municipality": [_("The municipality cannot be changed.")]})
        cur = (
            {
                f: getattr(instance, f)
                for f in ("name", "layer", "official_code", "description", "geometry")
            }
            if instance
            else {}
        )
        d = {**cur, **d}
        try:
            serializer.instance = services.area_save(
                actor=self.request.user,
                municipality=municipality,
                instance=instance,
                name=d["name"],
                layer=d.get("layer")
                or services.default_layer(actor=self.request.user, municipality=municipality),
                official_code=d.get("official_code", ""),
                description=d.get("description", ""),
                geometry=d["geometry"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from None

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.area_delete(actor=self.request.user, area=instance)


@extend_schema_view(list=extend_schema(parameters=[MUNICIPALITY_PARAM]))
class ForumViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    model = Forum
    serializer_class = ForumSerializer
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("organisations", "areas")

    def _save(self, serializer, instance=None):
        d = serializer.validated_data
        municipality = instance.municipality if instance else d["municipality"]
        if instance is None:
            self._check_create(municipality)
        cur = {}
        if instance:
            cur = {
                "name": instance.name,
                "kind": instance.kind,
                "description": instance.description,
                "convener": instance.convener,
                "organisations": list(instance.organisations.all()),
                "areas": list(instance.areas.all()),
                "is_active": instance.is_active,
            }
        d = {**cur, **d}
        serializer.instance = services.forum_save(
            actor=self.request.user,
            municipality=municipality,
            instance=instance,
            name=d["name"],
            kind=d["kind"],
            description=d.get("description", ""),
            organisations=d.get("organisations", []),
            areas=d.get("areas", []),
            convener=d.get("convener"),
            is_active=d.get("is_active", True),
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.forum_delete(actor=self.request.user, forum=instance)


@extend_schema_view(list=extend_schema(parameters=[MUNICIPALITY_PARAM]))
class MembershipViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Roles: who holds which role in which organisation (read-only; managed in the UI)."""

    model = Membership
    serializer_class = MembershipSerializer
    filterset_fields = ["role", "organisation"]

    def get_queryset(self):
        return super().get_queryset().select_related("user", "municipality")
