"""The writer of a GIS file's areas into a layer (``brygga import-areas`` and the upload page).

The whole file is checked before anything is written; then every area is saved in one
transaction through :func:`area_save` (so each change has its history), and the layer's
incidents are placed again once (:func:`notify_layer_changed`). Rules, as the user guide
(docs/anvandarguide/omraden.md) states them:

* a feature more than half outside the municipality (boundary with 300 m tolerance) is left out
  and listed; one partly outside (over 1 %) is imported with a warning;
* a feature whose DeSO/RegSO code carries another municipality's kommunkod is another
  municipality's feature: counted, not imported, not an error (a national file);
* an invalid geometry is repaired (``shapely.make_valid``, keeping its polygonal parts) with a
  warning; one with nothing polygonal, or no geometry, refuses the import naming the feature;
* features with the same code (or, without a code field, the same name) are parts of one
  area and are merged, with a warning; the same code under different names refuses the import;
* an area already in the layer with the feature's code (or, without codes, its name) is
  updated; one whose name, code and boundary are the same is unchanged. Areas of the layer
  that the file does not hold are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon

from ..area_codes import code_municipality, normalise_code, statistical_kind
from ..geo import as_geojson, outside_share
from ..models import STATISTICAL_LAYER_KINDS, Area, AreaLayer, LayerKind, Municipality
from . import _require_change, _require_manage
from .areas import area_layer_save, area_save, notify_layer_changed

LEFT_OUT_SHARE = 0.5  # more than half outside the municipality: left out
WARN_SHARE = 0.01  # more than this outside: imported with a warning
MAX_PROBLEMS = 50
NAME_FIELDS = (
    "namn",
    "name",
    "omradesnamn",
    "områdesnamn",
    "omrade",
    "område",
    "omr_namn",
    "benamning",
    "benämning",
    "regsonamn",
    "regso",
    "desonamn",
    "deso",
    "desokod",
    "deso_kod",
    "regsokod",
    "regso_kod",
)
CODE_FIELDS = ("desokod", "deso_kod", "deso", "regsokod", "regso_kod", "kod", "code", "omradeskod")

Progress = Callable[[int, int, str], None]


@dataclass
class NewLayer:
    """A layer the import creates (not on a dry run)."""

    name: str
    kind: str


@dataclass
class LeftOut:
    number: int
    name: str
    reason: str


@dataclass
class PlannedArea:
    numbers: list[int]
    name: str
    code: str
    geometry: object  # shapely (Multi)Polygon, WGS84
    existing: Area | None = None
    action: str = "created"  # created, updated, unchanged


@dataclass
class AreaImportResult:
    file_name: str
    layer_name: str
    layer_kind: str
    layer_created: bool
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    left_out: list[LeftOut] = field(default_factory=list)
    other_municipalities: list[LeftOut] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_in_file: int = 0  # areas of the layer the file does not hold (left as they are)
    areas: list[PlannedArea] = field(default_factory=list)


# --- guesses for the command and the page ----------------------------------------------------
def guess_name_field(fields: Sequence[str]) -> str | None:
    by_lower = {f.lower(): f for f in fields}
    return next((by_lower[n] for n in NAME_FIELDS if n in by_lower), None)


def guess_code_field(fields: Sequence[str], features=()) -> str | None:
    """A field whose values are mostly DeSO/RegSO codes, else one with a usual code name."""
    features = list(features)
    for name in fields:
        values = [normalise_code(f.properties.get(name)) for f in features[:200]]
        values = [v for v in values if v]
        if values and sum(1 for v in values if statistical_kind(v)) > len(values) / 2:
            return name
    by_lower = {f.lower(): f for f in fields}
    return next((by_lower[n] for n in CODE_FIELDS if n in by_lower), None)


def guess_layer_kind(features, code_field: str | None) -> str:
    """deso or regso when most codes are such codes, else the municipality's own areas."""
    if code_field:
        kinds = [statistical_kind(f.properties.get(code_field)) for f in features]
        for kind in (LayerKind.DESO, LayerKind.REGSO):
            if kinds and kinds.count(kind) > len(kinds) / 2:
                return kind
    return LayerKind.OWN


