"""Readers of survey response files (pure functions, no database): one row per respondent, as
vendors deliver them — CSV (UTF-8 with or without BOM, Windows-1252 or Latin-1; separated by
``;``, ``,`` or tabs), Excel (.xlsx, the first sheet or a chosen one) and SPSS (.sav, read with
pyreadstat: the value labels and the user-defined missing values of each variable come along).

Every reader returns a :class:`ParsedFile`: the column names (the first non-empty row of a CSV or
sheet; the variable names of a .sav), the data rows (cells as ``str``, ``float`` or ``None``),
the value labels per column and the SPSS missing-value definitions per column. A file that
cannot be read at all raises :class:`SurveyReadError` with a Swedish message naming the file.
Rows are counted as the user counts them: the header is row 1, the first respondent row 2."""

from __future__ import annotations

import codecs
import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

SUFFIXES = (".csv", ".txt", ".xlsx", ".sav", ".zsav")
DELIMITERS = (";", ",", "\t")


class SurveyReadError(Exception):
    """The file cannot be read as a table of responses (message in Swedish)."""


@dataclass
class ParsedFile:
    file_name: str
    kind: str  # "csv", "xlsx" or "sav"
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    # column → {value: label} (SPSS value labels)
    value_labels: dict[str, dict[float, str]] = field(default_factory=dict)
    # column → [(low, high)] SPSS user-defined missing values (a single value: low == high)
    missing: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)
    sheet: str = ""

    def value_examples(self, index: int, n: int = 6) -> tuple[list[str], int]:
        """For the mapping page: the first ``n`` of the *different* values of column ``index``,
        sorted (numbers as numbers), and how many different values there are. Sorted per
        column, so the examples of several columns never line up into a respondent's row."""
        found = {
            format_cell(row[index])
            for row in self.rows
            if index < len(row) and row[index] not in (None, "")
        }

        def order(text: str):
            try:
                return (0, float(text.replace(",", ".")), text)
            except ValueError:
                return (1, 0.0, text.casefold())

        return sorted(found, key=order)[:n], len(found)

    def is_missing(self, column: str, value: float) -> bool:
        return any(low <= value <= high for low, high in self.missing.get(column, ()))


def format_cell(value) -> str:
    """A cell as text: 3.0 → "3", 2.5 → "2.5"."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (Excel's column names)."""
    return get_column_letter(index + 1)


def read_file(content: bytes, file_name: str, *, sheet: str | int | None = None) -> ParsedFile:
    """Read a response file by its suffix."""
    suffix = Path(file_name).suffix.lower()
    if not content:
        raise SurveyReadError(_("%(file)s is empty.") % {"file": file_name})
    if suffix in (".csv", ".txt"):
        parsed = read_csv(content, file_name)
    elif suffix == ".xlsx":
        parsed = read_xlsx(content, file_name, sheet=sheet)
    elif suffix in (".sav", ".zsav"):
        parsed = read_sav(content, file_name)
    else:
        raise SurveyReadError(
            _("%(file)s: choose a CSV (.csv), Excel (.xlsx) or SPSS (.sav) file.")
            % {"file": file_name}
        )
    if not parsed.columns:
        raise SurveyReadError(_("%(file)s has no header row.") % {"file": file_name})
    if not parsed.rows:
        raise SurveyReadError(_("%(file)s has no respondent rows.") % {"file": file_name})
    seen: set[str] = set()
    for n, name in enumerate(parsed.columns):
        if not name:
            parsed.columns[n] = name = column_letter(n)
        if name in seen:
            raise SurveyReadError(
                _("%(file)s: the column name “%(name)s” occurs twice (column %(letter)s).")
                % {"file": file_name, "name": name, "letter": column_letter(n)}
            )
        seen.add(name)
    return parsed


