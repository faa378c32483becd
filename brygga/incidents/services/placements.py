"""Placements of incidents in areas: the one writer of ``IncidentPlacement``.

An incident lies in at most one area of each layer of its municipality:

* with a point, in the area of the layer that contains it (``shapely.contains_xy``: a point on
  the boundary is outside); where areas of one layer overlap, in the smallest (by the
  polygon's area);
* without a point (or with one in no area of the layer), in its ``area`` if that area belongs
  to the layer and has no boundary to test the point against (a code-only statistical area),
  or if the incident has no point at all.

County-level police events are stored as one copy per municipality (``county_event``); each
copy is placed like any incident of its municipality.

The work is vectorised: a :class:`Placer` reads a municipality's areas once and places whole
columns of points (a bounding-box prefilter in numpy, then ``contains_xy`` per polygon on the
points inside its box). Writes are a bulk delete and one ``executemany`` (``COPY`` on
PostgreSQL) per batch.

* :func:`place_incidents` — new or moved incidents, in every layer, inside the caller's
  transaction (the report form, Open311, the API, the bulk writer of the imports);
* :func:`place_layer` — every incident of a municipality in one layer, a batch per
  transaction with a progress callback (after a layer's areas change: the task in
  :mod:`brygga.incidents.placements`, and ``brygga place-incidents``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import connection, transaction
from django.db.models import Max, Q

from brygga.core.geo import _area_shape
from brygga.core.models import Area, AreaLayer

from ..models import Incident, IncidentPlacement
from .rollups import days_of, refresh_counts

BATCH_SIZE = 5000
FEW = 20  # incidents placed with only the areas near them (a report, an edit)
Progress = Callable[[int, int], None]  # (incidents done, incidents in all)


@dataclass
class _LayerShapes:
    """One layer's areas: those with a boundary, smallest first, and every area's id."""

    pk: int
    ids: list[int] = field(default_factory=list)
    shapes: list = field(default_factory=list)
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    sizes: list[float] = field(default_factory=list)
    all_ids: set[int] = field(default_factory=set)
    code_only: set[int] = field(default_factory=set)

    def add(self, area: dict) -> None:
        self.all_ids.add(area["pk"])
        if not area["geometry"] or area["min_lon"] is None:
            self.code_only.add(area["pk"])
            return
        geom = _area_shape(area["pk"], area["updated_at"].isoformat(), json.dumps(area["geometry"]))
        self.ids.append(area["pk"])
        self.shapes.append(geom)
        self.boxes.append((area["min_lon"], area["min_lat"], area["max_lon"], area["max_lat"]))
        self.sizes.append(float(shapely.area(geom)))

    def sort(self) -> None:
        order = sorted(range(len(self.ids)), key=lambda i: self.sizes[i])  # stable on ties
        self.ids = [self.ids[i] for i in order]
        self.shapes = [self.shapes[i] for i in order]
        self.boxes = [self.boxes[i] for i in order]
        self.sizes = [self.sizes[i] for i in order]

    def place(self, lon: np.ndarray, lat: np.ndarray, given: np.ndarray) -> np.ndarray:
        """The area id of each point (0: none); ``given`` is each incident's own area id."""
        found = np.zeros(len(lon), dtype=np.int64)
        has_point = ~np.isnan(lon) & ~np.isnan(lat)
        for pk, geom, (x0, y0, x1, y1) in zip(self.ids, self.shapes, self.boxes, strict=True):
            idx = np.flatnonzero(
                has_point & (found == 0) & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
            )
            if len(idx):
                found[idx[shapely.contains_xy(geom, lon[idx], lat[idx])]] = pk
        if self.all_ids:
            own = np.isin(given, list(self.all_ids))
            by_area = own & (~has_point | np.isin(given, list(self.code_only) or [0]))
            fallback = (found == 0) & by_area
            found[fallback] = given[fallback]
        return found