# --- checking ----------------------------------------------------------------------------------
def _label(file_name: str, number: int, name: str) -> str:
    if name:
        return _("%(file)s, feature %(n)s (“%(name)s”)") % {
            "file": file_name,
            "n": number,
            "name": name,
        }
    return _("%(file)s, feature %(n)s") % {"file": file_name, "n": number}


def _polygonal(geom):
    """The polygonal parts of ``geom`` as a Polygon or MultiPolygon, or None."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom if not geom.is_empty else None
    parts = [
        g
        for g in shapely.get_parts(geom)
        if isinstance(g, Polygon | MultiPolygon) and not g.is_empty
    ]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if isinstance(merged, Polygon | MultiPolygon) else _polygonal(merged)


class _Checker:
    def __init__(self, municipality, kind, file_name, name_field, code_field):
        self.municipality, self.kind, self.file_name = municipality, kind, file_name
        self.name_field, self.code_field = name_field, code_field
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.left_out: list[LeftOut] = []
        self.others: list[LeftOut] = []

    def feature(self, f):
        """(name, code, geometry) of a feature to import, or None (left out or an error)."""
        name = str(f.properties.get(self.name_field) or "").strip()
        code = normalise_code(f.properties.get(self.code_field)) if self.code_field else ""
        label = _label(self.file_name, f.number, name or code)
        statistical = self.kind in STATISTICAL_LAYER_KINDS
        if statistical and statistical_kind(code) != self.kind:
            if not code:
                message = _("the field %(field)s is empty; a %(kind)s layer needs the code.")
            else:
                message = _("“%(code)s” in the field %(field)s is not a %(kind)s code.")
            kind = "DeSO" if self.kind == LayerKind.DESO else "RegSO"
            self.errors.append(
                f"{label}: " + message % {"code": code, "field": self.code_field, "kind": kind}
            )
            return None
        owner = code_municipality(code)
        if owner is not None and owner != self.municipality.code:
            self.others.append(
                LeftOut(f.number, name or code, _("code of municipality %(k)s") % {"k": owner})
            )
            return None
        name = name or code
        if not name:
            self.errors.append(
                _("%(label)s: the name field %(field)s is empty.")
                % {"label": label, "field": self.name_field}
            )
            return None
        if len(name) > 150 or len(code) > 20:
            self.errors.append(
                _("%(label)s: the name (at most 150 characters) or code (at most 20) is too long.")
                % {"label": label}
            )
            return None
        geom = self.geometry(f, label)
        if geom is None:
            return None
        share = outside_share(geom, self.municipality) if self.municipality.boundary else 0.0
        if share > LEFT_OUT_SHARE:
            self.left_out.append(
                LeftOut(
                    f.number,
                    name,
                    _("%(pct)s %% lies outside %(m)s")
                    % {"pct": round(share * 100), "m": self.municipality.name},
                )
            )
            return None
        if share > WARN_SHARE:
            self.warnings.append(
                _("%(label)s: %(pct)s %% of the area lies outside %(m)s; imported all the same.")
                % {"label": label, "pct": round(share * 100), "m": self.municipality.name}
            )
        return name, code, geom

    def geometry(self, f, label):
        geom = f.geometry
        if geom is None or geom.is_empty:
            self.errors.append(_("%(label)s has no geometry.") % {"label": label})
            return None
        if not geom.is_valid:
            repaired = _polygonal(shapely.make_valid(geom))
            if repaired is None or repaired.area == 0:
                self.errors.append(
                    _("%(label)s: the polygon is invalid and no area remains when it is repaired.")
                    % {"label": label}
                )
                return None
            self.warnings.append(
                _("%(label)s: the polygon was invalid (%(reason)s) and was repaired.")
                % {"label": label, "reason": shapely.is_valid_reason(geom)}
            )
            return repaired
        polygonal = _polygonal(geom)
        if polygonal is None or polygonal.area == 0:
            self.errors.append(
                _("%(label)s is a %(type)s, not a polygon.")
                % {"label": label, "type": geom.geom_type}
            )
            return None
        return polygonal


def _merge(planned: list[PlannedArea], checker: _Checker, file_name: str) -> list[PlannedArea]:
    """Features with the same key (code, else name) are one area's parts."""
    by_key: dict[str, PlannedArea] = {}
    for p in planned:
        key = p.code or p.name.casefold()
        first = by_key.get(key)
        if first is None:
            by_key[key] = p
            continue
        if p.code and first.name != p.name:
            checker.errors.append(
                _(
                    "%(file)s: features %(a)s and %(b)s have the same code %(code)s but different names (“%(x)s”, “%(y)s”)."
                )
                % {
                    "file": file_name,
                    "a": first.numbers[0],
                    "b": p.numbers[0],
                    "code": p.code,
                    "x": first.name,
                    "y": p.name,
                }
            )
            continue
        first.numbers += p.numbers
        first.geometry = _polygonal(shapely.union_all([first.geometry, p.geometry]))
    names: dict[str, PlannedArea] = {}
    for p in by_key.values():
        other = names.setdefault(p.name.casefold(), p)
        if other is not p:
            checker.errors.append(
                _(
                    "%(file)s: features %(a)s and %(b)s have the same name “%(name)s” but different codes (%(x)s, %(y)s); names are unique in a layer."
                )
                % {
                    "file": file_name,
                    "a": other.numbers[0],
                    "b": p.numbers[0],
                    "name": p.name,
                    "x": other.code,
                    "y": p.code,
                }
            )
    for p in by_key.values():
        if len(p.numbers) > 1:
            checker.warnings.append(
                _("%(file)s: features %(numbers)s are parts of “%(name)s” and were merged.")
                % {
                    "file": file_name,
                    "numbers": ", ".join(map(str, p.numbers)),
                    "name": p.name,
                }
            )
    return list(by_key.values())


