"""Writers of area layers and areas (the one writer of ``AreaLayer`` and ``Area``).

A change to a layer's areas sends :data:`layer_changed` once its transaction commits, so the
apps that place things in areas (incidents) recompute what lies where, without core knowing
them. Bulk writers (the GIS import) save many areas with ``notify=False`` and then call
:func:`notify_layer_changed` once.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from brygga.core.area_codes import (
    check_area_code,
    normalise_code,
    statistical_kind,
    wrong_municipality_message,
)

from ..geo import GeometryError, as_geojson, parse_polygon
from ..models import Area, AreaLayer, LayerKind, Municipality
from . import _delete_unless_referenced, _require_change, _require_manage

# Sent with ``layer`` (an AreaLayer) after a commit that changed its areas.
layer_changed = Signal()

# The name a statistical layer gets when Brygga creates it (statistics, register extracts).
STATISTICAL_LAYER_NAMES = {LayerKind.DESO: "DeSO", LayerKind.REGSO: "RegSO"}


def notify_layer_changed(layer: AreaLayer) -> None:
    transaction.on_commit(lambda: layer_changed.send(sender=AreaLayer, layer=layer))


@transaction.atomic
def area_layer_save(
    *,
    actor,
    municipality: Municipality,
    instance: AreaLayer | None = None,
    name: str,
    kind: str,
    description: str = "",
) -> AreaLayer:
    if instance is None:
        _require_manage(actor, municipality, AreaLayer)
        instance = AreaLayer(municipality=municipality)
    else:
        _require_change(actor, instance)
        if instance.kind != kind and instance.areas.exists():
            raise ValidationError(
                {"kind": _("The kind of a layer that has areas cannot be changed.")}
            )
    instance.name, instance.kind, instance.description = name.strip(), kind, description
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def area_layer_delete(*, actor, layer: AreaLayer) -> None:
    _require_change(actor, layer)
    for area in layer.areas.all():
        _delete_unless_referenced(area)
    _delete_unless_referenced(layer)
    notify_layer_changed(layer)


OWN_LAYER_NAME = "Egna områden"


def default_layer(*, actor, municipality: Municipality) -> AreaLayer:
    """The municipality's first layer of its own areas, created when it has none: where an area
    goes when no layer is named (the API, the demo)."""
    layer = (
        AreaLayer.objects.filter(municipality=municipality, kind=LayerKind.OWN)
        .order_by("pk")
        .first()
    )
    if layer is not None:
        return layer
    return area_layer_save(
        actor=actor, municipality=municipality, name=OWN_LAYER_NAME, kind=LayerKind.OWN
    )


def statistical_layer(*, actor, municipality: Municipality, kind: str) -> AreaLayer:
    """The municipality's DeSO or RegSO layer, created when it has none yet."""
    layer = AreaLayer.objects.filter(municipality=municipality, kind=kind).first()
    if layer is not None:
        return layer
    return area_layer_save(
        actor=actor,
        municipality=municipality,
        name=STATISTICAL_LAYER_NAMES[kind],
        kind=kind,
        description=_("SCB's statistical areas. Created by Brygga when their codes first came."),
    )


@transaction.atomic
def area_save(
    *,
    actor,
    municipality: Municipality,
    layer: AreaLayer,
    instance: Area | None = None,
    name: str,
    geometry,
    official_code: str = "",
    description: str = "",
    is_demo_geometry: bool = False,
    notify: bool = True,
    repaired=None,
) -> Area:
    """Create or change an area. ``geometry`` may be ``None`` only in a statistical layer (an
    area known by its code until its boundary is loaded). ``repaired`` is an already validated
    shapely geometry (the GIS import repairs and checks a whole file before it writes)."""
    if instance is None:
        _require_manage(actor, municipality, Area)
        instance = Area(municipality=municipality)
    else:
        _require_change(actor, instance)
    if layer.municipality_id != municipality.pk:
        raise ValidationError({"layer": _("The layer belongs to another municipality.")})
    geom = repaired
    if geom is None and geometry is not None:
        try:
            geom = parse_polygon(geometry, municipality=municipality)
        except GeometryError as exc:
            raise ValidationError({"geometry": str(exc)}) from None
    if geom is None and not layer.is_statistical:
        raise ValidationError({"geometry": _("An area of this layer needs a boundary.")})
    instance.layer = layer
    instance.name, instance.official_code = name.strip(), normalise_code(official_code)
    instance.description, instance.is_demo_geometry = description, is_demo_geometry
    if geom is None:
        instance.geometry = None
        instance.min_lon = instance.min_lat = instance.max_lon = instance.max_lat = None
        instance.centre_lon = instance.centre_lat = None
    else:
        instance.geometry = as_geojson(geom)
        instance.set_bounds_from(geom)
    instance.full_clean()
    instance.save()
    if notify:
        notify_layer_changed(layer)
    return instance


@transaction.atomic
def area_delete(*, actor, area: Area) -> None:
    _require_change(actor, area)
    layer = area.layer
    _delete_unless_referenced(area)
    notify_layer_changed(layer)


def area_for_code(*, actor, municipality: Municipality, code: str) -> Area:
    """The area with this official code in ``municipality``: in the statistical layer of the
    code's kind (a DeSO or RegSO code), created there by its code alone when it is new; for any
    other code, an existing area with that code. Raises a ValidationError with a Swedish message
    when the code is malformed, belongs to another municipality or is unknown."""
    code = normalise_code(code)
    kind = statistical_kind(code)
    if kind is None:
        area = Area.objects.filter(municipality=municipality, official_code=code).first()
        if area is None:
            raise ValidationError(
                _(
                    "No area of %(name)s has the code “%(code)s”, and it is not a DeSO or RegSO code."
                )
                % {"name": municipality.name, "code": code}
            )
        return area
    try:
        check_area_code(code, layer_kind=kind, municipality=municipality)
    except ValidationError:
        raise ValidationError(wrong_municipality_message(code, municipality)) from None
    layer = statistical_layer(actor=actor, municipality=municipality, kind=kind)
    area = Area.objects.filter(municipality=municipality, layer=layer, official_code=code).first()
    if area is not None:
        return area
    return area_save(
        actor=actor,
        municipality=municipality,
        layer=layer,
        name=code,
        geometry=None,
        official_code=code,
        notify=False,  # no boundary: nothing is placed by it
    )
