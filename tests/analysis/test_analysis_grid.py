"""Projection, square-grid counts, polygon (area) counts and H3 counts."""

from __future__ import annotations

from collections import Counter

import h3
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from brygga.analysis import (
    AnalysisInputError,
    GridSpec,
    area_counts,
    assign_areas,
    grid_counts,
    h3_counts,
    points_in_polygon,
    polygon_cell_mask,
    sweref99tm_to_wgs84,
    wgs84_to_sweref99tm,
)
from brygga.analysis import grid as grid_mod


def test_projection_round_trip_and_central_meridian() -> None:
    rng = np.random.default_rng(0)
    lon = rng.uniform(11.0, 24.0, 500)
    lat = rng.uniform(55.3, 69.0, 500)
    x, y = wgs84_to_sweref99tm(lon, lat)
    assert (x > 100_000).all() and (x < 1_200_000).all()
    assert (y > 6_100_000).all() and (y < 7_700_000).all()
    lon2, lat2 = sweref99tm_to_wgs84(x, y)
    np.testing.assert_allclose(lon2, lon, atol=1e-9)
    np.testing.assert_allclose(lat2, lat, atol=1e-9)
    # on the central meridian (15 E) the easting is the false easting
    xc, _ = wgs84_to_sweref99tm([15.0, 15.0], [56.0, 66.0])
    np.testing.assert_allclose(xc, 500_000.0, atol=1e-6)
    # Stockholm city centre is about 674.6 km E, 6580.7 km N
    xs, ys = wgs84_to_sweref99tm([18.0686], [59.3293])
    assert abs(xs[0] - 674_572) < 5 and abs(ys[0] - 6_580_743) < 5


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        ([18.0, np.nan], [59.0, 59.0], "non-finite"),
        ([18.0, np.inf], [59.0, 59.0], "non-finite"),
        ([18.0], [59.0, 60.0], "length mismatch"),
        ([674_000.0], [6_580_000.0], "SWEREF"),
        ([59.0], [118.0], "swapped"),
    ],
)
def test_projection_rejects_bad_input(lon, lat, message) -> None:
    with pytest.raises(AnalysisInputError, match=message):
        wgs84_to_sweref99tm(lon, lat)


def test_grid_counts_equal_histogram2d() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10_000, 20_000)
    y = rng.uniform(0, 8_000, 20_000)
    g = GridSpec.from_bounds(0, 0, 10_000, 8_000, 250)
    assert g.shape == (32, 40) and g.bounds == (0.0, 0.0, 10_000.0, 8_000.0)
    res = grid_counts(x, y, g)
    ref, _, _ = np.histogram2d(y, x, bins=[np.arange(0, 8_001, 250), np.arange(0, 10_001, 250)])
    np.testing.assert_array_equal(res.counts, ref.astype(np.int64))
    assert res.counts.dtype == np.int64 and res.n_outside == 0 and res.mask.all()
    w = rng.random(x.size)
    res_w = grid_counts(x, y, g, weights=w)
    assert res_w.counts.sum() == pytest.approx(w.sum())


def test_grid_edges_and_outside_points() -> None:
    g = GridSpec(x0=0.0, y0=0.0, cell_size=100.0, nx=3, ny=2)
    x = [0.0, 100.0, 300.0, 299.9, -0.1, 150.0, 50.0]
    y = [0.0, 0.0, 200.0, 199.9, 50.0, 200.1, 100.0]
    res = grid_counts(x, y, g)
    # (0,0) cell; x=100 on interior edge -> column 1; (300,200) outer corner -> last cell
    assert res.counts.tolist() == [[1, 1, 0], [1, 0, 2]]
    assert res.n_outside == 2


def test_grid_spec_snapping_and_validation() -> None:
    g = GridSpec.from_bounds(612_345.0, 6_543_210.0, 618_000.0, 6_550_000.0, 250)
    assert g.x0 == 612_250.0 and g.y0 == 6_543_000.0
    assert g.x0 + g.nx * 250 >= 618_000 and g.y0 + g.ny * 250 >= 6_550_000
    with pytest.raises(AnalysisInputError, match="cell_size"):
        GridSpec.from_bounds(0, 0, 10, 10, -1)
    with pytest.raises(AnalysisInputError, match="limit"):
        GridSpec.from_bounds(0, 0, 1e7, 1e7, 1)
    with pytest.raises(AnalysisInputError, match="xmin <= xmax"):
        GridSpec.from_bounds(10, 0, 0, 10, 1)