class Placer:
    """The layers of one municipality (or the ones named), read once, to place columns of
    incidents in each."""

    def __init__(
        self,
        municipality_id: int,
        layer_ids: Iterable[int] | None = None,
        *,
        near: Sequence[tuple] | None = None,
    ):
        self.municipality_id = municipality_id
        layers = AreaLayer.objects.filter(municipality_id=municipality_id)
        if layer_ids is not None:
            layers = layers.filter(pk__in=list(layer_ids))
        self.layers = {pk: _LayerShapes(pk) for pk in layers.values_list("pk", flat=True)}
        areas = Area.objects.filter(municipality_id=municipality_id, layer_id__in=self.layers)
        if near is not None:
            # only the areas that can hold these rows (``(id, lat, lon, area id)``): those
            # whose box holds a point, and the rows' own areas
            wanted = Q(pk__in=[r[3] for r in near if r[3]])
            for _pk, lat, lon, _area in near:
                if lat is not None and lon is not None:
                    wanted |= Q(
                        min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat
                    )
            areas = areas.filter(wanted)
        for area in areas.order_by("name", "pk").values(
            "pk", "layer_id", "geometry", "updated_at", "min_lon", "min_lat", "max_lon", "max_lat"
        ):
            self.layers[area["layer_id"]].add(area)
        for layer in self.layers.values():
            layer.sort()

    def placements(self, rows: Sequence[tuple]) -> list[tuple[int, int, int, int]]:
        """``rows`` of ``(incident id, lat, lon, area id)``: their placements in every layer,
        as ``(municipality id, incident id, layer id, area id)``."""
        if not rows or not self.layers:
            return []
        ids, lat, lon, given = zip(*rows, strict=True)
        plat, plon = np.array(lat, dtype=float), np.array(lon, dtype=float)  # None → NaN
        own = np.array([a or 0 for a in given], dtype=np.int64)
        incident = np.array(ids, dtype=np.int64)
        out: list[tuple[int, int, int, int]] = []
        m = self.municipality_id
        for layer in self.layers.values():
            found = layer.place(plon, plat, own)
            at = np.flatnonzero(found)
            out.extend(
                (m, i, layer.pk, a)
                for i, a in zip(incident[at].tolist(), found[at].tolist(), strict=True)
            )
        return out


def _insert(placements: list[tuple[int, int, int, int]]) -> int:
    """Insert placements with one ``executemany`` (``COPY`` on PostgreSQL): ``bulk_create``
    would build a model instance per row, which costs more than the insert (no signals are
    sent either way: placements are not tracked)."""
    if not placements:
        return 0
    qn = connection.ops.quote_name
    table = qn(IncidentPlacement._meta.db_table)
    cols = ", ".join(qn(c) for c in ("municipality_id", "incident_id", "layer_id", "area_id"))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
            ):
                for row in placements:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES (%s, %s, %s, %s)", placements)  # noqa: S608
    return len(placements)


def _rows(qs) -> list[tuple]:
    return list(qs.values_list("pk", "lat", "lon", "area_id"))


@transaction.atomic
def place_incidents(*, municipality_id: int, incident_ids: Sequence[int]) -> int:
    """Place these incidents of one municipality (new or moved) in every layer, replacing
    their placements; returns how many placements were written."""
    placer = None
    if len(incident_ids) <= FEW:  # one report: only the areas whose box holds its point
        rows = _rows(Incident.objects.filter(municipality_id=municipality_id, pk__in=incident_ids))
        placer = Placer(municipality_id, near=rows)
    placer = placer or Placer(municipality_id)
    written = 0
    for start in range(0, len(incident_ids), BATCH_SIZE):
        chunk = list(incident_ids[start : start + BATCH_SIZE])
        rows = _rows(Incident.objects.filter(municipality_id=municipality_id, pk__in=chunk))
        IncidentPlacement.objects.filter(
            municipality_id=municipality_id, incident_id__in=chunk
        ).delete()
        written += _insert(placer.placements(rows))
    return written


def place_new_incidents(*, after: dict[int, int]) -> int:
    """Place the incidents of each municipality in ``after`` with an id above the one given
    (:func:`last_incident_ids` before a bulk writer's insert: what it has just inserted, in
    the caller's transaction)."""
    written = 0
    for m, after_id in sorted(after.items()):
        ids = list(
            Incident.objects.filter(municipality_id=m, pk__gt=after_id).values_list("pk", flat=True)
        )
        if ids:
            written += place_incidents(municipality_id=m, incident_ids=ids)
    return written


