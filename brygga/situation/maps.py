"""The lägesbild's map layers as GeoJSON (WGS84): the areas shaded by events or rate per 1,000
inhabitants, Gi* hot-spot cells, a density surface (KDE) and the police events.

Cells are squares of SWEREF 99 TM (``cell`` metres, default 250) on a grid snapped to multiples
of the cell size over the study area: the municipality, or for a scope with areas the union of
those areas. The cell counts are summed in the database (no incident rows leave it for the
grid); Gi* (``gi_star_grid``, Benjamini-Hochberg FDR) and the density (``kde_grid``) are the
analysis library's. Only aggregated cells and areas are returned, and the police events, which
the police publish themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from django.db.models import F, Sum
from django.db.models.functions import Floor
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.ops import unary_union

from brygga.analysis.grid import GridSpec, polygon_cell_mask
from brygga.analysis.hotspots import gi_star_grid
from brygga.analysis.kde import kde_grid
from brygga.analysis.projection import sweref99tm_to_wgs84
from brygga.areastats.selectors import population_for
from brygga.core.geo import boundary_sweref, to_sweref
from brygga.core.models import Area
from brygga.incidents.models import Stream

from . import counts as counts_mod
from .points import incidents_in, stream_q, with_points
from .scope import Scope, ScopeError

CELL_DEFAULT, CELL_MIN, CELL_MAX = 250, 100, 1000
N_CLASSES = 5
POLICE_LIMIT = 2000
PERMUTATIONS = 0  # analytic z-scores with FDR, as ArcGIS's hot-spot analysis: with tens of
# thousands of cells, 999 permutations cannot give a p-value that survives the FDR
SEED = 0  # the same permutations every time: a shared view shows the same cells
# hot-spot classes of the library (sign: hot/cold; 3/2/1: 99/95/90 % confidence)
HOTSPOT_CLASSES = (3, 2, 1, -1, -2, -3)


def cell_from_query(query) -> int:
    """The ``cell`` parameter (metres, 100–1000), default 250."""
    text = (query.get("cell") or "").strip()
    if not text:
        return CELL_DEFAULT
    try:
        cell = int(text)
    except ValueError:
        cell = 0
    if not CELL_MIN <= cell <= CELL_MAX:
        raise ScopeError(
            "cell",
            _("“cell” is the side of a cell in metres, a whole number from %(min)s to %(max)s.")
            % {"min": CELL_MIN, "max": CELL_MAX},
        )
    return cell


def hotspot_label(c: int) -> str:
    conf = {3: 99, 2: 95, 1: 90}[abs(c)]
    if c > 0:
        return _("Hot spot, %(conf)s %% confidence") % {"conf": conf}
    return _("Cold spot, %(conf)s %% confidence") % {"conf": conf}


# --- class breaks -----------------------------------------------------------------------------
def _nice(v: float) -> float:
    """``v`` rounded up to a "nice" number (1, 2, 2.5 or 5 times a power of ten)."""
    if v <= 0:
        return 0.0
    mag = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * mag + 1e-9 * mag:
            return m * mag
    return 10 * mag  # pragma: no cover


def class_breaks(values, k: int = N_CLASSES) -> list[float]:
    """Upper bounds of up to ``k`` classes: quantiles of the values rounded up to nice
    numbers, the last one the maximum (so every value is in a class). Empty without values."""
    vals = np.asarray([v for v in values if v is not None], dtype=np.float64)
    if vals.size == 0:
        return []
    top = float(vals.max())
    out: list[float] = []
    for q in np.linspace(0, 1, k + 1)[1:-1]:
        b = _nice(float(np.quantile(vals, q)))
        if b < top and (not out or b > out[-1]):
            out.append(b)
    out.append(top)
    return out


def class_of(value, breaks: list[float]) -> int | None:
    """1-based class of ``value`` (None: no value)."""
    if value is None or not breaks:
        return None
    for i, b in enumerate(breaks, start=1):
        if value <= b:
            return i
    return len(breaks)


# --- areas ------------------------------------------------------------------------------------
def _scope_areas(scope: Scope) -> list[Area]:
    if scope.areas:
        return list(Area.objects.filter(pk__in=scope.area_ids).order_by("name"))
    if scope.layer is None:
        return []
    return list(Area.objects.filter(layer=scope.layer).order_by("name"))


def area_rows(user, scope: Scope) -> list[dict]:
    """Per area of the scope (its areas, else every area of its layer): events, population,
    rate per 1,000 and their classes."""
    areas = _scope_areas(scope)
    events = {r["area"]: r["events"] for r in counts_mod.counts(user, scope, ("area",))}
    pop = population_for(scope.municipality, areas, scope.period.end.year, user=user)
    rows = []
    for a in areas:
        n = int(events.get(a.pk, 0))
        p = pop.get(a.pk)
        people = int(p.value) if p is not None and p.value else None
        rows.append(
            {
                "area": a,
                "events": n,
                "population": people,
                "population_year": p.year if people else None,
                "rate": round(n * 1000 / people, 2) if people else None,
            }
        )
    b_events = class_breaks([r["events"] for r in rows])
    b_rate = class_breaks([r["rate"] for r in rows])
    for r in rows:
        r["class_events"] = class_of(r["events"], b_events)
        r["class_rate"] = class_of(r["rate"], b_rate)
    return rows


def area_collection(user, scope: Scope) -> dict:
    rows = area_rows(user, scope)
    features = [
        {
            "type": "Feature",
            "geometry": r["area"].geometry,
            "properties": {
                "id": r["area"].pk,
                "name": r["area"].name,
                "events": r["events"],
                "population": r["population"],
                "rate": r["rate"],
                "class_events": r["class_events"],
                "class_rate": r["class_rate"],
            },
        }
        for r in rows
        if r["area"].geometry
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "breaks": {
            "events": class_breaks([r["events"] for r in rows]),
            "rate": class_breaks([r["rate"] for r in rows]),
        },
    }


# --- the grid ---------------------------------------------------------------------------------
def study_area(scope: Scope):
    """The area the cells cover, in SWEREF 99 TM: the scope's areas (those with a geometry),
    else the municipality."""
    if scope.areas:
        shapes = [
            to_sweref(shape(a.geometry))
            for a in Area.objects.filter(pk__in=scope.area_ids)
            if a.geometry
        ]
        if shapes:
            geom = unary_union([s if s.is_valid else s.buffer(0) for s in shapes])
            return geom
    return boundary_sweref(scope.municipality)


@dataclass
class CellGrid:
    grid: GridSpec
    counts: np.ndarray  # events per cell, shape (ny, nx)
    mask: np.ndarray  # cells in the study area
    events: int  # events with a point in the period (also those outside the grid)


def cell_counts(user, scope: Scope, cell: int) -> dict[tuple[int, int], int]:
    """Events per cell, summed in the database: (floor(E / cell), floor(N / cell)) → events."""
    qs = (
        with_points(incidents_in(user, scope))
        .annotate(cx=Floor(F("sweref_e") / cell), cy=Floor(F("sweref_n") / cell))
        .values("cx", "cy")
        .annotate(events=Sum("count"))
        .order_by()
    )
    return {(int(r["cx"]), int(r["cy"])): int(r["events"]) for r in qs}


def cell_grid(user, scope: Scope, cell: int = CELL_DEFAULT) -> CellGrid:
    area = study_area(scope)
    grid = GridSpec.from_polygon(area, float(cell))
    mask = polygon_cell_mask(grid, area)
    arr = np.zeros(grid.shape, dtype=np.int64)
    ox, oy = round(grid.x0 / cell), round(grid.y0 / cell)
    total = 0
    for (cx, cy), n in cell_counts(user, scope, cell).items():
        total += n
        col, row = cx - ox, cy - oy
        if 0 <= col < grid.nx and 0 <= row < grid.ny:
            arr[row, col] = n
    return CellGrid(grid=grid, counts=arr, mask=mask, events=total)


def _cell_polygon(grid: GridSpec, row: int, col: int) -> dict:
    cs = grid.cell_size
    x0, y0 = grid.x0 + col * cs, grid.y0 + row * cs
    xs = np.array([x0, x0 + cs, x0 + cs, x0, x0])
    ys = np.array([y0, y0, y0 + cs, y0 + cs, y0])
    lon, lat = sweref99tm_to_wgs84(xs, ys)
    ring = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
    return {"type": "Polygon", "coordinates": [ring]}


def hotspots(user, scope: Scope, cell: int = CELL_DEFAULT) -> dict:
    """Gi* hot and cold spots of the cells' events (queen contiguity, 999 conditional
    permutations, FDR): a FeatureCollection of the significant cells with ``class`` (+3 … -3)
    and ``events``; ``summary`` counts the cells per class."""
    cg = cell_grid(user, scope, cell)
    res = gi_star_grid(cg.counts, mask=cg.mask, permutations=PERMUTATIONS, seed=SEED, fdr=True)
    classes = res.hotspot_class
    features = []
    rows, cols = np.nonzero(classes)
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        k = int(classes[r, c])
        features.append(
            {
                "type": "Feature",
                "geometry": _cell_polygon(cg.grid, r, c),
                "properties": {
                    "class": k,
                    "label": hotspot_label(k),
                    "events": int(cg.counts[r, c]),
                    "z": round(float(res.z[r, c]), 3),
                },
            }
        )
    summary = [
        {"class": k, "label": hotspot_label(k), "cells": int((classes == k).sum())}
        for k in HOTSPOT_CLASSES
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "cell": cell,
        "events": cg.events,
        "cells": int(cg.mask.sum()),
        "summary": summary,
    }


def density(user, scope: Scope, cell: int = CELL_DEFAULT) -> dict:
    """Kernel density (events per km², Gaussian, Scott's bandwidth) from the cell counts as
    weighted cell centres, on the same grid. The cells in the study area with a density of at
    least 5 % of the highest, in :data:`N_CLASSES` classes; ``mass`` is the events the whole
    surface holds (``density.sum() × cell area``)."""
    cg = cell_grid(user, scope, cell)
    rows, cols = np.nonzero(cg.counts)
    features: list[dict] = []
    out = {"type": "FeatureCollection", "features": features, "cell": cell, "events": 0}
    if rows.size == 0:
        return {**out, "breaks": [], "mass": 0.0, "bandwidth": None}
    xc, yc = cg.grid.cell_centers()
    weights = cg.counts[rows, cols].astype(np.float64)
    kde = kde_grid(xc[cols], yc[rows], cg.grid, weights=weights)
    dens = np.where(cg.mask, kde.density, 0.0)
    top = float(dens.max())
    keep = dens >= 0.05 * top if top > 0 else np.zeros_like(cg.mask)
    breaks = class_breaks(dens[keep].tolist())
    for r, c in zip(*np.nonzero(keep), strict=True):
        d = float(dens[r, c])
        features.append(
            {
                "type": "Feature",
                "geometry": _cell_polygon(cg.grid, int(r), int(c)),
                "properties": {"density": round(d, 3), "class": class_of(d, breaks)},
            }
        )
    return {
        **out,
        "events": int(weights.sum()),
        "breaks": breaks,
        "mass": float(kde.density.sum() * cg.grid.cell_area_km2),
        "bandwidth": round(float(kde.bandwidth), 1),
    }


# --- police events ----------------------------------------------------------------------------
def police_points(user, scope: Scope, limit: int = POLICE_LIMIT) -> dict:
    """The police events of the scope and period with a point, newest first, at most
    ``limit``: type, time and place (the police publish them). Other streams never."""
    if scope.streams and Stream.POLICE not in scope.streams:
        qs = incidents_in(user, scope).none()
    else:
        qs = incidents_in(user, scope).filter(stream_q([Stream.POLICE]))
    qs = qs.filter(lat__isnull=False, lon__isnull=False)
    total = qs.count()
    rows = qs.order_by("-occurred_from", "-pk").values(
        "pk", "lat", "lon", "occurred_from", "source_type", "category__name"
    )[:limit]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {
                "type": r["source_type"] or r["category__name"],
                "time": r["occurred_from"].isoformat(),
            },
        }
        for r in rows
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "total": total,
        "truncated": total > len(features),
    }


def bounds_wgs84(scope: Scope) -> list[list[float]]:
    """[[south, west], [north, east]] of the study area, for the map's first view."""
    x0, y0, x1, y1 = study_area(scope).bounds
    lon, lat = sweref99tm_to_wgs84(np.array([x0, x1]), np.array([y0, y1]))
    return [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]


__all__ = [
    "area_collection",
    "area_rows",
    "bounds_wgs84",
    "cell_counts",
    "cell_from_query",
    "cell_grid",
    "class_breaks",
    "density",
    "hotspots",
    "police_points",
]
