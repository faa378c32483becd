"""The lägesbild's map as a static SVG drawn on the server, for the frozen snapshot (the published
page and the PDF show the same markup; no tiles, no script, no request to anyone).

What it shows: the scope's areas (the areas of ``figures.areas_of``, with their geometry) as a
choropleth of the period's events in up to :data:`N_CLASSES` classes (``maps.class_breaks``, the
interactive map's breaks), each area numbered on the map and listed with its count below it and
named in its ``<title>``; over them the Gi* hot- and cold-spot cells of the interactive map
(``maps.cell_grid`` + the library's ``gi_star_grid`` with FDR), by class only — never a cell's
count. Nothing at point level is drawn.

The counts come from the snapshot's "omraden" table after protection, so the map can never show
more than the table: for an audience without need-to-know an area whose count is hidden ("<k")
is drawn hatched grey, in the legend as "fewer than k", with no number; the class breaks are
computed from the shown counts only.

Geometry: WGS84 → SWEREF 99 TM (EPSG:3006, ``brygga.core.geo.to_sweref``, pyproj), simplified
with Shapely to half a pixel at the drawn size (``preserve_topology``), coordinates rounded to
0.1 px, so a map of a few dozen areas stays some tens of kilobytes. The hot-spot cells of one
class are merged into one path, clipped to the areas' extent. Colours are presentation attributes
of the SVG itself, so the markup looks the same on the page and in the PDF without a style sheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from django.utils.html import escape
from django.utils.translation import gettext as _
from shapely import box
from shapely.geometry import shape
from shapely.ops import unary_union

from brygga.analysis.hotspots import gi_star_grid
from brygga.core.geo import to_sweref
from brygga.core.models import Area

from . import maps
from .figures import areas_of
from .scope import Scope

N_CLASSES = maps.N_CLASSES
# ColorBrewer Greens (5): apart from the hot (red) and cold (blue) cells drawn over them
AREA_COLOURS = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
NO_FIGURE = "#ffffff"
HIDDEN_FILL, HIDDEN_LINE = "#d9d9d9", "#8c8c8c"
HOT_COLOURS = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}
OUTLINE = "#3b2a1a"
WIDTH, MAX_HEIGHT = 640, 480
PAD = 8
LEGEND_ROW = 22
LEGEND_COLUMNS = 4


@dataclass
class MapArea:
    pk: int
    name: str
    geometry: object | None  # shapely, SWEREF 99 TM; None: no boundary
    events: int | str | None  # a count, the hidden label ("<k") or None (no figure)
    number: int = 0


@dataclass
class MapData:
    title: str
    areas: list[MapArea]
    hot: dict[int, object] = field(default_factory=dict)  # class → shapely (SWEREF)
    k: int | None = None  # the suppression threshold shown in the legend (protected audiences)
    cell: int = maps.CELL_DEFAULT
    map_id: str = "report-map"


# --- data -------------------------------------------------------------------------------------
def _valid(geom):
    return geom if geom.is_valid else geom.buffer(0)


def area_figures(table: dict | None) -> dict[str, int | str | None]:
    """Area id (as the table's ``key``) → events (or the hidden label) from an "omraden" table."""
    if not table:
        return {}
    cols = table["columns"]
    key, ev = cols.index("key"), cols.index("events")
    return {str(r[key]): r[ev] for r in table["rows"]}


def hot_cells(user, scope: Scope, cell: int = maps.CELL_DEFAULT) -> dict[int, object]:
    """The significant Gi* cells of the interactive map per class, each class one geometry in
    SWEREF 99 TM (the cells merged)."""
    cg = maps.cell_grid(user, scope, cell)
    if not cg.mask.any():
        return {}
    res = gi_star_grid(
        cg.counts, mask=cg.mask, permutations=maps.PERMUTATIONS, seed=maps.SEED, fdr=True
    )
    out = {}
    cs = cg.grid.cell_size
    for k in maps.HOTSPOT_CLASSES:
        rows, cols = np.nonzero(res.hotspot_class == k)
        if rows.size == 0:
            continue
        boxes = [
            box(cg.grid.x0 + c * cs, cg.grid.y0 + r * cs, cg.grid.x0 + (c + 1) * cs,
                cg.grid.y0 + (r + 1) * cs)
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
        ]  # fmt: skip
        out[k] = unary_union(boxes)
    return out


def map_data(user, scope: Scope, omraden: dict | None, *, k: int | None, title: str) -> MapData:
    """The areas of the scope with their (protected) counts and the hot-spot cells."""
    figures = area_figures(omraden)
    ids = [a.pk for a in areas_of(scope)]
    by_pk = {a.pk: a for a in Area.objects.filter(pk__in=ids)}
    areas = []
    for pk in ids:
        a = by_pk.get(pk)
        if a is None:
            continue
        geom = _valid(to_sweref(shape(a.geometry))) if a.geometry else None
        areas.append(MapArea(pk=a.pk, name=a.name, geometry=geom, events=figures.get(str(a.pk))))
    hot = hot_cells(user, scope) if any(a.geometry is not None for a in areas) else {}
    return MapData(title=title, areas=areas, hot=hot, k=k)


# --- drawing ----------------------------------------------------------------------------------
@dataclass
class _Frame:
    """SWEREF metres → SVG pixels (north up), fitted into WIDTH × MAX_HEIGHT."""

    x0: float
    y0: float
    x1: float
    y1: float

    def __post_init__(self) -> None:
        w, h = max(self.x1 - self.x0, 1.0), max(self.y1 - self.y0, 1.0)
        self.scale = min((WIDTH - 2 * PAD) / w, (MAX_HEIGHT - 2 * PAD) / h)
        self.width = WIDTH
        self.height = math.ceil(h * self.scale + 2 * PAD)
        self.dx = (WIDTH - w * self.scale) / 2

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (
            round(self.dx + (x - self.x0) * self.scale, 1),
            round(PAD + (self.y1 - y) * self.scale, 1),
        )

    @property
    def tolerance(self) -> float:
        return 0.5 / self.scale  # half a pixel, in metres


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _ring(frame: _Frame, coords) -> str:
    pts = [frame.xy(x, y) for x, y in coords]
    out, last = [], None
    for p in pts:
        if p != last:
            out.append(f"{_num(p[0])},{_num(p[1])}")
            last = p
    if len(out) < 3:
        return ""
    return "M" + out[0] + "L" + " ".join(out[1:]) + "Z"


def path_data(frame: _Frame, geom) -> str:
    polys = getattr(geom, "geoms", [geom])
    parts = []
    for p in polys:
        if p.geom_type != "Polygon" or p.is_empty:
            continue
        parts.append(_ring(frame, p.exterior.coords))
        parts += [_ring(frame, r.coords) for r in p.interiors]
    return "".join(parts)


def _class_labels(values: list[int], breaks: list[float]) -> list[str]:
    labels, start = [], min(values)
    for b in breaks:
        hi = math.floor(b)
        labels.append(f"{start}–{hi}" if start < hi else f"{hi}")
        start = hi + 1
    return labels


def _swatch(x: float, y: float, fill: str, text: str, *, stroke: str = OUTLINE) -> str:
    return (
        f'<rect x="{x}" y="{y}" width="14" height="14" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="0.8"/><text x="{x + 20}" y="{y + 11}" font-size="11" '
        f'fill="#1b1f24">{escape(text)}</text>'
    )


def render(data: MapData) -> str:
    """The map as a ``<figure>`` with the SVG and the list of areas; "" without geometry."""
    drawn = [a for a in data.areas if a.geometry is not None and not a.geometry.is_empty]
    if not drawn:
        return ""
    x0, y0, x1, y1 = unary_union([a.geometry for a in drawn]).bounds
    margin = 0.03 * max(x1 - x0, y1 - y0, 1.0)
    frame = _Frame(x0 - margin, y0 - margin, x1 + margin, y1 + margin)
    extent = box(frame.x0, frame.y0, frame.x1, frame.y1)
    shown = [a.events for a in data.areas if isinstance(a.events, int)]
    breaks = maps.class_breaks(shown)
    offset = N_CLASSES - len(breaks)
    mid = data.map_id
    hatch = f"{mid}-hidden"
    hidden_any = False
    parts = [
        f'<defs><pattern id="{hatch}" patternUnits="userSpaceOnUse" width="6" height="6">'
        f'<rect width="6" height="6" fill="{HIDDEN_FILL}"/>'
        f'<path d="M0,6L6,0M-1,1L1,-1M5,7L7,5" stroke="{HIDDEN_LINE}" stroke-width="1.2"/>'
        "</pattern></defs>",
        '<g class="map-areas">',
    ]
    for number, a in enumerate(data.areas, start=1):
        a.number = number
    for a in drawn:
        geom = a.geometry.simplify(frame.tolerance, preserve_topology=True)
        if isinstance(a.events, int):
            c = maps.class_of(a.events, breaks)
            fill = AREA_COLOURS[c - 1 + offset]
            label = _("%(name)s: %(n)s events") % {"name": a.name, "n": a.events}
        elif a.events is None:
            fill, label = NO_FIGURE, _("%(name)s: no figure") % {"name": a.name}
        else:
            hidden_any = True
            fill = f"url(#{hatch})"
            label = _("%(name)s: fewer than %(k)s events") % {"name": a.name, "k": data.k}
        parts.append(
            f'<path data-area="{a.pk}" d="{path_data(frame, geom)}" fill="{fill}" '
            f'stroke="{OUTLINE}" stroke-width="0.8" fill-rule="evenodd">'
            f"<title>{escape(label)}</title></path>"
        )
    parts.append("</g>")
    hot_present = []
    if data.hot:
        parts.append('<g class="map-hotspots">')
        for k in maps.HOTSPOT_CLASSES:
            geom = data.hot.get(k)
            if geom is None:
                continue
            geom = geom.intersection(extent)
            if geom.is_empty:
                continue
            hot_present.append(k)
            parts.append(
                f'<path data-hotspot="{k}" d="{path_data(frame, geom)}" fill="{HOT_COLOURS[k]}" '
                f'fill-opacity="0.85" stroke="#1b1f24" stroke-width="0.5" fill-rule="evenodd">'
                f"<title>{escape(maps.hotspot_label(k))}</title></path>"
            )
        parts.append("</g>")
    parts.append('<g class="map-labels" font-size="10" text-anchor="middle">')
    for a in drawn:
        px, py = frame.xy(*a.geometry.representative_point().coords[0])
        parts.append(
            f'<circle cx="{_num(px)}" cy="{_num(py)}" r="8" fill="#ffffff" stroke="{OUTLINE}" '
            f'stroke-width="0.6"/><text x="{_num(px)}" y="{_num(py + 3.5)}" '
            f'fill="#1b1f24">{a.number}</text>'
        )
    parts.append("</g>")

    # the legend, below the map
    items = [
        (AREA_COLOURS[i + offset], t)
        for i, t in enumerate(_class_labels(shown, breaks) if breaks else [])
    ]
    if hidden_any:
        items.append((f"url(#{hatch})", _("fewer than %(k)s") % {"k": data.k}))
    hot_items = [(HOT_COLOURS[k], maps.hotspot_label(k)) for k in hot_present]
    y = frame.height + 6
    legend = [
        f'<text x="{PAD}" y="{y + 11}" font-size="11" font-weight="bold" fill="#1b1f24">'
        f"{escape(_('Events in the period'))}</text>"
    ]
    y += LEGEND_ROW
    for rows, columns in ((items, LEGEND_COLUMNS), (hot_items, 3)):  # hot-spot labels are longer
        col_w = (WIDTH - 2 * PAD) / columns
        for i, (fill, text) in enumerate(rows):
            if i and i % columns == 0:
                y += LEGEND_ROW
            legend.append(_swatch(round(PAD + col_w * (i % columns), 1), y, fill, text))
        if rows:
            y += LEGEND_ROW
    if not hot_present:
        legend.append(
            f'<text x="{PAD}" y="{y + 11}" font-size="11" fill="#1b1f24">'
            f"{escape(_('No hot or cold spots in the map’s extent.'))}</text>"
        )
        y += LEGEND_ROW
    height = math.ceil(y + 4)
    desc = _(
        "The areas shaded by the period's events in classes (the numbers are in the list below), "
        "with the Gi* hot and cold spots of %(cell)s m cells (false discovery rate controlled) "
        "drawn over them. An area whose count is hidden is hatched grey."
    ) % {"cell": data.cell}
    svg = (
        f'<svg class="chart-svg report-map-svg" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{mid}-title {mid}-desc" focusable="false" '
        f'font-family="DejaVu Sans, Liberation Sans, sans-serif">'
        f'<title id="{mid}-title">{escape(data.title)}</title>'
        f'<desc id="{mid}-desc">{escape(desc)}</desc>' + "".join(parts) + "".join(legend) + "</svg>"
    )
    listed = []
    for a in data.areas:
        if isinstance(a.events, int):
            value = str(a.events)
        elif a.events is None:
            value = "–"
        else:
            value = str(a.events)
        where = "" if a.geometry is not None else " " + _("(no boundary, not drawn)")
        listed.append(f"<li>{escape(a.name)}: {escape(value)}{escape(where)}</li>")
    return (
        f'<figure class="chart report-map" id="{mid}">'
        f'<figcaption class="report-map-title">{escape(data.title)}</figcaption>'
        f"{svg}"
        f'<ol class="report-map-areas" aria-label="{escape(_("Areas on the map"))}">'
        + "".join(listed)
        + "</ol></figure>"
    )


def report_map(user, scope: Scope, omraden: dict | None, *, k: int | None) -> str:
    """The snapshot's map of the scope (markup), "" when the scope has no area with a boundary."""
    if not areas_of(scope):
        return ""
    title = _("Events per area and hot spots, %(period)s") % {"period": scope.period.label}
    return render(map_data(user, scope, omraden, k=k, title=title))
