"""Counting events on square grids, in areas (polygons) and in H3 hexagons.

Conventions
-----------
* Coordinates are metres in SWEREF 99 TM (EPSG:3006) unless a function says
  otherwise (H3 works on WGS84 longitude/latitude).
* A :class:`GridSpec` describes a regular square grid. Grid arrays have shape
  ``(ny, nx)``; ``array[row, col]`` is the cell whose south-west corner is
  ``(x0 + col * cell_size, y0 + row * cell_size)``. Row 0 is the *southern*
  row (the same orientation as ``numpy.histogram2d(y, x)``); flip vertically
  (``array[::-1]``) for north-up image display.
* A point belongs to the cell ``floor((x - x0) / cell_size)``; a point exactly
  on an interior cell edge belongs to the cell east/north of the edge, and a
  point on the grid's outer east/north edge to the last column/row (like the
  last bin of ``numpy.histogram``).
* Polygons use "covers" semantics: a point on a polygon's boundary is inside.
  When polygons overlap or share a boundary, :func:`assign_areas` gives the
  point to the *first* polygon in the given order, so every point is counted at
  most once.

Method: cell indices are computed arithmetically and accumulated with
``numpy.bincount`` (O(n)); point-in-polygon uses Shapely 2's vectorised
``intersects_xy`` on prepared geometries after a bounding-box pre-filter, or a
Shapely ``STRtree`` when there are many polygons.

References: Gillies S. et al., Shapely 2 (2022), doi:10.5281/zenodo.5597138;
Uber Technologies, H3: a hexagonal hierarchical geospatial indexing system,
https://h3geo.org/ (2018-).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    AnalysisInputError,
    as_1d_float,
    as_coordinates,
    check_int,
    check_positive,
)

__all__ = [
    "GridCounts",
    "GridSpec",
    "H3Counts",
    "area_counts",
    "assign_areas",
    "grid_counts",
    "h3_counts",
    "points_in_polygon",
    "polygon_cell_mask",
]

#: Refuse to allocate grids with more cells than this (a typo in cell size
#: could otherwise ask for terabytes).
MAX_GRID_CELLS = 50_000_000

# Above this many polygons assign_areas uses an STRtree instead of a loop.
_STRTREE_THRESHOLD = 48


@dataclass(frozen=True)
class GridSpec:
    """A regular square grid in projected metres.

    Attributes:
        x0: easting of the grid's west edge.
        y0: northing of the grid's south edge.
        cell_size: side length of a cell (metres).
        nx: number of columns (west to east).
        ny: number of rows (south to north).
    """

    x0: float
    y0: float
    cell_size: float
    nx: int
    ny: int

    def __post_init__(self) -> None:
        for name in ("x0", "y0"):
            v = getattr(self, name)
            if not math.isfinite(float(v)):
                raise AnalysisInputError(f"GridSpec.{name} must be finite, got {v}")
        check_positive(self.cell_size, "cell_size")
        check_int(self.nx, "nx", minimum=1)
        check_int(self.ny, "ny", minimum=1)
        if self.nx * self.ny > MAX_GRID_CELLS:
            raise AnalysisInputError(
                f"grid of {self.ny} x {self.nx} cells exceeds the limit of "
                f"{MAX_GRID_CELLS} cells; use a larger cell_size"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """Array shape ``(ny, nx)``."""
        return (self.ny, self.nx)

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the grid's outer edges."""
        return (
            self.x0,
            self.y0,
            self.x0 + self.nx * self.cell_size,
            self.y0 + self.ny * self.cell_size,
        )

    @property
    def cell_area_km2(self) -> float:
        return (self.cell_size / 1000.0) ** 2

    def cell_centers(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Cell-centre coordinates: ``(xc of shape (nx,), yc of shape (ny,))``."""
        xc = self.x0 + (np.arange(self.nx, dtype=np.float64) + 0.5) * self.cell_size
        yc = self.y0 + (np.arange(self.ny, dtype=np.float64) + 0.5) * self.cell_size
        return np.asarray(xc, dtype=np.float64), np.asarray(yc, dtype=np.float64)

    def cell_index(
        self, x: ArrayLike, y: ArrayLike
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
        """Row and column of each point, and whether it falls inside the grid."""
        xa, ya = as_coordinates(x, y)
        x0, y0, x1, y1 = self.bounds
        inside = (xa >= x0) & (xa <= x1) & (ya >= y0) & (ya <= y1)
        fc = np.clip(np.floor((xa - x0) / self.cell_size), 0, self.nx - 1)
        fr = np.clip(np.floor((ya - y0) / self.cell_size), 0, self.ny - 1)
        col = np.where(inside, fc, -1).astype(np.int64)
        row = np.where(inside, fr, -1).astype(np.int64)
        return row, col, inside

    @classmethod
    def from_bounds(
        cls,
        xmin: float,
        ymin: float,
        xmax: float,
        ymax: float,
        cell_size: float,
        *,
        snap: bool = True,
    ) -> GridSpec:
        """Smallest grid covering the box ``[xmin, xmax] x [ymin, ymax]``.

        With ``snap=True`` (default) the grid origin is a multiple of
        ``cell_size`` so that grids for different areas line up (and cells are
        comparable between reports). Points exactly on ``xmax``/``ymax`` fall
        inside the grid (in the last column/row when on its outer edge).
        """
        cs = check_positive(cell_size, "cell_size")
        vals = [float(v) for v in (xmin, ymin, xmax, ymax)]
        if not all(math.isfinite(v) for v in vals):
            raise AnalysisInputError(f"grid bounds must be finite, got {tuple(vals)}")
        xmin, ymin, xmax, ymax = vals
        if xmax < xmin or ymax < ymin:
            raise AnalysisInputError(
                f"grid bounds must satisfy xmin <= xmax and ymin <= ymax, got {tuple(vals)}"
            )
        x0 = math.floor(xmin / cs) * cs if snap else xmin
        y0 = math.floor(ymin / cs) * cs if snap else ymin
        nx = max(1, int(math.ceil((xmax - x0) / cs)))
        ny = max(1, int(math.ceil((ymax - y0) / cs)))
        if nx * ny > MAX_GRID_CELLS:
            raise AnalysisInputError(
                f"a {cs} m grid over these bounds would have {nx * ny} cells "
                f"(limit {MAX_GRID_CELLS}); use a larger cell_size"
            )
        return cls(x0=x0, y0=y0, cell_size=cs, nx=nx, ny=ny)

    @classmethod
    def from_points(
        cls, x: ArrayLike, y: ArrayLike, cell_size: float, *, pad: float = 0.0
    ) -> GridSpec:
        """Grid covering all points, optionally padded by ``pad`` metres on each side."""
        xa, ya = as_coordinates(x, y)
        if xa.size == 0:
            raise AnalysisInputError("cannot derive a grid from zero points; give bounds instead")
        p = check_positive(pad, "pad", allow_zero=True)
        return cls.from_bounds(xa.min() - p, ya.min() - p, xa.max() + p, ya.max() + p, cell_size)

    @classmethod
    def from_polygon(cls, polygon: Any, cell_size: float) -> GridSpec:
        """Grid covering the bounding box of a Shapely (multi)polygon."""
        _check_geometry(polygon, "polygon")
        xmin, ymin, xmax, ymax = polygon.bounds
        return cls.from_bounds(xmin, ymin, xmax, ymax, cell_size)


@dataclass(frozen=True)
class GridCounts:
    """Result of :func:`grid_counts`.

    Attributes:
        counts: ``(ny, nx)`` array; int64 event counts, or float64 sums of
            weights when weights were given. Cells outside ``mask`` are 0.
        grid: the grid.
        mask: ``(ny, nx)`` bool, True for cells that belong to the study area
            (all True unless a polygon was given; with a polygon, cells whose
            centre is covered by it).
        n_outside: number of points that fell outside the grid or polygon.
    """

    counts: NDArray[Any]
    grid: GridSpec
    mask: NDArray[np.bool_]
    n_outside: int


def _check_geometry(geom: Any, name: str) -> None:
    if not hasattr(geom, "geom_type") or not hasattr(geom, "bounds"):
        raise AnalysisInputError(f"{name} must be a Shapely geometry, got {type(geom).__name__}")
    if geom.is_empty:
        raise AnalysisInputError(f"{name} is an empty geometry")
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        raise AnalysisInputError(f"{name} must be a Polygon or MultiPolygon, got {geom.geom_type}")


def _weights_or_none(weights: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
    if weights is None:
        return None
    w = as_1d_float(weights, "weights")
    if len(w) != n:
        raise AnalysisInputError(f"length mismatch: x has {n} element(s) but weights has {len(w)}")
    return w


def points_in_polygon(x: ArrayLike, y: ArrayLike, polygon: Any) -> NDArray[np.bool_]:
    """Vectorised point-in-polygon test (boundary counts as inside).

    Uses a bounding-box pre-filter and Shapely 2 ``intersects_xy`` on the
    prepared polygon. O(n) plus O(m log k) per candidate for a polygon with k
    vertices.
    """
    import shapely

    xa, ya = as_coordinates(x, y)
    _check_geometry(polygon, "polygon")
    out = np.zeros(xa.shape, dtype=bool)
    if xa.size == 0:
        return out
    xmin, ymin, xmax, ymax = polygon.bounds
    cand = np.flatnonzero((xa >= xmin) & (xa <= xmax) & (ya >= ymin) & (ya <= ymax))
    if cand.size:
        shapely.prepare(polygon)
        out[cand] = shapely.intersects_xy(polygon, xa[cand], ya[cand])
    return out


def polygon_cell_mask(grid: GridSpec, polygon: Any, *, how: str = "center") -> NDArray[np.bool_]:
    """Cells of ``grid`` that belong to ``polygon``.

    ``how="center"``: the cell centre is covered by the polygon (each cell is
    in at most one of a set of non-overlapping polygons); ``how="intersects"``:
    any part of the cell touches the polygon.
    """
    import shapely

    _check_geometry(polygon, "polygon")
    xc, yc = grid.cell_centers()
    xx, yy = np.meshgrid(xc, yc)
    if how == "center":
        return points_in_polygon(xx.ravel(), yy.ravel(), polygon).reshape(grid.shape)
    if how == "intersects":
        h = grid.cell_size / 2.0
        boxes = shapely.box(xx.ravel() - h, yy.ravel() - h, xx.ravel() + h, yy.ravel() + h)
        shapely.prepare(polygon)
        return np.asarray(shapely.intersects(polygon, boxes), dtype=bool).reshape(grid.shape)
    raise AnalysisInputError(f"how must be 'center' or 'intersects', got {how!r}")


def grid_counts(
    x: ArrayLike,
    y: ArrayLike,
    grid: GridSpec,
    *,
    weights: ArrayLike | None = None,
    polygon: Any | None = None,
) -> GridCounts:
    """Count points (or sum weights) per cell of a square grid.

    Args:
        x, y: SWEREF 99 TM coordinates (metres).
        grid: the grid (see :meth:`GridSpec.from_bounds`, :meth:`GridSpec.from_polygon`).
        weights: optional per-point weights (e.g. 1/number of offences per report).
        polygon: optional study area; points outside it are dropped and the
            returned ``mask`` marks the cells whose centre lies inside it.

    Returns:
        :class:`GridCounts`. Counts are invariant under reordering of points.

    Method: arithmetic cell index + ``numpy.bincount``, O(n + cells).
    """
    xa, ya = as_coordinates(x, y)
    w = _weights_or_none(weights, len(xa))
    if not isinstance(grid, GridSpec):
        raise AnalysisInputError(f"grid must be a GridSpec, got {type(grid).__name__}")
    row, col, inside = grid.cell_index(xa, ya)
    if polygon is not None:
        inside &= points_in_polygon(xa, ya, polygon)
        mask = polygon_cell_mask(grid, polygon)
    else:
        mask = np.ones(grid.shape, dtype=bool)
    flat = row[inside] * grid.nx + col[inside]
    if w is None:
        counts: NDArray[Any] = np.bincount(flat, minlength=grid.n_cells).astype(np.int64)
    else:
        counts = np.bincount(flat, weights=w[inside], minlength=grid.n_cells)
    return GridCounts(
        counts=counts.reshape(grid.shape),
        grid=grid,
        mask=mask,
        n_outside=int(len(xa) - inside.sum()),
    )


def assign_areas(x: ArrayLike, y: ArrayLike, polygons: Sequence[Any]) -> NDArray[np.int64]:
    """Index of the area (polygon) containing each point, or -1 if none.

    A point on a boundary or in an overlap goes to the first polygon (lowest
    index) that covers it.

    Method: for few polygons, a loop over polygons with a bounding-box
    pre-filter of the still-unassigned points and vectorised
    ``shapely.intersects_xy`` on the prepared polygon; for many polygons, one
    ``STRtree.query(points, predicate="intersects")`` call. Both are
    vectorised over points; no Python loop over points.
    """
    import shapely

    xa, ya = as_coordinates(x, y)
    polys = list(polygons)
    for i, p in enumerate(polys):
        _check_geometry(p, f"polygons[{i}]")
    out = np.full(len(xa), -1, dtype=np.int64)
    if len(xa) == 0 or not polys:
        return out
    if len(polys) <= _STRTREE_THRESHOLD:
        unassigned = np.arange(len(xa))
        ux, uy = xa, ya
        for k, poly in enumerate(polys):
            if unassigned.size == 0:
                break
            xmin, ymin, xmax, ymax = poly.bounds
            sel = np.flatnonzero((ux >= xmin) & (ux <= xmax) & (uy >= ymin) & (uy <= ymax))
            if sel.size == 0:
                continue
            shapely.prepare(poly)
            hit = shapely.intersects_xy(poly, ux[sel], uy[sel])
            if not hit.any():
                continue
            out[unassigned[sel[hit]]] = k
            keep = np.ones(unassigned.size, dtype=bool)
            keep[sel[hit]] = False
            unassigned = unassigned[keep]
            ux, uy = ux[keep], uy[keep]
        return out
    tree = shapely.STRtree(polys)
    pts = shapely.points(xa, ya)
    pt_idx, poly_idx = tree.query(pts, predicate="intersects")
    if pt_idx.size:
        order = np.lexsort((poly_idx, pt_idx))
        pt_sorted = pt_idx[order]
        first = np.ones(pt_sorted.size, dtype=bool)
        first[1:] = pt_sorted[1:] != pt_sorted[:-1]
        out[pt_sorted[first]] = poly_idx[order][first]
    return out


def area_counts(
    x: ArrayLike,
    y: ArrayLike,
    polygons: Sequence[Any],
    *,
    weights: ArrayLike | None = None,
) -> NDArray[Any]:
    """Number of points (or sum of weights) in each polygon.

    Uses :func:`assign_areas`, so each point is counted in at most one area.
    Returns int64 counts (float64 with weights) of length ``len(polygons)``.
    """
    xa, ya = as_coordinates(x, y)
    w = _weights_or_none(weights, len(xa))
    polys = list(polygons)
    idx = assign_areas(xa, ya, polys)
    ok = idx >= 0
    if w is None:
        return np.bincount(idx[ok], minlength=len(polys)).astype(np.int64)
    return np.bincount(idx[ok], weights=w[ok], minlength=len(polys))


@dataclass(frozen=True)
class H3Counts:
    """Result of :func:`h3_counts`: H3 cell ids (hex strings, sorted) and counts."""

    cells: NDArray[np.object_]
    counts: NDArray[Any]
    resolution: int


def h3_counts(
    lon: ArrayLike,
    lat: ArrayLike,
    resolution: int,
    *,
    weights: ArrayLike | None = None,
) -> H3Counts:
    """Count WGS84 points per H3 hexagon at ``resolution`` (0-15).

    Only cells with at least one point are returned, sorted by cell id.
    Typical resolutions for municipal maps: 8 (~0.74 km² per cell) or
    9 (~0.11 km²).
    """
    from h3.api import basic_int as h3i

    lo, la = as_coordinates(lon, lat, ("lon", "lat"))
    check_int(resolution, "resolution", minimum=0)
    if resolution > 15:
        raise AnalysisInputError(f"resolution must be between 0 and 15, got {resolution}")
    if la.size and ((np.abs(la) > 90).any() or (np.abs(lo) > 180).any()):
        raise AnalysisInputError(
            "lon/lat must be WGS84 degrees (|lat| <= 90, |lon| <= 180); "
            "convert SWEREF 99 TM with sweref99tm_to_wgs84 first"
        )
    w = _weights_or_none(weights, len(lo))
    res = int(resolution)
    ids = np.fromiter(
        (h3i.latlng_to_cell(a, b, res) for a, b in zip(la.tolist(), lo.tolist(), strict=True)),
        dtype=np.uint64,
        count=len(la),
    )
    uniq, inv = np.unique(ids, return_inverse=True)
    if w is None:
        counts: NDArray[Any] = np.bincount(inv, minlength=len(uniq)).astype(np.int64)
    else:
        counts = np.bincount(inv, weights=w, minlength=len(uniq))
    cells = np.array([h3i.int_to_str(int(c)) for c in uniq], dtype=object)
    return H3Counts(cells=cells, counts=counts, resolution=res)
