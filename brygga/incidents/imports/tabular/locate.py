"""Where the rows of a CSV/Excel import happened: the checks of
:func:`brygga.incidents.location.resolve`, vectorised for a batch of rows.

A point must lie in the WGS84 box of Sweden (or the SWEREF 99 TM range), and inside the
municipality or within its boundary tolerance. Rows that fail the range checks go through
``resolve`` itself, so the message is the report form's; a point outside the municipality gets
the message ``resolve`` gives for the first such row. The point is completed (the other
coordinate system, the area that contains it) when the row is written, by
:class:`brygga.incidents.location.PointPlacer` through the incident services.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import shapely
from django.core.exceptions import ValidationError

from brygga.core.geo import (
    BOUNDARY_TOLERANCE_M,
    SWEDEN_LAT,
    SWEDEN_LON,
    _transformer,
    boundary_sweref,
)
from brygga.core.models import Municipality

from ...location import SWEREF_E, SWEREF_N, resolve

# What a row gives for its place: a WGS84 point, a SWEREF 99 TM point, an area only, nothing,
# or something that could not be read (the row is left out).
WGS, SWEREF, AREA_ONLY, NOWHERE, SKIP = range(5)

ReportFn = Callable[[int, int, str], None]


def _floats(values) -> np.ndarray:
    return np.array(values, dtype=float)  # None → NaN


class Locator:
    """The point checks for the batches of one import (the boundary is prepared once)."""

    def __init__(self, municipality: Municipality):
        self.municipality = municipality
        self.tolerance = BOUNDARY_TOLERANCE_M
        self.boundary = boundary_sweref(municipality)
        shapely.prepare(self.boundary)
        self.to_sweref = _transformer("EPSG:4326", "EPSG:3006")
        self.outside_message: str | None = None

    def _resolve(self, **kw):
        return resolve(self.municipality, areas=(), **kw)

    def check(
        self,
        kind: Sequence[int],
        lat: Sequence,
        lon: Sequence,
        e: Sequence,
        n: Sequence,
        report: ReportFn,
    ) -> set[int]:
        """The positions of the rows of one batch whose point is wrong; ``report(position,
        kind, message)`` is called for each."""
        k = np.array(kind, dtype=np.int8)
        w, s = k == WGS, k == SWEREF
        if not (w.any() or s.any()):
            return set()
        plat, plon, pe, pn = _floats(lat), _floats(lon), _floats(e), _floats(n)
        with np.errstate(invalid="ignore"):
            w_ok = (
                w
                & (plat >= SWEDEN_LAT[0])
                & (plat <= SWEDEN_LAT[1])
                & (plon >= SWEDEN_LON[0])
                & (plon <= SWEDEN_LON[1])
            )
            s_ok = (
                s
                & (pe >= SWEREF_E[0])
                & (pe <= SWEREF_E[1])
                & (pn >= SWEREF_N[0])
                & (pn <= SWEREF_N[1])
            )
        if w_ok.any():
            pe[w_ok], pn[w_ok] = self.to_sweref.transform(plon[w_ok], plat[w_ok])
        cand = w_ok | s_ok
        good = np.zeros(len(k), dtype=bool)
        if cand.any():
            good[cand] = shapely.contains_xy(self.boundary, pe[cand], pn[cand])
        bad: set[int] = set()
        near = np.flatnonzero(cand & ~good)
        if len(near):
            d = shapely.distance(self.boundary, shapely.points(pe[near], pn[near]))
            for i in near[d > self.tolerance].tolist():
                if self.outside_message is None:
                    try:
                        self._resolve(
                            lat=lat[i] if w[i] else None,
                            lon=lon[i] if w[i] else None,
                            sweref_e=e[i] if s[i] else None,
                            sweref_n=n[i] if s[i] else None,
                        )
                    except ValidationError as exc:
                        self.outside_message = " ".join(exc.messages)
                    else:  # pragma: no cover - resolve and this check disagree
                        continue
                report(i, kind[i], self.outside_message)
                bad.add(i)
        # out of range, or only one of a pair: resolve says why (it fails before any geometry)
        for i in np.flatnonzero((w | s) & ~cand).tolist():
            try:
                self._resolve(
                    lat=lat[i] if w[i] else None,
                    lon=lon[i] if w[i] else None,
                    sweref_e=e[i] if s[i] else None,
                    sweref_n=n[i] if s[i] else None,
                )
            except ValidationError as exc:
                report(i, kind[i], " ".join(exc.messages))
            bad.add(i)
        return bad
