"""Exports of stored area statistics (CSV and XLSX), for the page and ``brygga area-stats``."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

COLUMNS = ["area_code", "area_name", "series", "year", "value", "unit", "source", "table"]


def number(value: Decimal) -> str:
    """A stored value as written in the source: no trailing zeros."""
    value = value.normalize()
    return format(value, "f") if value == value.to_integral() else str(value)


def plain(row: dict) -> dict:
    return {**row, "value": number(row["value"])}


def as_csv(rows: list[dict]) -> bytes:
    """UTF-8 with BOM and ``;`` as Swedish Excel opens it; decimal comma."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**plain(row), "value": number(row["value"]).replace(".", ",")})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Statistik")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(
            [*(row[c] for c in COLUMNS[:4]), float(row["value"]), *(row[c] for c in COLUMNS[5:])]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
