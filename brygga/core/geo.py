"""Geometry helpers for the Django side: validation of area polygons and point-in-area lookup.

No GDAL: geometries are GeoJSON in WGS84 (longitude, latitude), handled with shapely; SWEREF 99
TM (EPSG:3006) conversions with pyproj.
"""

from __future__ import annotations

import json
from functools import lru_cache

import shapely
from django.utils.translation import gettext as _
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.validation import explain_validity

# A generous box around Sweden, WGS84.
SWEDEN_LON = (10.0, 24.5)
SWEDEN_LAT = (55.0, 69.5)
# The stored municipality boundaries are simplified; allow this much slack (metres) at the edge.
BOUNDARY_TOLERANCE_M = 300.0


class GeometryError(ValueError):
    """A geometry a user supplied cannot be used; the message says why, in Swedish."""


@lru_cache(maxsize=4)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def wgs84_to_sweref(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) WGS84 → (E, N) SWEREF 99 TM in metres."""
    return _transformer("EPSG:4326", "EPSG:3006").transform(lon, lat)


def sweref_to_wgs84(e: float, n: float) -> tuple[float, float]:
    """(E, N) SWEREF 99 TM → (lon, lat) WGS84."""
    return _transformer("EPSG:3006", "EPSG:4326").transform(e, n)


def to_sweref(geom):
    return shapely.transform(geom, lambda xy: _transform_array(xy, "EPSG:4326", "EPSG:3006"))


def _transform_array(xy, src, dst):
    import numpy as np

    x, y = _transformer(src, dst).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def parse_polygon(raw, *, municipality=None):
    """Parse user-supplied GeoJSON into a valid (Multi)Polygon inside ``municipality``.

    Accepts a geometry, a Feature, or a FeatureCollection holding exactly one feature, as a dict
    or as JSON text. Raises :class:`GeometryError` with a message that says what is wrong.
    """
    if isinstance(raw, (str, bytes)):
        try:
            data = json.loads(raw)
        except (ValueError, TypeError) as exc:
            raise GeometryError(
                _(
                    "The geometry is not valid GeoJSON (JSON error at line %(line)s, column %(col)s)."
                )
                % {"line": getattr(exc, "lineno", "?"), "col": getattr(exc, "colno", "?")}
            ) from None
    else:
        data = raw
    if not isinstance(data, dict) or "type" not in data:
        raise GeometryError(
            _("The geometry is not valid GeoJSON: an object with “type” is missing.")
        )
    if data["type"] == "FeatureCollection":
        feats = data.get("features") or []
        if len(feats) != 1:
            raise GeometryError(
                _("The FeatureCollection must hold exactly one feature; it holds %(n)s.")
                % {"n": len(feats)}
            )
        data = feats[0]
    if data.get("type") == "Feature":
        data = data.get("geometry") or {}
    gtype = data.get("type") if isinstance(data, dict) else None
    if gtype not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            _("The geometry must be a Polygon or MultiPolygon, not %(type)s.")
            % {"type": gtype or _("an unknown type")}
        )
    try:
        geom = shape(data)
    except Exception:  # shapely raises several types for malformed coordinates
        raise GeometryError(
            _(
                "The polygon's coordinates are malformed: each ring must be a list of "
                "[longitude, latitude] pairs, closed and with at least four positions."
            )
        ) from None
    if geom.is_empty:
        raise GeometryError(_("The polygon is empty."))
    minx, miny, maxx, maxy = geom.bounds
    if not (
        SWEDEN_LON[0] <= minx
        and maxx <= SWEDEN_LON[1]
        and SWEDEN_LAT[0] <= miny
        and maxy <= SWEDEN_LAT[1]
    ):
        if SWEDEN_LAT[0] <= minx <= SWEDEN_LAT[1] and SWEDEN_LON[0] <= miny <= SWEDEN_LON[1]:
            raise GeometryError(
                _("The coordinates look swapped: GeoJSON positions are [longitude, latitude].")
            )
        if maxx > 1000 or maxy > 1000:
            raise GeometryError(
                _(
                    "The coordinates look like metres (e.g. SWEREF 99 TM); GeoJSON must be in "
                    "WGS84 degrees [longitude, latitude]."
                )
            )
        raise GeometryError(_("The polygon lies outside Sweden."))
    if not geom.is_valid:
        reason = explain_validity(geom)
        if reason.lower().startswith(("self-intersection", "ring self-intersection")):
            if "[" in reason:
                where = reason[reason.find("[") + 1 : reason.find("]")]
                raise GeometryError(
                    _("The polygon intersects itself (near %(where)s).") % {"where": where}
                )
            raise GeometryError(_("The polygon intersects itself."))
        raise GeometryError(
            _(
                "The polygon is not valid (%(reason)s). Check that every ring is closed and that "
                "holes lie inside the outer ring."
            )
            % {"reason": reason}
        )
    if geom.area == 0:
        raise GeometryError(_("The polygon has no area."))
    if municipality is not None and municipality.boundary:
        outside = outside_share(geom, municipality)
        if outside > 0.01:
            raise GeometryError(
                _(
                    "The polygon lies outside the municipality %(name)s (%(pct)s %% of its area "
                    "is outside the boundary)."
                )
                % {"name": municipality.name, "pct": round(outside * 100)}
            )
    return geom


def outside_share(geom, municipality) -> float:
    """Share of ``geom``'s area (0–1) outside the municipality boundary, with tolerance."""
    allowed = _tolerant_boundary(json.dumps(municipality.boundary, sort_keys=True))
    g = to_sweref(geom)
    if g.area == 0:
        return 0.0
    if allowed.contains(g):  # prepared: the quick answer for most areas
        return 0.0
    if not allowed.intersects(g):
        return 1.0
    return g.difference(allowed).area / g.area


