"""Coordinate transformation between WGS84 and SWEREF 99 TM.

Swedish authorities publish and analyse geodata in SWEREF 99 TM (EPSG:3006), a
transverse Mercator projection in metres. All metric analysis in
:mod:`brygga.analysis` (grids, kernel density, distances for the Knox test)
expects SWEREF 99 TM coordinates; positions entered in web maps are WGS84
longitude/latitude (EPSG:4326).

Method: PROJ via :class:`pyproj.Transformer` with ``always_xy=True`` so the
axis order is always (longitude, latitude) / (easting, northing), regardless of
the authority's axis-order definition. Transformers are cached per thread
(pyproj transformers must not be shared between threads).

Reference: Lantmäteriet, "SWEREF 99 TM", https://www.lantmateriet.se/ (projection
parameters: central meridian 15°E, scale 0.9996, false easting 500 000 m, GRS 80);
PROJ contributors (2024), PROJ coordinate transformation software,
doi:10.5281/zenodo.5884394.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import AnalysisInputError, as_coordinates

if TYPE_CHECKING:  # pragma: no cover
    from pyproj import Transformer

__all__ = [
    "SWEREF99TM",
    "WGS84",
    "get_transformer",
    "sweref99tm_to_wgs84",
    "transform_points",
    "wgs84_to_sweref99tm",
]

WGS84 = "EPSG:4326"
SWEREF99TM = "EPSG:3006"

_local = threading.local()


def get_transformer(src: str, dst: str) -> Transformer:
    """Return a cached ``pyproj.Transformer`` (``always_xy=True``) for this thread."""
    from pyproj import Transformer

    cache: dict[tuple[str, str], Transformer] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = {}
        _local.cache = cache
    key = (src, dst)
    tr = cache.get(key)
    if tr is None:
        tr = Transformer.from_crs(src, dst, always_xy=True)
        cache[key] = tr
    return tr


def transform_points(
    x: ArrayLike, y: ArrayLike, src: str, dst: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Transform arrays of points from CRS ``src`` to CRS ``dst``.

    ``x``/``y`` are easting/northing or longitude/latitude (always x first).
    Raises :class:`AnalysisInputError` for NaN/inf input, mismatched lengths or
    points that cannot be transformed (PROJ returns inf).
    """
    xa, ya = as_coordinates(x, y)
    if xa.size == 0:
        return xa.copy(), ya.copy()
    tx, ty = get_transformer(src, dst).transform(xa, ya)
    tx = np.asarray(tx, dtype=np.float64)
    ty = np.asarray(ty, dtype=np.float64)
    bad = ~(np.isfinite(tx) & np.isfinite(ty))
    if bad.any():
        raise AnalysisInputError(
            f"{int(bad.sum())} point(s) could not be transformed from {src} to {dst} "
            f"(first at index {int(np.flatnonzero(bad)[0])}); check that the coordinates "
            "are in the stated reference system"
        )
    return tx, ty


def wgs84_to_sweref99tm(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project WGS84 longitude/latitude (degrees) to SWEREF 99 TM easting/northing (m).

    Raises :class:`AnalysisInputError` if longitudes are outside [-180, 180] or
    latitudes outside [-90, 90] (a common sign of swapped axes is reported).
    """
    lo, la = as_coordinates(lon, lat, ("lon", "lat"))
    if lo.size:
        if (np.abs(la) > 90).any():
            hint = (
                " (the values look like SWEREF 99 TM metres; use them directly)"
                if np.abs(la).min() > 1000
                else " (are longitude and latitude swapped?)"
            )
            raise AnalysisInputError("lat must be within [-90, 90] degrees" + hint)
        if (np.abs(lo) > 180).any():
            raise AnalysisInputError("lon must be within [-180, 180] degrees")
    return transform_points(lo, la, WGS84, SWEREF99TM)


def sweref99tm_to_wgs84(
    x: ArrayLike, y: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert SWEREF 99 TM easting/northing (m) to WGS84 longitude/latitude (degrees)."""
    return transform_points(x, y, SWEREF99TM, WGS84)