# --- CSV ------------------------------------------------------------------------------------
def decode(data: bytes, file_name: str) -> str:
    """UTF-8 (a BOM is dropped); otherwise Windows-1252 or Latin-1 as charset-normalizer
    judges. UTF-16 and binary files are refused."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        raise SurveyReadError(
            _(
                "%(file)s is not a text file in UTF-8 or Windows-1252 (perhaps UTF-16 or a "
                "binary file). Save it as “CSV UTF-8” and upload it again."
            )
            % {"file": file_name}
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 256 * 1024], cp_isolation=["cp1252", "latin_1"]).best()
    encoding = "latin_1" if best is not None and best.encoding == "latin_1" else "cp1252"
    return data.decode(encoding, errors="replace")


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ";", None
    sample = "\n".join(lines[:50])
    for d in DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(sample), delimiter=d) if any(r)]
        except csv.Error:
            continue
        widths = [len(r) for r in records]
        if not widths or max(widths) < 2:
            continue
        common = max(set(widths), key=widths.count)
        score = (widths.count(common) / len(widths), common)
        if best_score is None or score > best_score:
            best, best_score = d, score
    return best


def read_csv(content: bytes, file_name: str) -> ParsedFile:
    text = decode(content, file_name)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise SurveyReadError(_("%(file)s is empty.") % {"file": file_name})
    delimiter = _sniff_delimiter(lines)
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise SurveyReadError(
            _("%(file)s cannot be read as CSV: %(error)s") % {"file": file_name, "error": exc}
        ) from None
    parsed = ParsedFile(file_name=file_name, kind="csv")
    header_seen = False
    for record in records:
        cells = [c.strip() for c in record]
        if not header_seen:
            if not any(cells):
                continue
            parsed.columns = cells
            header_seen = True
            continue
        parsed.rows.append([c if c != "" else None for c in cells])
    _trim_blank_rows(parsed)
    return parsed


def _trim_blank_rows(parsed: ParsedFile) -> None:
    while parsed.rows and all(v in (None, "") for v in parsed.rows[-1]):
        parsed.rows.pop()


# --- Excel ----------------------------------------------------------------------------------
def _xlsx_cell(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    return text or None


def read_xlsx(content: bytes, file_name: str, *, sheet: str | int | None = None) -> ParsedFile:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure means "not an Excel file"
        raise SurveyReadError(
            _("%(file)s is not an Excel file (.xlsx) that can be opened.") % {"file": file_name}
        ) from None
    try:
        names = list(book.sheetnames)
        if sheet in (None, ""):
            ws = book.worksheets[0]
        elif isinstance(sheet, int) or str(sheet).isdigit():
            index = int(sheet) - 1
            if not 0 <= index < len(names):
                raise SurveyReadError(
                    _("%(file)s has no sheet number %(n)s (it has %(count)s).")
                    % {"file": file_name, "n": sheet, "count": len(names)}
                )
            ws = book.worksheets[index]
        elif sheet in names:
            ws = book[sheet]
        else:
            raise SurveyReadError(
                _("%(file)s has no sheet “%(sheet)s” (its sheets: %(names)s).")
                % {"file": file_name, "sheet": sheet, "names": ", ".join(names)}
            )
        parsed = ParsedFile(file_name=file_name, kind="xlsx", sheets=names, sheet=ws.title)
        header_seen = False
        for values in ws.iter_rows(values_only=True):
            cells = [_xlsx_cell(v) for v in values]
            if not header_seen:
                if not any(c is not None for c in cells):
                    continue
                parsed.columns = [format_cell(c) for c in cells]
                while parsed.columns and not parsed.columns[-1]:
                    parsed.columns.pop()
                header_seen = True
                continue
            parsed.rows.append(cells[: len(parsed.columns)])
    finally:
        book.close()
    _trim_blank_rows(parsed)
    return parsed


# --- SPSS -----------------------------------------------------------------------------------
def read_sav(content: bytes, file_name: str) -> ParsedFile:
    import pyreadstat

    try:
        data, meta = pyreadstat.read_sav(
            io.BytesIO(content),
            output_format="dict",
            user_missing=True,
            disable_datetime_conversion=True,
        )
    except Exception:  # noqa: BLE001 - any failure means "not an SPSS file"
        raise SurveyReadError(
            _("%(file)s is not an SPSS data file (.sav) that can be opened.") % {"file": file_name}
        ) from None
    columns = list(meta.column_names)
    parsed = ParsedFile(file_name=file_name, kind="sav", columns=columns)
    series = [list(data[c]) for c in columns]
    for i in range(meta.number_rows or (len(series[0]) if series else 0)):
        parsed.rows.append([_sav_cell(s[i]) for s in series])
    for column, labels in (meta.variable_value_labels or {}).items():
        parsed.value_labels[column] = {
            float(v): str(label) for v, label in labels.items() if _is_number(v)
        }
    for column, ranges in (meta.missing_ranges or {}).items():
        kept = [
            (float(r["lo"]), float(r["hi"]))
            for r in ranges
            if _is_number(r.get("lo")) and _is_number(r.get("hi"))
        ]
        if kept:
            parsed.missing[column] = kept
    _trim_blank_rows(parsed)
    return parsed


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _sav_cell(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = float(value)
        return None if math.isnan(value) else value
    try:  # numpy scalars
        number = float(value)
    except (TypeError, ValueError):
        text = str(value).strip()
        return text or None
    return None if math.isnan(number) else number