def _match(planned: list[PlannedArea], layer: AreaLayer | None) -> int:
    """Link each planned area with the layer's area it replaces; the number of the layer's
    areas left untouched."""
    existing = list(Area.objects.filter(layer=layer)) if layer is not None else []
    by_code = {a.official_code: a for a in existing if a.official_code}
    by_name = {a.name.casefold(): a for a in existing}
    used = set()
    for p in planned:
        area = by_code.get(p.code) if p.code else None
        if area is None:
            candidate = by_name.get(p.name.casefold())
            if candidate is not None and (not candidate.official_code or not p.code):
                area = candidate
        if area is None or area.pk in used:
            continue
        used.add(area.pk)
        p.existing = area
        same = (
            area.name == p.name
            and area.official_code == p.code
            and not area.is_demo_geometry
            and area.geometry == as_geojson(p.geometry)
        )
        p.action = "unchanged" if same else "updated"
    return len(existing) - len(used)


def _fail(problems: list[str]):
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(_("… and %(n)s more problems.") % {"n": len(problems) - MAX_PROBLEMS})
    raise ValidationError(shown)


def _layer_kind(municipality, layer) -> str:
    if isinstance(layer, NewLayer):
        if AreaLayer.objects.filter(municipality=municipality, name=layer.name.strip()).exists():
            _fail([_("The layer “%(name)s” exists already.") % {"name": layer.name}])
        if layer.kind in STATISTICAL_LAYER_KINDS:
            other = AreaLayer.objects.filter(municipality=municipality, kind=layer.kind).first()
            if other is not None:
                _fail(
                    [
                        _("%(m)s already has a layer of this kind: “%(name)s”. Import into it.")
                        % {"m": municipality.name, "name": other.name}
                    ]
                )
        return layer.kind
    if layer.municipality_id != municipality.pk:
        _fail([_("The layer belongs to another municipality.")])
    return layer.kind


