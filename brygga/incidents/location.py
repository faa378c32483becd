"""Where an incident happened: validation and derivation shared by the report form, the API,
imports and Open311. Messages are Swedish (gettext) and name the field that is wrong."""

from __future__ import annotations

import math
from dataclasses import dataclass

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from brygga.core.geo import (
    BOUNDARY_TOLERANCE_M,
    SWEDEN_LAT,
    SWEDEN_LON,
    boundary_sweref,
    sweref_to_wgs84,
    wgs84_to_sweref,
)
from brygga.core.models import STATISTICAL_LAYER_KINDS, Area, AreaLayer, Municipality

# SWEREF 99 TM covers Sweden with eastings of about 250–930 km and northings 6 100–7 700 km.
SWEREF_E = (200_000.0, 1_000_000.0)
SWEREF_N = (6_000_000.0, 7_800_000.0)
# Codes of the errors about the place as a whole, not one input: no place given, a point
# outside the municipality. The report form shows them on its "where" fieldset.
GROUP_ERRORS = frozenset({"no_location", "outside_municipality"})


@dataclass(frozen=True)
class Location:
    lat: float | None = None
    lon: float | None = None
    sweref_e: float | None = None
    sweref_n: float | None = None
    area: Area | None = None

    @property
    def has_point(self) -> bool:
        return self.lat is not None


