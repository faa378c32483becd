"""Exports of a wave's aggregated results (CSV and XLSX): one row per index and cell, as
``selectors.export_rows`` gives them — suppressed cells with n "<30" and no figures. Never
respondent rows. Text cells go through ``escape_cell`` against spreadsheet formulas."""

from __future__ import annotations

import csv
import io

from brygga.core.cells import escape_cell

COLUMNS = [
    "year",
    "index",
    "index_name",
    "unit",
    "level",
    "area",
    "group_kind",
    "group",
    "n",
    "mean",
    "low",
    "high",
    "suppressed",
    "previous_year",
    "change",
    "change_low",
    "change_high",
    "clear_change",
]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(escape_cell(value))


def as_csv(rows: list[dict]) -> bytes:
    """UTF-8 with BOM and ``;`` as Swedish Excel opens it; decimal comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_text(row[c]) for c in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(rows: list[dict], *, sheet: str = "Results") -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    ws.append(COLUMNS)
    for row in rows:
        ws.append([escape_cell(row[c]) if isinstance(row[c], str) else row[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