def last_incident_ids(municipality_ids: Iterable[int | None]) -> dict[int, int]:
    """The highest incident id of each municipality now. PostgreSQL: one probe of the key
    (municipality_id, id) each; SQLite, which writes one transaction at a time: the table's
    highest id (read from the end of the table) for all."""
    ms = {m for m in municipality_ids if m is not None}
    if connection.vendor != "postgresql":
        top = Incident.objects.aggregate(top=Max("pk"))["top"] or 0
        return dict.fromkeys(ms, top)
    return {
        m: Incident.objects.filter(municipality_id=m)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
        for m in ms
    }


def place_layer(
    *, layer: AreaLayer, progress: Progress | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Place every incident of the layer's municipality in ``layer`` again (after its areas
    changed), ``batch_size`` incidents per transaction; ``progress(done, total)`` after each
    batch. Returns how many incidents are placed in the layer. A layer deleted meanwhile
    stops the work (its placements went with it)."""
    m = layer.municipality_id
    incidents = Incident.objects.filter(municipality_id=m)
    total = incidents.count()
    placer = Placer(m, layer_ids=[layer.pk])
    if layer.pk not in placer.layers:
        return 0
    # an area moved to another layer takes its placements out of the old one, where its
    # incidents are placed again (in the old layer's area that holds them now, if one does)
    moved = IncidentPlacement.objects.filter(municipality_id=m, area__layer=layer).exclude(
        layer=layer
    )
    left = _left_behind(m, moved)
    recount = {layer.pk, *left}
    moved.delete()
    for old_layer, incident_ids in left.items():  # placed again among the old layer's areas
        _place_in(m, old_layer, incident_ids)
    done = placed = 0
    last = 0
    if progress:
        progress(0, total)
    while True:
        with transaction.atomic():
            # one run at a time writes a layer's batch (two runs for one layer interleave)
            if (
                not AreaLayer.objects.select_for_update()
                .filter(municipality_id=layer.municipality_id, pk=layer.pk)
                .exists()
            ):
                return placed
            rows = _rows(incidents.filter(pk__gt=last).order_by("pk")[:batch_size])
            if not rows:
                break
            before, last = last, rows[-1][0]
            IncidentPlacement.objects.filter(
                municipality_id=m, layer=layer, incident_id__gt=before, incident_id__lte=last
            ).delete()
            placed += _insert(placer.placements(rows))
        done += len(rows)
        if progress:
            progress(min(done, total), max(total, done))
    # the layers' rows of the lägesbild's counts, every day at once (the totals are unchanged)
    with transaction.atomic():
        if AreaLayer.objects.filter(municipality_id=m, pk=layer.pk).exists():
            days = days_of(incidents).get(m, ())
            refresh_counts(municipality_id=m, days=days, layer_ids=recount)
    return placed


def _left_behind(municipality_id: int, moved) -> dict[int, list[int]]:
    """The incidents of the placements of areas that moved to another layer, by the layer
    they were placed in."""
    out: dict[int, list[int]] = {}
    for layer_id, incident_id in moved.values_list("layer_id", "incident_id").order_by():
        out.setdefault(layer_id, []).append(incident_id)
    return out


def _place_in(municipality_id: int, layer_id: int, incident_ids: list[int]) -> None:
    """Place these incidents in one layer again (an area of it that held them moved away)."""
    placer = Placer(municipality_id, layer_ids=[layer_id])
    for start in range(0, len(incident_ids), BATCH_SIZE):
        chunk = incident_ids[start : start + BATCH_SIZE]
        with transaction.atomic():
            IncidentPlacement.objects.filter(
                municipality_id=municipality_id, layer_id=layer_id, incident_id__in=chunk
            ).delete()
            _insert(
                placer.placements(
                    _rows(Incident.objects.filter(municipality_id=municipality_id, pk__in=chunk))
                )
            )


def place_municipality(
    *, municipality_id: int, layer: AreaLayer | None = None, progress: Progress | None = None
) -> dict[str, int]:
    """Place every incident of a municipality in ``layer``, or in each of its layers in turn;
    ``{layer name: incidents placed}``."""
    layers = (
        [layer]
        if layer is not None
        else list(AreaLayer.objects.filter(municipality_id=municipality_id).order_by("name"))
    )
    return {
        one.name: place_layer(layer=one, progress=progress)
        for one in layers
        if one.municipality_id == municipality_id
    }