def _finite(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def check_wgs84(lat: float, lon: float, field: str = "lat") -> None:
    if not _finite(lat, lon):
        raise ValidationError({field: _("The coordinates must be numbers.")})
    if SWEDEN_LAT[0] <= lat <= SWEDEN_LAT[1] and SWEDEN_LON[0] <= lon <= SWEDEN_LON[1]:
        return
    if SWEDEN_LAT[0] <= lon <= SWEDEN_LAT[1] and SWEDEN_LON[0] <= lat <= SWEDEN_LON[1]:
        raise ValidationError(
            {
                field: _(
                    "Latitude and longitude look swapped (latitude is about "
                    "55–69 in Sweden, longitude 11–24)."
                )
            }
        )
    if abs(lat) > 1000 or abs(lon) > 1000:
        raise ValidationError(
            {
                field: _(
                    "The values look like SWEREF 99 TM metres, not WGS84 "
                    "degrees. Give them as SWEREF 99 TM instead."
                )
            }
        )
    raise ValidationError({field: _("The point lies outside Sweden.")})


def check_sweref(e: float, n: float, field: str = "sweref_e") -> None:
    if not _finite(e, n):
        raise ValidationError({field: _("The coordinates must be numbers.")})
    if SWEREF_E[0] <= e <= SWEREF_E[1] and SWEREF_N[0] <= n <= SWEREF_N[1]:
        return
    if SWEREF_E[0] <= n <= SWEREF_E[1] and SWEREF_N[0] <= e <= SWEREF_N[1]:
        raise ValidationError(
            {
                field: _(
                    "Easting and northing look swapped (northing is about "
                    "6 100 000–7 700 000 m in Sweden)."
                )
            }
        )
    if abs(e) < 1000 and abs(n) < 1000:
        raise ValidationError(
            {
                field: _(
                    "The values look like WGS84 degrees, not SWEREF 99 TM "
                    "metres. Give them as latitude and longitude instead."
                )
            }
        )
    raise ValidationError({field: _("The point lies outside Sweden.")})


def inside_municipality(municipality: Municipality, e: float, n: float) -> bool:
    boundary = boundary_sweref(municipality)
    if shapely.contains_xy(boundary, e, n):
        return True
    return boundary.distance(shapely.Point(e, n)) <= BOUNDARY_TOLERANCE_M


def area_at(municipality: Municipality, lat: float, lon: float, areas=None) -> Area | None:
    """The smallest area of the municipality containing the point (areas may be nested)."""
    from brygga.core.geo import areas_containing

    candidates = (
        areas
        if areas is not None
        else Area.objects.filter(
            municipality=municipality,
            min_lon__lte=lon,
            max_lon__gte=lon,
            min_lat__lte=lat,
            max_lat__gte=lat,
        )
    )
    hits = areas_containing(candidates, lon, lat)
    if not hits:
        return None
    statistical = _statistical_layers(municipality)
    return min(
        hits,
        key=lambda a: (
            a.layer_id in statistical,
            (a.max_lon - a.min_lon) * (a.max_lat - a.min_lat),
        ),
    )


def _statistical_layers(municipality: Municipality) -> set[int]:
    """The municipality's DeSO/RegSO layers. An incident's own area is the smallest area of the
    municipality's other layers that holds its point, and a statistical area only where none
    does (its area in every layer is kept as its placements)."""
    return set(
        AreaLayer.objects.filter(
            municipality=municipality, kind__in=STATISTICAL_LAYER_KINDS
        ).values_list("pk", flat=True)
    )


def resolve(
    municipality: Municipality,
    *,
    lat: float | None = None,
    lon: float | None = None,
    sweref_e: float | None = None,
    sweref_n: float | None = None,
    area: Area | None = None,
    areas=None,
) -> Location:
    """Validate and complete a location. A point wins over an area; with only an area the
    incident is placed in the area without a point of its own."""
    if lat is not None or lon is not None:
        if lat is None or lon is None:
            raise ValidationError({"lat": _("Give both latitude and longitude.")})
        check_wgs84(lat, lon)
        e, n = wgs84_to_sweref(lon, lat)
    elif sweref_e is not None or sweref_n is not None:
        if sweref_e is None or sweref_n is None:
            raise ValidationError({"sweref_e": _("Give both easting (E) and northing (N).")})
        check_sweref(sweref_e, sweref_n)
        e, n = sweref_e, sweref_n
        lon, lat = sweref_to_wgs84(e, n)
    elif area is not None:
        if area.municipality_id != municipality.pk:
            raise ValidationError({"area": _("The area belongs to another municipality.")})
        return Location(area=area)
    else:
        raise ValidationError(
            {
                "lat": ValidationError(
                    _("Say where it happened: a point on the map, coordinates or an area."),
                    code="no_location",
                )
            }
        )
    if not inside_municipality(municipality, e, n):
        raise ValidationError(
            {
                "lat": ValidationError(
                    _("The point lies outside the municipality %(name)s.")
                    % {"name": municipality.name},
                    code="outside_municipality",
                )
            }
        )
    lat, lon = round(lat, 7), round(lon, 7)
    found = area_at(municipality, lat, lon, areas)
    return Location(
        lat=lat, lon=lon, sweref_e=round(e, 2), sweref_n=round(n, 2), area=found or area
    )


class PointPlacer:
    """:func:`resolve`'s completion of a point, for a batch of points already checked (the
    imports): a point given in WGS84 gets its SWEREF 99 TM coordinates and the reverse (with
    pyproj, on whole columns), both are rounded as ``resolve`` stores them (7 decimals, 0.01 m)
    and the point is placed in the smallest area of the municipality that contains it
    (bounding-box size, the first in the areas' order on a tie; shapely on whole columns); a
    point in no area keeps the area given with it. Used by
    :func:`brygga.incidents.services.set_derived_fields`, so every incident written in bulk is
    completed here. One placer serves every batch of an import: the areas are read once."""

    def __init__(self, municipality: Municipality, areas=None):
        import json

        import numpy as np

        from brygga.core.geo import _area_shape, _transformer

        self.municipality = municipality
        self.areas = [
            a
            for a in (
                areas if areas is not None else Area.objects.filter(municipality=municipality)
            )
            if a.geometry  # not the statistical areas known by their codes alone
        ]
        self.to_sweref = _transformer("EPSG:4326", "EPSG:3006")
        self.to_wgs = _transformer("EPSG:3006", "EPSG:4326")
        self.shapes = []
        statistical = _statistical_layers(municipality)
        for a in self.areas:
            geom = _area_shape(a.pk, a.updated_at.isoformat(), json.dumps(a.geometry))
            bounds = (
                (a.min_lon, a.min_lat, a.max_lon, a.max_lat)
                if a.min_lon is not None
                else (-np.inf, -np.inf, np.inf, np.inf)
            )
            size = (
                (a.max_lon - a.min_lon) * (a.max_lat - a.min_lat)
                if a.min_lon is not None
                else np.inf
            )
            if a.layer_id in statistical:
                size += 1e6  # larger than any bounding box in degrees²: the other layers first
            self.shapes.append((a.pk, geom, bounds, size))

    def place(self, lat: list, lon: list, e: list, n: list, area: list) -> tuple[list, ...]:
        """Columns in (``None`` where not given; a row has a point in one system, or none),
        the same columns completed out: ``(lat, lon, sweref_e, sweref_n, area_id)``."""
        import numpy as np

        plat, plon = np.array(lat, dtype=float), np.array(lon, dtype=float)  # None → NaN
        pe, pn = np.array(e, dtype=float), np.array(n, dtype=float)
        w = ~np.isnan(plat) & ~np.isnan(plon)
        s = ~w & ~np.isnan(pe) & ~np.isnan(pn)
        if w.any():
            pe[w], pn[w] = self.to_sweref.transform(plon[w], plat[w])
        if s.any():
            plon[s], plat[s] = self.to_wgs.transform(pe[s], pn[s])
        pts = w | s
        # the smallest containing area (bounding-box size, first in order on a tie)
        plat, plon = np.round(plat, 7), np.round(plon, 7)
        found = np.full(len(plat), -1, dtype=np.int64)
        best = np.full(len(plat), np.inf)
        for j, (_pk, geom, (x0, y0, x1, y1), size) in enumerate(self.shapes):
            m = pts & (size < best) & (plon >= x0) & (plon <= x1) & (plat >= y0) & (plat <= y1)
            idx = np.flatnonzero(m)
            if len(idx):
                hit = idx[shapely.contains_xy(geom, plon[idx], plat[idx])]
                found[hit] = j
                best[hit] = size
        out_area = np.array(area, dtype=object)
        hit = np.flatnonzero(found >= 0)
        if len(hit):
            ids = np.array([pk for pk, *_rest in self.shapes], dtype=object)
            out_area[hit] = ids[found[hit]]
        at = np.flatnonzero(pts)

        def column(values, given):
            out = np.array(given, dtype=object)
            out[at] = values[at].astype(object)
            return out.tolist()

        return (
            column(plat, lat),
            column(plon, lon),
            column(np.round(pe, 2), e),
            column(np.round(pn, 2), n),
            out_area.tolist(),
        )
