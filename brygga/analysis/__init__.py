"""Brygga's numeric analysis library (numpy/scipy; no Django).

Functions take arrays and return arrays or small frozen dataclasses. Input
errors raise :class:`AnalysisInputError` (a ``ValueError``). Random methods
take a ``seed`` and are deterministic for a given seed. Coordinates are
SWEREF 99 TM metres (EPSG:3006) unless stated otherwise; times are days.

Public API (importable from ``brygga.analysis``; submodules are loaded lazily
so ``import brygga.analysis`` is cheap):

Errors
    AnalysisInputError

Projection (:mod:`.projection`)
    wgs84_to_sweref99tm(lon, lat) -> (x, y)
    sweref99tm_to_wgs84(x, y) -> (lon, lat)
    transform_points(x, y, src, dst) -> (x, y)
    get_transformer(src, dst) -> pyproj.Transformer (cached per thread)

Gridding and areas (:mod:`.grid`)
    GridSpec(x0, y0, cell_size, nx, ny); .from_bounds, .from_points, .from_polygon
    grid_counts(x, y, grid, *, weights=None, polygon=None) -> GridCounts
    points_in_polygon(x, y, polygon) -> bool array
    polygon_cell_mask(grid, polygon, *, how="center") -> bool array (ny, nx)
    assign_areas(x, y, polygons) -> int array (-1 = none)
    area_counts(x, y, polygons, *, weights=None) -> array (n_areas,)
    h3_counts(lon, lat, resolution, *, weights=None) -> H3Counts

Spatial weights (:mod:`.contiguity`)
    grid_contiguity(n_rows, n_cols, kind="queen", *, mask=None) -> scipy.sparse.csr_matrix
    neighbours_to_sparse(neighbours, n=None, *, weights=None, symmetric=False) -> csr_matrix

Kernel density (:mod:`.kde`)
    kde_grid(x, y, grid, *, bandwidth="scott", kernel="gaussian", weights=None) -> KDEResult
    select_bandwidth(x, y, rule="scott", *, kernel="gaussian", weights=None) -> float
    linear_binning(x, y, grid, *, weights=None, pad=0) -> array

Hot spots (:mod:`.hotspots`)
    gi_star(values, weights, *, permutations=999, seed=0, fdr=True,
            levels=(0.10, 0.05, 0.01), self_weight=None, n_jobs=1) -> GiStarResult
    gi_star_grid(grid_values, *, kind="queen", mask=None, **kw) -> GiStarResult
    benjamini_hochberg(p_values) -> q-values
    hotspot_classes(z, p_values, levels=(0.10, 0.05, 0.01)) -> int8 classes -3..3

Near repeats (:mod:`.knox`)
    knox_test(x, y, t, *, space_bands, time_bands, permutations=999, seed=0,
              n_jobs=1, chunk_size=262144) -> KnoxResult

Trends and alerts (:mod:`.trends`)
    period_counts(dates, *, freq="week", categories=None, areas=None, ...) -> PeriodCounts
    seasonal_baseline(counts, season, year, *, n_seasons=None, window=1, years_back=5,
                      method="negbin", level=0.95, min_baseline=3) -> BaselineResult
    poisson_cusum(counts, expected, *, shift=1.5, threshold=5.0, reset=True) -> CusumResult
    ewma_alert(counts, expected, *, lam=0.3, width=3.0) -> EwmaResult
    rates_per_1000(counts, population, *, per=1000.0, level=0.95) -> RateResult
    garwood_interval(counts, level=0.95) -> (lower, upper)

Evaluation (:mod:`.evaluation`)
    did_poisson(counts, treated, after, *, exposure=None, level=0.95,
                dispersion="poisson", max_iter=100) -> DiDResult
    before_after(count_before, count_after, *, exposure_before=1.0,
                 exposure_after=1.0, level=0.95) -> EffectEstimate
    poisson_glm(X, y, *, offset=None, max_iter=100, tol=1e-12) -> PoissonFit
    describe_change_sv(rate_ratio, ci_lower, ci_upper, level=0.95) -> str

Privacy (:mod:`.privacy`)
    suppress_small_counts(counts, k=5, *, values=None, keep_zero=False,
                          decimals=None) -> SuppressedCounts

Surveys (:mod:`.surveys`)
    kish_effective_n(weights) -> float
    weighted_estimate(values, weights=None, *, confidence=0.95) -> WeightedEstimate | None
    weighted_estimates_by_group(values, groups, weights=None, *,
                                confidence=0.95) -> dict[label, WeightedEstimate]
    difference(later, earlier, *, confidence=0.95) -> Difference
    score_mean_index(answers, *, low, high, reverse=None, min_answered=1,
                     scale=10.0) -> array (respondents,)
    score_share_index(answers, *, threshold, reverse=None,
                      min_answered=1) -> array (respondents,)
    suppress_estimates(estimates, k=30) -> dict[label, WeightedEstimate | None]

Runtime dependencies: numpy, scipy, shapely (grid/areas), pyproj (projection),
h3 (hexagons). Each submodule imports the heavier ones only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._validation import AnalysisInputError

_EXPORTS: dict[str, str] = {
    # projection
    "wgs84_to_sweref99tm": "projection",
    "sweref99tm_to_wgs84": "projection",
    "transform_points": "projection",
    "get_transformer": "projection",
    "SWEREF99TM": "projection",
    "WGS84": "projection",
    # grid
    "GridSpec": "grid",
    "GridCounts": "grid",
    "H3Counts": "grid",
    "grid_counts": "grid",
    "points_in_polygon": "grid",
    "polygon_cell_mask": "grid",
    "assign_areas": "grid",
    "area_counts": "grid",
    "h3_counts": "grid",
    # contiguity
    "grid_contiguity": "contiguity",
    "neighbours_to_sparse": "contiguity",
    # kde
    "KDEResult": "kde",
    "kde_grid": "kde",
    "select_bandwidth": "kde",
    "linear_binning": "kde",
    # hotspots
    "GiStarResult": "hotspots",
    "gi_star": "hotspots",
    "gi_star_grid": "hotspots",
    "benjamini_hochberg": "hotspots",
    "hotspot_classes": "hotspots",
    # knox
    "KnoxResult": "knox",
    "knox_test": "knox",
    # trends
    "PeriodCounts": "trends",
    "BaselineResult": "trends",
    "CusumResult": "trends",
    "EwmaResult": "trends",
    "RateResult": "trends",
    "period_counts": "trends",
    "seasonal_baseline": "trends",
    "poisson_cusum": "trends",
    "ewma_alert": "trends",
    "rates_per_1000": "trends",
    "garwood_interval": "trends",
    # evaluation
    "PoissonFit": "evaluation",
    "EffectEstimate": "evaluation",
    "DiDResult": "evaluation",
    "did_poisson": "evaluation",
    "before_after": "evaluation",
    "poisson_glm": "evaluation",
    "describe_change_sv": "evaluation",
    # privacy
    "SuppressedCounts": "privacy",
    "suppress_small_counts": "privacy",
    # surveys
    "WeightedEstimate": "surveys",
    "Difference": "surveys",
    "kish_effective_n": "surveys",
    "weighted_estimate": "surveys",
    "weighted_estimates_by_group": "surveys",
    "difference": "surveys",
    "score_mean_index": "surveys",
    "score_share_index": "surveys",
    "suppress_estimates": "surveys",
}

SUBMODULES = (
    "projection",
    "grid",
    "contiguity",
    "kde",
    "hotspots",
    "knox",
    "trends",
    "evaluation",
    "privacy",
    "surveys",
)

__all__ = [
    "AnalysisInputError",
    "BaselineResult",
    "CusumResult",
    "DiDResult",
    "Difference",
    "EffectEstimate",
    "EwmaResult",
    "GiStarResult",
    "GridCounts",
    "GridSpec",
    "H3Counts",
    "KDEResult",
    "KnoxResult",
    "PeriodCounts",
    "PoissonFit",
    "RateResult",
    "SWEREF99TM",
    "SuppressedCounts",
    "WGS84",
    "WeightedEstimate",
    "area_counts",
    "assign_areas",
    "before_after",
    "benjamini_hochberg",
    "describe_change_sv",
    "did_poisson",
    "difference",
    "ewma_alert",
    "garwood_interval",
    "get_transformer",
    "gi_star",
    "gi_star_grid",
    "grid_contiguity",
    "grid_counts",
    "h3_counts",
    "hotspot_classes",
    "kde_grid",
    "kish_effective_n",
    "knox_test",
    "linear_binning",
    "neighbours_to_sparse",
    "period_counts",
    "points_in_polygon",
    "poisson_cusum",
    "poisson_glm",
    "polygon_cell_mask",
    "rates_per_1000",
    "score_mean_index",
    "score_share_index",
    "seasonal_baseline",
    "select_bandwidth",
    "suppress_estimates",
    "suppress_small_counts",
    "sweref99tm_to_wgs84",
    "transform_points",
    "weighted_estimate",
    "weighted_estimates_by_group",
    "wgs84_to_sweref99tm",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if name in SUBMODULES:
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(SUBMODULES))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .contiguity import grid_contiguity, neighbours_to_sparse
    from .evaluation import (
        DiDResult,
        EffectEstimate,
        PoissonFit,
        before_after,
        describe_change_sv,
        did_poisson,
        poisson_glm,
    )
    from .grid import (
        GridCounts,
        GridSpec,
        H3Counts,
        area_counts,
        assign_areas,
        grid_counts,
        h3_counts,
        points_in_polygon,
        polygon_cell_mask,
    )
    from .hotspots import (
        GiStarResult,
        benjamini_hochberg,
        gi_star,
        gi_star_grid,
        hotspot_classes,
    )
    from .kde import KDEResult, kde_grid, linear_binning, select_bandwidth
    from .knox import KnoxResult, knox_test
    from .privacy import SuppressedCounts, suppress_small_counts
    from .projection import (
        SWEREF99TM,
        WGS84,
        get_transformer,
        sweref99tm_to_wgs84,
        transform_points,
        wgs84_to_sweref99tm,
    )
    from .surveys import (
        Difference,
        WeightedEstimate,
        difference,
        kish_effective_n,
        score_mean_index,
        score_share_index,
        suppress_estimates,
        weighted_estimate,
        weighted_estimates_by_group,
    )
    from .trends import (
        BaselineResult,
        CusumResult,
        EwmaResult,
        PeriodCounts,
        RateResult,
        ewma_alert,
        garwood_interval,
        period_counts,
        poisson_cusum,
        rates_per_1000,
        seasonal_baseline,
    )
