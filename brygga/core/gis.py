"""Reading GIS files of areas: Shapefile (a .zip, or a .shp with its sidecar files beside it),
GeoPackage and GeoJSON, with pyogrio (GDAL inside its wheels; no system GDAL).

The coordinate system comes from the file (.prj, the GeoPackage's SRS, GeoJSON's ``crs``
member; a GeoJSON file without one is WGS84 by its standard) or from the caller (``crs=``, the
command's ``--crs``); every geometry is reprojected to WGS84 (longitude, latitude) with pyproj.
Attribute text is decoded as the file says (.cpg; GDAL recodes to UTF-8); a .dbf whose bytes
do not match its .cpg is read again as Windows-1252, the usual encoding of Swedish files, with
a warning. Errors are :class:`GisError` with a Swedish message naming the file.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import shapely
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

MAX_FEATURES = 20_000
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024  # a zip's content (a bomb stops here)
SUFFIXES = (".zip", ".shp", ".gpkg", ".geojson", ".json")
FALLBACK_ENCODING = "cp1252"


class GisError(ValueError):
    """A file that cannot be read as areas; the message says why, in Swedish."""

    @property
    def message(self) -> str:
        return str(self)


@dataclass
class GisFeature:
    number: int  # 1-based, in file order
    properties: dict
    geometry: object | None  # shapely geometry in WGS84, or None when the feature has none
    geometry_error: str = ""  # why the geometry could not be read


@dataclass
class GisFile:
    file_name: str
    driver: str
    layer: str
    crs: str  # as read ("EPSG:3006") or given
    crs_name: str
    encoding: str
    fields: list[str]
    features: list[GisFeature] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __iter__(self):
        return iter(self.features)

    def __len__(self) -> int:
        return len(self.features)

    def samples(self, n: int = 3) -> dict[str, list[str]]:
        """Up to ``n`` distinct non-empty values of each field, for choosing the fields."""
        out: dict[str, list[str]] = {f: [] for f in self.fields}
        for feature in self.features:
            for name, values in out.items():
                value = feature.properties.get(name)
                if value not in (None, "") and len(values) < n and str(value) not in values:
                    values.append(str(value))
        return out


def _gdal():
    import pyogrio
    from pyogrio import raw

    return pyogrio, raw


def _zip_members(path: Path, file_name: str) -> list[str]:
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError):
        raise GisError(
            _("%(file)s: the file is not a readable zip archive.") % {"file": file_name}
        ) from None
    if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        raise GisError(_("%(file)s: the zip archive is too large unpacked.") % {"file": file_name})
    return [i.filename for i in infos if not i.is_dir() and "__MACOSX" not in i.filename]


def _dataset(path: Path, file_name: str, source_layer: str | None) -> tuple[str, str | None]:
    """The path GDAL opens (inside a zip: /vsizip/…) and the layer to read in it, if named."""
    suffix = path.suffix.lower()
    if suffix != ".zip":
        if not path.is_file():
            raise GisError(_("%(file)s: the file does not exist.") % {"file": file_name})
        if suffix == ".shp":
            _check_sidecars(path, file_name)
        return str(path), source_layer
    members = _zip_members(path, file_name)
    wanted = [m for m in members if PurePosixPath(m).suffix.lower() in (".shp", ".gpkg")]
    wanted += [m for m in members if PurePosixPath(m).suffix.lower() in (".geojson", ".json")]
    if source_layer and len(wanted) > 1:
        named = [m for m in wanted if PurePosixPath(m).stem == source_layer]
        if named:
            wanted = named
    if not wanted:
        raise GisError(
            _(
                "%(file)s: the zip archive holds no Shapefile (.shp), GeoPackage (.gpkg) or "
                "GeoJSON file. It holds: %(names)s."
            )
            % {"file": file_name, "names": ", ".join(members[:20]) or _("nothing")}
        )
    if len(wanted) > 1:
        raise GisError(
            _(
                "%(file)s: the zip archive holds several GIS files (%(names)s). Choose one with "
                "the source layer option (its name without the extension)."
            )
            % {"file": file_name, "names": ", ".join(wanted)}
        )
    inner = wanted[0]
    if inner.lower().endswith(".shp"):
        stem = inner[:-4]
        have = {m.lower() for m in members}
        missing = [s for s in (".shx", ".dbf") if (stem + s).lower() not in have]
        if missing:
            raise GisError(_missing_sidecars(file_name, inner, missing))
        source_layer = None  # a shapefile is one layer
    return f"/vsizip/{path.resolve()}/{inner}", source_layer


def _missing_sidecars(file_name: str, shp: str, missing: list[str]) -> str:
    return _(
        "%(file)s: the Shapefile %(shp)s lacks its %(missing)s file. A Shapefile is several "
        "files with the same name; upload them together in a zip archive."
    ) % {"file": file_name, "shp": shp, "missing": ", ".join(missing)}


def _check_sidecars(path: Path, file_name: str) -> None:
    siblings = {p.name.lower() for p in path.parent.iterdir()}
    missing = [s for s in (".shx", ".dbf") if (path.stem + s).lower() not in siblings]
    if missing:
        raise GisError(_missing_sidecars(file_name, path.name, missing))


def _choose_layer(pyogrio, dataset: str, file_name: str, source_layer: str | None) -> str | None:
    try:
        layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(dataset)]
    except Exception:
        raise GisError(_not_gis(file_name)) from None
    spatial = [n for n, t in layers if t not in ("None", "")] or [n for n, _t in layers]
    if source_layer:
        if source_layer not in [n for n, _t in layers]:
            raise GisError(
                _("%(file)s has no layer “%(layer)s”. Its layers: %(layers)s.")
                % {"file": file_name, "layer": source_layer, "layers": ", ".join(spatial)}
            )
        return source_layer
    if len(spatial) > 1:
        raise GisError(
            _(
                "%(file)s holds several layers (%(layers)s). Choose one with the source layer option."
            )
            % {"file": file_name, "layers": ", ".join(spatial)}
        )
    if not spatial:
        raise GisError(_("%(file)s holds no layer of features.") % {"file": file_name})
    return spatial[0]


def list_layers(path, file_name: str) -> list[str]:
    """The layers (tables of features) a file holds: several only in a GeoPackage."""
    pyogrio, _raw = _gdal()
    dataset, _layer = _dataset(Path(path), file_name, None)
    try:
        return [str(n) for n, t in pyogrio.list_layers(dataset) if str(t) not in ("None", "")]
    except Exception:
        raise GisError(_not_gis(file_name)) from None


def _not_gis(file_name: str) -> str:
    return _(
        "%(file)s could not be read as a GIS file. Use a Shapefile (a zip archive with the .shp, "
        ".shx, .dbf and .prj files), a GeoPackage (.gpkg) or GeoJSON."
    ) % {"file": file_name}


def parse_crs(text: str, file_name: str = "") -> CRS:
    """A coordinate system as given by a user: ``3006``, ``EPSG:3006``, a WKT or PROJ text."""
    text = str(text or "").strip()
    try:
        return CRS.from_user_input(int(text) if text.isdigit() else text)
    except (CRSError, ValueError):
        raise GisError(
            _("“%(crs)s” is not a known coordinate system (for example EPSG:3006).") % {"crs": text}
        ) from None


def _python(value):
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (dt.date, dt.datetime, np.datetime64)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def read_gis_file(
    path, file_name: str | None = None, *, source_layer: str | None = None, crs: str | None = None
) -> GisFile:
    """Read every feature of ``path`` (see the module's docstring), in WGS84."""
    path = Path(path)
    file_name = file_name or path.name
    if path.suffix.lower() not in SUFFIXES:
        raise GisError(_not_gis(file_name))
    pyogrio, raw = _gdal()
    dataset, layer = _dataset(path, file_name, source_layer)
    layer = _choose_layer(pyogrio, dataset, file_name, layer)
    warnings: list[str] = []
    try:
        info = pyogrio.read_info(dataset, layer=layer)
        try:
            meta, _fids, geometries, field_data = raw.read(dataset, layer=layer)
        except UnicodeDecodeError:
            meta, _fids, geometries, field_data = raw.read(
                dataset, layer=layer, encoding=FALLBACK_ENCODING
            )
            warnings.append(
                _(
                    "%(file)s: the text of the attributes did not match the encoding the file "
                    "names (.cpg); it was read as Windows-1252. Check å, ä and ö in the names."
                )
                % {"file": file_name}
            )
    except GisError:
        raise
    except Exception:
        raise GisError(_not_gis(file_name)) from None
    if info["features"] == 0 or geometries is None or len(geometries) == 0:
        raise GisError(_("%(file)s holds no features.") % {"file": file_name})
    if len(geometries) > MAX_FEATURES:
        raise GisError(
            _("%(file)s holds %(n)s features; at most %(max)s can be imported at a time.")
            % {"file": file_name, "n": len(geometries), "max": MAX_FEATURES}
        )
    source_crs = _source_crs(info.get("crs"), crs, file_name)
    fields = [str(f) for f in meta["fields"]]
    shapes = shapely.from_wkb(geometries, on_invalid="ignore")
    to_wgs84 = Transformer.from_crs(source_crs, "EPSG:4326", always_xy=True)
    features = []
    for i, geom in enumerate(shapes):
        props = {name: _python(field_data[j][i]) for j, name in enumerate(fields)}
        error = ""
        if geom is not None and not geom.is_empty:
            geom = shapely.force_2d(geom)
            geom = shapely.transform(geom, lambda xy: np.column_stack(to_wgs84.transform(*xy.T)))
        elif geometries[i] is not None and geom is None:
            error = "unreadable"
        features.append(GisFeature(i + 1, props, geom if geom is not None else None, error))
    _check_in_sweden(features, file_name, source_crs, crs_given=bool(crs))
    return GisFile(
        file_name=file_name,
        driver=str(info.get("driver") or ""),
        layer=str(info.get("layer_name") or layer or ""),
        crs=source_crs.to_string(),
        crs_name=source_crs.name,
        encoding=str(info.get("encoding") or ""),
        fields=fields,
        features=features,
        warnings=warnings,
    )


def _source_crs(found, given, file_name: str) -> CRS:
    if given:
        return parse_crs(given, file_name)
    if not found:
        raise GisError(
            _(
                "%(file)s does not say which coordinate system it uses (a Shapefile's .prj file "
                "is missing). Add the .prj file, or name the coordinate system (for example "
                "EPSG:3006 for SWEREF 99 TM) with the --crs option or the form's field."
            )
            % {"file": file_name}
        )
    try:
        return CRS.from_user_input(found)
    except CRSError:
        raise GisError(
            _("%(file)s uses a coordinate system that cannot be read (%(crs)s).")
            % {"file": file_name, "crs": str(found)[:80]}
        ) from None


# A generous box around Sweden, WGS84 (as brygga.core.geo).
_SWEDEN = (10.0, 55.0, 24.5, 69.5)


def _check_in_sweden(features, file_name: str, source_crs: CRS, *, crs_given: bool) -> None:
    """No feature in Sweden at all: the coordinate system is wrong or missing, not the
    features (one message instead of one per feature)."""
    shapes = [f.geometry for f in features if f.geometry is not None]
    if not shapes:
        return
    sweden = shapely.box(*_SWEDEN)
    if any(shapely.intersects(g, sweden) for g in shapes):
        return
    raise GisError(
        _(
            "%(file)s: no feature lies in Sweden when the coordinates are read as %(crs)s. The "
            "file's coordinate system is probably missing or wrong: name the right one (for "
            "example EPSG:3006 for SWEREF 99 TM, EPSG:3021 for RT90 2.5 gon V) with the --crs "
            "option or the form's field."
        )
        % {"file": file_name, "crs": source_crs.name}
    )