def _areas() -> list[shapely.Geometry]:
    """13 areas: a 3x4 block partition, with holes in one, plus a circle
    overlapping two blocks (it comes last, so it only gets uncovered points)."""
    polys = []
    for i in range(4):
        for j in range(3):
            polys.append(shapely.box(i * 2500, j * 2500, (i + 1) * 2500, (j + 1) * 2500))
    polys[5] = polys[5].difference(Point(3750, 6250).buffer(600))
    polys.append(Point(3750, 6250).buffer(900))
    return polys


def test_area_counts_equal_per_point_loop() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(-500, 10_500, 5_000)
    y = rng.uniform(-500, 8_000, 5_000)
    x[:50] = np.round(x[:50] / 2500) * 2500  # points on shared boundaries
    polys = _areas()
    ref = np.full(x.size, -1)
    for k in range(x.size):
        p = Point(x[k], y[k])
        for a, poly in enumerate(polys):
            if poly.covers(p):
                ref[k] = a
                break
    got = assign_areas(x, y, polys)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(
        area_counts(x, y, polys), np.bincount(ref[ref >= 0], minlength=len(polys))
    )
    # the STRtree path (used for many polygons) gives the same assignment
    old = grid_mod._STRTREE_THRESHOLD
    try:
        grid_mod._STRTREE_THRESHOLD = 0
        np.testing.assert_array_equal(assign_areas(x, y, polys), ref)
    finally:
        grid_mod._STRTREE_THRESHOLD = old


def test_polygon_study_area_and_cell_mask() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 5000, 4000)
    y = rng.uniform(0, 5000, 4000)
    circle = Point(2500, 2500).buffer(2000)
    g = GridSpec.from_polygon(circle, 250)
    inside = points_in_polygon(x, y, circle)
    assert inside.sum() == sum(circle.covers(Point(a, b)) for a, b in zip(x, y, strict=True))
    res = grid_counts(x, y, g, polygon=circle)
    assert res.counts.sum() == inside.sum() and res.n_outside == (~inside).sum()
    xc, yc = g.cell_centers()
    expected_mask = np.array([[circle.covers(Point(a, b)) for a in xc] for b in yc])
    np.testing.assert_array_equal(res.mask, expected_mask)
    touching = polygon_cell_mask(g, circle, how="intersects")
    assert (touching >= res.mask).all() and touching.sum() > res.mask.sum()


def test_h3_counts_equal_per_point_h3() -> None:
    rng = np.random.default_rng(4)
    lon = rng.uniform(17.25, 17.35, 3000)
    lat = rng.uniform(62.37, 62.42, 3000)
    res = h3_counts(lon, lat, 9)
    ref = Counter(h3.latlng_to_cell(a, b, 9) for a, b in zip(lat, lon, strict=True))
    assert dict(zip(res.cells.tolist(), res.counts.tolist(), strict=True)) == dict(ref)
    assert list(res.cells) == sorted(res.cells)
    with pytest.raises(AnalysisInputError, match="WGS84"):
        h3_counts([674_000.0], [6_580_000.0], 9)
    with pytest.raises(AnalysisInputError, match="resolution"):
        h3_counts([17.3], [62.4], 16)


@pytest.mark.parametrize("fn", ["grid", "areas", "h3", "inside"])
def test_nonfinite_coordinates_are_rejected(fn: str) -> None:
    x = np.array([1.0, np.nan, 3.0])
    y = np.array([1.0, 2.0, 3.0])
    g = GridSpec(0, 0, 1, 5, 5)
    calls = {
        "grid": lambda: grid_counts(x, y, g),
        "areas": lambda: area_counts(x, y, [shapely.box(0, 0, 5, 5)]),
        "h3": lambda: h3_counts(x + 17, y + 60, 8),
        "inside": lambda: points_in_polygon(x, y, shapely.box(0, 0, 5, 5)),
    }
    with pytest.raises(
        AnalysisInputError, match=r"x contains 1 non-finite|lon contains 1 non-finite"
    ):
        calls[fn]()


def test_mismatched_lengths_and_bad_geometry() -> None:
    g = GridSpec(0, 0, 1, 5, 5)
    with pytest.raises(AnalysisInputError, match="length mismatch"):
        grid_counts([1.0, 2.0], [1.0], g)
    with pytest.raises(AnalysisInputError, match="length mismatch"):
        grid_counts([1.0, 2.0], [1.0, 2.0], g, weights=[1.0])
    with pytest.raises(AnalysisInputError, match="Polygon"):
        area_counts([1.0], [1.0], [Point(0, 0)])
    with pytest.raises(AnalysisInputError, match="Shapely geometry"):
        area_counts([1.0], [1.0], ["not a polygon"])