@lru_cache(maxsize=16)
def _tolerant_boundary(boundary_json: str):
    """The boundary in SWEREF 99 TM buffered by the tolerance, prepared (a file import asks
    for every feature)."""
    geom = _shape_from_json(boundary_json, True).buffer(BOUNDARY_TOLERANCE_M)
    shapely.prepare(geom)
    return geom


@lru_cache(maxsize=16)
def _shape_from_json(geometry_json: str, sweref: bool):
    geom = shape(json.loads(geometry_json))
    if not geom.is_valid:
        geom = geom.buffer(0)
    return to_sweref(geom) if sweref else geom


def boundary_wgs84(municipality):
    """The municipality boundary as a shapely geometry in WGS84 (cached)."""
    return _shape_from_json(json.dumps(municipality.boundary, sort_keys=True), False)


def boundary_sweref(municipality):
    """The municipality boundary in SWEREF 99 TM metres (cached)."""
    return _shape_from_json(json.dumps(municipality.boundary, sort_keys=True), True)


def as_geojson(geom) -> dict:
    if isinstance(geom, Polygon | MultiPolygon):
        return json.loads(json.dumps(mapping(geom)))
    raise GeometryError(_("The geometry must be a Polygon or MultiPolygon."))


def areas_containing(areas, lon: float, lat: float) -> list:
    """Of ``areas`` (an iterable of Area with ``geometry``), those that contain the point."""
    hits = []
    for area in areas:
        if not area.geometry:
            continue  # a statistical area known by its code alone
        if area.min_lon is not None and not (
            area.min_lon <= lon <= area.max_lon and area.min_lat <= lat <= area.max_lat
        ):
            continue
        if shapely.contains_xy(
            _area_shape(area.pk, area.updated_at.isoformat(), json.dumps(area.geometry)), lon, lat
        ):
            hits.append(area)
    return hits


@lru_cache(maxsize=2048)
def _area_shape(pk: int, version: str, geometry_json: str):
    geom = shape(json.loads(geometry_json))
    shapely.prepare(geom)
    return geom