# --- the import ------------------------------------------------------------------------------
def import_areas(
    *,
    actor,
    municipality: Municipality,
    layer: AreaLayer | NewLayer,
    features: Sequence,
    name_field: str,
    code_field: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
    fields: Sequence[str] | None = None,
    file_name: str = "",
) -> AreaImportResult:
    """Import ``features`` (:class:`brygga.core.gis.GisFeature`, WGS84) as areas of ``layer``
    (an existing layer, or a :class:`NewLayer` to create). Raises a ValidationError listing
    every problem (in Swedish, naming the file, the feature and the field) and writes nothing
    when the file cannot be imported; ``dry_run`` checks and counts only."""
    _require_manage(actor, municipality, Area)
    if isinstance(layer, AreaLayer):
        _require_change(actor, layer)
    file_name = file_name or getattr(features, "file_name", "") or _("the file")
    if fields is None:
        fields = getattr(features, "fields", None)
    features = list(features)
    fields = list(fields if fields is not None else (features[0].properties if features else []))
    missing = [f for f in (name_field, code_field) if f and f not in fields]
    if missing:
        _fail(
            [
                _("%(file)s has no field %(field)s. Its fields: %(fields)s.")
                % {"file": file_name, "field": f, "fields": ", ".join(fields) or _("none")}
                for f in missing
            ]
        )
    kind = _layer_kind(municipality, layer)
    if kind in STATISTICAL_LAYER_KINDS and not code_field:
        _fail([_("A DeSO or RegSO layer needs a code field: choose the field with the codes.")])
    checker = _Checker(municipality, kind, file_name, name_field, code_field)
    planned = []
    for i, f in enumerate(features, 1):
        found = checker.feature(f)
        if found is not None:
            planned.append(PlannedArea([f.number], *found))
        if progress is not None and (i % 50 == 0 or i == len(features)):
            progress(i, len(features), "check")
    planned = _merge(planned, checker, file_name)
    if not checker.errors and not planned:
        checker.errors.append(
            _(
                "%(file)s: no feature can be imported into %(m)s (%(left)s left out, %(other)s of other municipalities)."
            )
            % {
                "file": file_name,
                "m": municipality.name,
                "left": len(checker.left_out),
                "other": len(checker.others),
            }
        )
    if checker.errors:
        _fail(checker.errors)
    existing_layer = layer if isinstance(layer, AreaLayer) else None
    result = AreaImportResult(
        file_name=file_name,
        layer_name=layer.name,
        layer_kind=kind,
        layer_created=existing_layer is None,
        dry_run=dry_run,
        total=len(features),
        left_out=checker.left_out,
        other_municipalities=checker.others,
        warnings=checker.warnings,
        areas=planned,
    )
    result.not_in_file = _match(planned, existing_layer)
    for p in planned:
        setattr(result, p.action, getattr(result, p.action) + 1)
    if not dry_run:
        _write(actor, municipality, layer, planned, progress, file_name)
    return result


@transaction.atomic
def _write(actor, municipality, layer, planned, progress, file_name) -> None:
    if isinstance(layer, NewLayer):
        layer = area_layer_save(
            actor=actor, municipality=municipality, name=layer.name, kind=layer.kind
        )
    changed = [p for p in planned if p.action != "unchanged"]
    for i, p in enumerate(changed, 1):
        try:
            area_save(
                actor=actor,
                municipality=municipality,
                layer=layer,
                instance=p.existing,
                name=p.name,
                geometry=None,
                repaired=p.geometry,
                official_code=p.code,
                description=p.existing.description if p.existing else "",
                notify=False,
            )
        except ValidationError as exc:
            label = _label(file_name, p.numbers[0], p.name)
            _fail([f"{label}: {m}" for m in exc.messages])
        if progress is not None:
            progress(i, len(changed), "save")
    if changed:
        notify_layer_changed(layer)
