"""Exports of the current incident filter as CSV, XLSX and GeoJSON.

Decisions (see also docs):

- **CSV** is UTF-8 with a byte-order mark and ``;`` as the delimiter, so that Excel with Swedish
  regional settings (where ``,`` is the decimal separator) opens it in columns directly.
  Numbers keep a decimal point and times are ``YYYY-MM-DD HH:MM`` in Swedish time, so the file
  stays machine-readable (``csv.reader(f, delimiter=";")`` after stripping the BOM).
- **Formula injection**: every text cell of the CSV and XLSX that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return is prefixed with an apostrophe, so spreadsheet
  programs show it as text instead of running it (OWASP "CSV injection"). Numbers and dates are
  written as numbers and dates and are not touched. GeoJSON is data for GIS and is not escaped.
- **Personal data** never leaves Brygga in an export: for incidents marked as containing
  personal data the description and place text are withheld (the row is still there, with the
  flag set). A coordinator reads them on the incident's page, where the read is logged.
- **Large results** stream: CSV and GeoJSON are written row by row
  (``StreamingHttpResponse`` over ``QuerySet.iterator()``); XLSX is a zip file and is built in a
  spooled temporary file with openpyxl's write-only mode (constant memory per row).
- Every export writes one ``incidents_exported`` audit row with the format, the filters in
  use and the number of rows.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.core.cells import escape_cell

from .models import Incident

CHUNK = 1000
FORMATS = ("csv", "xlsx", "geojson")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}


def columns() -> list[tuple[str, str]]:
    return [
        ("id", _("ID")),
        ("occurred_from", _("When (from)")),
        ("occurred_to", _("When (to)")),
        ("main_category", _("Main category")),
        ("category", _("Category")),
        ("municipality", _("Municipality code")),
        ("county", _("County")),
        ("area", _("Area")),
        ("lat", _("Latitude (WGS84)")),
        ("lon", _("Longitude (WGS84)")),
        ("sweref_e", _("Easting E (SWEREF 99 TM)")),
        ("sweref_n", _("Northing N (SWEREF 99 TM)")),
        ("place_description", _("Place")),
        ("description", _("Description")),
        ("attributes", _("Details from the source")),
        ("count", _("Number of events")),
        ("reporting_organisation", _("Reporting organisation")),
        ("source", _("Source")),
        ("source_id", _("Source id")),
        ("status", _("Status")),
        ("visibility", _("Visibility")),
        ("has_personal_data", _("Contains personal data")),
        ("is_summary", _("Summary of several events")),
        ("created_at", _("Reported")),
    ]


def export_queryset(qs: QuerySet) -> QuerySet:
    return (
        qs.select_related(
            "category",
            "category__parent",
            "area",
            "reporting_organisation",
            "municipality",
            "county",
        )
        # the polygons are not exported with each incident
        .defer("area__geometry", "municipality__boundary", "county__boundary")
        .order_by("-occurred_from", "-id")
    )


def record(incident: Incident) -> dict:
    """One incident as plain values (aware datetimes, numbers, strings, booleans)."""
    withheld = incident.has_personal_data
    category = incident.category
    return {
        "id": incident.pk,
        "occurred_from": incident.occurred_from,
        "occurred_to": incident.occurred_to,
        "main_category": category.top.name,
        "category": category.name,
        "municipality": incident.municipality.code if incident.municipality_id else "",
        "county": incident.county.name if incident.county_id else "",
        "area": incident.area.name if incident.area_id else "",
        "lat": incident.lat,
        "lon": incident.lon,
        "sweref_e": incident.sweref_e,
        "sweref_n": incident.sweref_n,
        "place_description": "" if withheld else incident.place_description,
        "description": _("[withheld: personal data]") if withheld else incident.description,
        # the columns of an imported row that no field was chosen for: withheld like the
        # description (a JSON object in CSV and Excel, an object in GeoJSON)
        "attributes": {} if withheld or incident.text_disposed_at else dict(incident.attributes),
        "count": incident.count,
        "reporting_organisation": (
            incident.reporting_organisation.name if incident.reporting_organisation_id else ""
        ),
        "source": incident.get_source_display(),
        "source_id": incident.source_id,
        "status": incident.get_status_display(),
        "visibility": incident.get_visibility_display(),
        "has_personal_data": incident.has_personal_data,
        "is_summary": incident.is_summary,
        "created_at": incident.created_at,
    }


def _iter(qs: QuerySet) -> Iterator[Incident]:
    return export_queryset(qs).iterator(chunk_size=CHUNK)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(qs: QuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    cols = columns()
    yield "\ufeff" + writer.writerow([escape_cell(label) for _k, label in cols])
    for incident in _iter(qs):
        row = record(incident)
        yield writer.writerow([escape_cell(_text(row[key])) for key, _l in cols])


def _xlsx_value(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False) if value else None
        if value is None:
            return None
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, str):
        return escape_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def write_xlsx(qs: QuerySet, fileobj) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_("Incidents")[:31])
    ws.freeze_panes = "A2"
    cols = columns()
    bold = Font(bold=True)
    header = []
    for _k, label in cols:
        cell = WriteOnlyCell(ws, value=escape_cell(label))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    date_keys = {"occurred_from", "occurred_to", "created_at"}
    for incident in _iter(qs):
        row = record(incident)
        values = []
        for key, _l in cols:
            value = _xlsx_value(row[key])
            if key in date_keys and value is not None:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm"
                values.append(cell)
            else:
                values.append(value)
        ws.append(values)
    wb.save(fileobj)


def feature(incident: Incident) -> dict:
    props = record(incident)
    for key in ("occurred_from", "occurred_to", "created_at"):
        if props[key] is not None:
            props[key] = timezone.localtime(props[key]).isoformat()
    geometry = (
        {"type": "Point", "coordinates": [incident.lon, incident.lat]}
        if incident.has_point
        else None
    )
    return {"type": "Feature", "id": incident.pk, "geometry": geometry, "properties": props}


def geojson_chunks(qs: QuerySet) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":[\n'
    first = True
    for incident in _iter(qs):
        text = json.dumps(feature(incident), cls=DjangoJSONEncoder, ensure_ascii=False)
        yield text if first else ",\n" + text
        first = False
    yield "\n]}\n"


def _encoded(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")


def filename(code: str, fmt: str) -> str:
    return f"handelser-{code}-{timezone.localdate():%Y%m%d}.{fmt}"


def response(qs: QuerySet, fmt: str, name: str):
    """The HTTP response for one export format (streamed where the format allows)."""
    disposition = f'attachment; filename="{name}"'
    if fmt == "csv":
        resp = StreamingHttpResponse(_encoded(csv_lines(qs)), content_type=CONTENT_TYPES["csv"])
    elif fmt == "geojson":
        resp = StreamingHttpResponse(
            _encoded(geojson_chunks(qs)), content_type=CONTENT_TYPES["geojson"]
        )
    elif fmt == "xlsx":
        spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        write_xlsx(qs, spool)
        spool.seek(0)
        return FileResponse(
            spool, as_attachment=True, filename=name, content_type=CONTENT_TYPES["xlsx"]
        )
    else:
        raise ValueError(fmt)
    resp["Content-Disposition"] = disposition
    return resp
