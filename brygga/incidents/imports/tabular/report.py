"""What the CSV/Excel import reports: an error with its row and column, a file that cannot be
read, the counts of an import and its summary, and the errors as CSV for the user to download.

Every message names the file, the row (1-based, as in a spreadsheet, header included) and the
column."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# what a conflict's differing fields are called (write.py compares these)
CONFLICT_FIELDS = {
    "occurred_from": gettext_lazy("time"),
    "occurred_to": gettext_lazy("time"),
    "category_id": gettext_lazy("category"),
    "count": gettext_lazy("number of events"),
    "description": gettext_lazy("description"),
    "place_description": gettext_lazy("place"),
    "attributes": gettext_lazy("details from the source"),
    "place": gettext_lazy("point or area"),
}


def conflict_fields(fields: list[str]) -> str:
    """The differing fields of a conflict as the user knows them ("category, time")."""
    names = dict.fromkeys(str(CONFLICT_FIELDS.get(f, f)) for f in fields)
    return ", ".join(names)


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` is the spreadsheet row (None for the whole file), ``column`` the
    column header (or the field, when the column is missing)."""

    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    @classmethod
    def from_dict(cls, d: dict) -> RowError:
        return cls(d.get("row"), d.get("column", ""), d.get("message", ""))


def format_error(file_name: str, error: RowError | dict) -> str:
    """The whole sentence: file, row and column, then what is wrong."""
    e = RowError.from_dict(error) if isinstance(error, dict) else error
    if e.row is None:
        return _("%(file)s: %(message)s") % {"file": file_name, "message": e.message}
    if e.column:
        return _("%(file)s, row %(row)s, column “%(column)s”: %(message)s") % {
            "file": file_name,
            "row": e.row,
            "column": e.column,
            "message": e.message,
        }
    return _("%(file)s, row %(row)s: %(message)s") % {
        "file": file_name,
        "row": e.row,
        "message": e.message,
    }


class TabularError(Exception):
    """The file as a whole cannot be read; the message names the file and says what to do."""

    def __init__(self, message: str, row: int | None = None, column: str = ""):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column

    def as_row_error(self) -> RowError:
        return RowError(self.row, self.column, self.message)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell for a CSV that people open in Excel: text that Excel would run as a formula gets
    a leading apostrophe (CSV injection)."""
    s = "" if value is None else str(value)
    return "'" + s if s.startswith(_FORMULA_START) else s


def errors_csv(file_name: str, errors: list[dict]) -> Iterator[str]:
    """The errors as CSV lines (semicolon, as Swedish Excel expects), header first."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")

    def line(cells) -> str:
        buf.seek(0)
        buf.truncate()
        writer.writerow([csv_safe(c) for c in cells])
        return buf.getvalue()

    yield line([_("File"), _("Row"), _("Column"), _("Error")])
    for e in errors:
        yield line([file_name, e.get("row") or "", e.get("column", ""), e.get("message", "")])


@dataclass
class ImportResult:
    file_name: str
    total_rows: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0
    created: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[dict] = field(default_factory=list)
    written: bool = False
    message: str = ""
    # rows of other municipalities than the one imported into: skipped, not errors
    other_municipality_rows: int = 0
    # rows with an area column but no area: placed at municipality level
    municipality_level: int = 0
    # rows whose id was imported before with other content: skipped, or updated when asked
    conflicts: int = 0
    updated: int = 0
    conflict_rows: list[dict] = field(default_factory=list)
    areas_created: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def counts(self) -> dict:
        return {
            "file": self.file_name,
            "rows": self.total_rows,
            "valid_rows": self.valid_rows,
            "invalid_rows": self.invalid_rows,
            "created": self.created,
            "unchanged": self.unchanged,
            "errors": self.error_count,
            "other_municipality_rows": self.other_municipality_rows,
            "municipality_level": self.municipality_level,
            "conflicts": self.conflicts,
            "updated": self.updated,
            "areas_created": self.areas_created,
        }


def summary(r: ImportResult, *, valid_only: bool = False) -> str:
    if r.written:
        text = _(
            "%(created)s incidents imported, %(unchanged)s already imported before (unchanged)."
        ) % {"created": r.created, "unchanged": r.unchanged}
        if r.updated:
            text += " " + _(
                "%(n)s incidents imported before were updated with the file's content."
            ) % {"n": r.updated}
        if r.conflicts:
            text += " " + _(
                "%(n)s rows have an id imported before but other content (conflicts); they were "
                "left unchanged. Import again with “update” chosen for conflicts to update them."
            ) % {"n": r.conflicts}
        if r.municipality_level:
            text += " " + _(
                "%(n)s rows without an area code were placed at municipality level."
            ) % {"n": r.municipality_level}
        if r.areas_created:
            text += " " + _("%(n)s areas were created from their codes.") % {"n": r.areas_created}
        if r.other_municipality_rows:
            text += " " + _("%(n)s other municipalities' rows were skipped (not imported).") % {
                "n": r.other_municipality_rows
            }
        if r.error_count:
            text += " " + _("%(n)s rows with errors were left out.") % {"n": r.invalid_rows}
        return text
    text = _(
        "%(errors)s errors in %(rows)s rows. Nothing was imported: correct the file and import "
        "it again, or import only the valid rows."
    ) % {"errors": r.error_count, "rows": max(r.invalid_rows, 1)}
    if r.other_municipality_rows:
        text += " " + _("%(n)s other municipalities' rows were skipped (not imported).") % {
            "n": r.other_municipality_rows
        }
    return text
