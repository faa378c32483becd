"""Readers of statistics files (pure functions, no database): SCB PX-Web exports as
Statistikdatabasen writes them (XLSX and CSV) and PxWebApi JSON-stat2 responses.

A PX-Web export is a table: a title row ("Folkmängden per region efter region, ålder, kön och
år"), header rows (the names of the variables down the left, the values of the variables across
the top), then the data rows. A variable down the left is written once per block and left blank
below it. The region is a code ("2281C1010") or "code name" ("2281C1010 Sundsvall Centrum").
Values use a decimal comma; ".." and "." mean missing, "-" means zero. CSV files come in UTF-8
(with or without BOM) or Windows-1252, separated by ``;``, ``,`` or tabs.

A JSON-stat 2.0 dataset (https://json-stat.org/full/) has ``id`` (dimension ids), ``size``,
``dimension[id].category.index/label`` and ``value`` flat in row-major order (the last dimension
varies fastest); SCB's PxWebApi puts the table id in ``extension.px.tableid``.

Every reader returns a :class:`ParsedStats`; a file that cannot be read at all raises
:class:`StatsReadError`, with a Swedish message naming the file. Problems of single cells are
listed in ``ParsedStats.problems`` (file, row, column)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from .models import SCB_SOURCE

MISSING = {"..", ".", "…"}
ZERO = {"-", "–"}
YEAR = re.compile(r"^(19|20)\d{2}$")
# A region cell: a code (kommun, DeSO, RegSO; a PxWebApi suffix such as _DeSO2018 dropped),
# optionally followed by the name.
REGION = re.compile(
    r"^(\d{2}|\d{4}|\d{4}[A-C]\d{4}|\d{4}R\d{3})(?:_\w+)?(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL
)
REGION_NAMES = ("region", "område", "deso", "regso", "kommun")
YEAR_NAMES = ("år", "year", "tid", "period")
TABLE_ID = re.compile(r"\b([A-Z]{2}\d{4}[A-Z0-9]{1,6})\b")


class StatsReadError(Exception):
    """The file is not a statistics table Brygga can read (message in Swedish)."""


@dataclass(frozen=True)
class StatRow:
    code: str  # region code as written (normalised: capitals, no suffix)
    region_name: str
    year: int
    series: str
    unit: str
    value: Decimal | None  # None: missing in the source
    row: int  # 1-based row of the file (JSON-stat: 1-based position in ``value``)
    column: str  # spreadsheet column letter (JSON-stat: "value")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("%(file)s, row %(row)s, column %(column)s: %(message)s") % {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ParsedStats:
    file_name: str
    title: str = ""
    table_id: str = ""
    source: str = SCB_SOURCE
    rows: list[StatRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def series(self) -> list[str]:
        return sorted({r.series for r in self.rows})

    @property
    def years(self) -> list[int]:
        return sorted({r.year for r in self.rows})

    @property
    def codes(self) -> list[str]:
        return sorted({r.code for r in self.rows})


# --- small pieces ---------------------------------------------------------------------------
def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (Excel's column names)."""
    return get_column_letter(index + 1)


def parse_number(text: str) -> Decimal | None:
    """A value as SCB writes it: decimal comma or point, spaces as thousands separators; ".."
    and "." are missing (``None``), "-" is zero. Raises ValueError for anything else."""
    text = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if text in MISSING:
        return None
    if text in ZERO:
        return Decimal(0)
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")  # 1.234,5
    else:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError(text)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None


def is_value(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


def split_region(text: str) -> tuple[str, str] | None:
    """("2281C1010", "Sundsvall Centrum") for "2281C1010 Sundsvall Centrum"; None when the
    text does not start with a region code."""
    m = REGION.match(str(text).strip())
    if not m:
        return None
    return m.group(1).upper(), (m.group(2) or "").strip()


def guess_unit(*texts: str) -> str:
    joined = " ".join(texts).lower()
    if "tkr" in joined or "tusental kronor" in joined:
        return "tkr"
    if "procent" in joined or "%" in joined or "andel" in joined:
        return "procent"
    if re.search(r"\bkr\b|kronor", joined):
        return "kr"
    return "antal"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        value = format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value).strip()


# --- file formats ---------------------------------------------------------------------------
def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) or, failing that, Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_rows(data: bytes) -> list[list[str]]:
    text = decode(data)
    lines = [line for line in text.splitlines() if line.strip()]
    sample = "\n".join(lines[:20])
    counts = {d: sample.count(d) for d in (";", "\t", ",")}
    delimiter = ";" if counts[";"] else max(counts, key=counts.get)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def xlsx_rows(data: bytes, file_name: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure means "not an Excel file"
        raise StatsReadError(
            _("%(file)s is not an Excel file (.xlsx) that can be opened.") % {"file": file_name}
        ) from None
    sheet = book.worksheets[0]
    rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def read_file(data: bytes, file_name: str) -> ParsedStats:
    """Read an upload by its name and content: .xlsx, .csv (or .txt) or .json. Whatever the
    bytes, the answer is a ParsedStats or a StatsReadError with a Swedish message."""
    try:
        return _read_file(data, file_name)
    except StatsReadError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, csv.Error):
        raise StatsReadError(
            _(
                "%(file)s could not be read as a statistics table. Save the table from "
                "Statistikdatabasen as Excel (xlsx) or CSV, or fetch JSON-stat2 from PxWebApi."
            )
            % {"file": file_name}
        ) from None


def _read_file(data: bytes, file_name: str) -> ParsedStats:
    if not data or not data.strip():
        raise StatsReadError(_("%(file)s is empty.") % {"file": file_name})
    suffix = Path(file_name).suffix.lower()
    if suffix == ".json" or data.lstrip()[:1] in (b"{", b"["):
        return read_jsonstat(data, file_name)
    if suffix in (".xlsx", ".xlsm") or data[:2] == b"PK":
        return read_table(xlsx_rows(data, file_name), file_name)
    if suffix in (".csv", ".txt", ""):
        return read_table(csv_rows(data), file_name)
    raise StatsReadError(
        _("%(file)s: choose an Excel file (.xlsx), a CSV file or a JSON-stat2 file (.json).")
        % {"file": file_name}
    )


# --- PX-Web tables (XLSX, CSV) --------------------------------------------------------------
def _variable_kind(name: str, values: list[str]) -> str:
    name = name.strip().lower()
    if any(n in name for n in REGION_NAMES):
        return "region"
    if name in YEAR_NAMES:
        return "year"
    filled = [v for v in values if v]
    if filled and all(YEAR.match(v) for v in filled) and not name:
        return "year"
    if filled and not name and all(split_region(v) for v in filled):
        return "region"
    return "other"


def _is_data_row(row: list[str], names: set[str]) -> bool:
    cells = [c for c in row if c]
    if not row or not row[0] or row[0].strip().lower() in names or len(cells) < 2:
        return False
    rest = cells[1:]
    if len(rest) >= 2 and all(YEAR.match(c) for c in rest):
        return False  # the years across the top
    return is_value(cells[-1]) or split_region(row[0]) is not None


def read_table(rows: list[list[str]], file_name: str) -> ParsedStats:  # noqa: C901
    """A PX-Web export as rows of cell texts (see the module)."""
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(c for c in row)]
    if not numbered:
        raise StatsReadError(_("%(file)s is empty.") % {"file": file_name})
    not_px = _(
        "%(file)s does not look like an export from SCB's Statistikdatabasen (PX-Web): expected "
        "a title row, header rows and one row per region with its values. Save the table "
        "from Statistikdatabasen as Excel (xlsx) or as CSV."
    ) % {"file": file_name}
    title = ""
    first_row = numbered[0][1]
    if len([c for c in first_row if c]) == 1 and not is_value(next(c for c in first_row if c)):
        title = next(c for c in first_row if c)
        numbered = numbered[1:]
    names = set(REGION_NAMES) | set(YEAR_NAMES) | {"ålder", "kön", "tabellinnehåll"}
    start = next((k for k, (_n, row) in enumerate(numbered) if _is_data_row(row, names)), None)
    if start is None or start == 0:
        raise StatsReadError(not_px)
    header = [row for _n, row in numbered[:start]]
    first = numbered[start][1]
    width = max(len(r) for _n, r in numbered)
    last_header = header[-1] + [""] * (width - len(header[-1]))
    # the stub columns: text in the first data row, or a variable's name above them
    stubs = 0
    for i, cell in enumerate(first):
        head = last_header[i].strip().lower()
        text = bool(cell) and not is_value(cell)
        later_value = any(c and is_value(c) for c in first[i + 1 :])
        if head in names or (text and (not head or later_value)):
            stubs = i + 1
        elif cell and YEAR.match(cell) and i == stubs and not last_header[i]:
            stubs = i + 1  # a year down the left without its name
    if stubs == 0:
        raise StatsReadError(not_px)
    # the labels of each value column, from every header row (a merged cell fills right)
    labels: dict[int, list[str]] = {i: [] for i in range(stubs, width)}
    for row in header:
        row = row + [""] * (width - len(row))
        current = ""
        for i in range(stubs, width):
            current = row[i] or current
            if current:
                labels[i].append(current)
    data_rows: list[tuple[int, list[str]]] = []
    for n, row in numbered[start:]:
        row = row + [""] * (width - len(row))
        values = row[stubs:]
        if not any(c and is_value(c) for c in values):
            if any(values):
                data_rows.append((n, row))  # text where values should be: reported below
                continue
            break  # footnotes ("Källa: …") after the table
        data_rows.append((n, row))
    # forward-fill the stub columns (a block's value written once)
    filled: list[tuple[int, list[str]]] = []
    last = [""] * stubs
    for n, row in data_rows:
        stub = [row[i] or last[i] for i in range(stubs)]
        last = stub
        filled.append((n, stub + row[stubs:]))
    kinds = [_variable_kind(last_header[i], [r[i] for _n, r in filled]) for i in range(stubs)]
    heading_years = {i: [lab for lab in labels[i] if YEAR.match(lab)] for i in labels}
    if "region" not in kinds:
        raise StatsReadError(
            _(
                "%(file)s has no region column: export the table with the region down the "
                "left (codes such as 2281C1010, or code and name)."
            )
            % {"file": file_name}
        )
    if "year" not in kinds and not any(heading_years.values()):
        raise StatsReadError(
            _("%(file)s names no year: include the variable “år” in the export.")
            % {"file": file_name}
        )
    footer = " ".join(" ".join(r) for _n, r in numbered[start + len(data_rows) :])
    table = TABLE_ID.search(f"{title} {footer} {file_name}")
    parsed = ParsedStats(file_name=file_name, title=title, table_id=table.group(1) if table else "")
    region_at = kinds.index("region")
    for n, row in filled:
        region = split_region(row[region_at])
        if region is None:
            parsed.problems.append(
                Problem(
                    file_name,
                    n,
                    column_letter(region_at),
                    _("“%(text)s” does not start with a region code (such as 2281C1010).")
                    % {"text": row[region_at]},
                )
            )
            continue
        stub_years = [row[i] for i, k in enumerate(kinds) if k == "year"]
        stub_labels = [row[i] for i, k in enumerate(kinds) if k == "other"]
        for i in range(stubs, width):
            cell = row[i]
            if not cell:
                continue
            col = column_letter(i)
            years = stub_years or heading_years[i]
            other = [lab for lab in labels[i] if not YEAR.match(lab)]
            if not years or not YEAR.match(years[0]):
                parsed.problems.append(
                    Problem(file_name, n, col, _("“%(text)s” is not a year.") % {"text": years[:1]})
                )
                continue
            try:
                value = parse_number(cell)
            except ValueError:
                parsed.problems.append(
                    Problem(
                        file_name,
                        n,
                        col,
                        _("“%(text)s” is not a number (decimal comma, or .. for missing).")
                        % {"text": cell},
                    )
                )
                continue
            series = ", ".join([*other, *stub_labels]) or title or _("Value")
            parsed.rows.append(
                StatRow(
                    code=region[0],
                    region_name=region[1],
                    year=int(years[0]),
                    series=series,
                    unit=guess_unit(series, title),
                    value=value,
                    row=n,
                    column=col,
                )
            )
    if not parsed.rows and not parsed.problems:
        raise StatsReadError(not_px)
    return parsed


# --- JSON-stat2 -----------------------------------------------------------------------------
def _category(dim: dict) -> tuple[list[str], dict[str, str]]:
    category = dim.get("category") or {}
    index = category.get("index")
    labels = category.get("label") or {}
    if isinstance(index, dict):
        codes = [c for c, _pos in sorted(index.items(), key=lambda kv: kv[1])]
    elif isinstance(index, list):
        codes = list(index)
    else:
        codes = list(labels)
    return codes, {c: str(labels.get(c, c)) for c in codes}


def _label_name(label: str, code: str) -> str:
    """SCB labels a region "2281C1010", "2281C1010 Sundsvall Centrum" or by its name alone."""
    split = split_region(label)
    if split is not None:
        return split[1]
    return "" if label.strip().upper() == code else label.strip()


def read_jsonstat(data: bytes | str | dict, file_name: str) -> ParsedStats:
    """A JSON-stat 2.0 dataset (a saved file or a PxWebApi response)."""
    not_jsonstat = _(
        "%(file)s is not a JSON-stat2 dataset (PxWebApi with format json-stat2): %(why)s"
    )
    if isinstance(data, dict):
        doc = data
    else:
        try:
            doc = json.loads(decode(data) if isinstance(data, bytes) else data)
        except (ValueError, UnicodeDecodeError):
            raise StatsReadError(_("%(file)s is not valid JSON.") % {"file": file_name}) from None
    if not isinstance(doc, dict) or doc.get("class") != "dataset":
        raise StatsReadError(
            not_jsonstat % {"file": file_name, "why": _("“class” is not “dataset”.")}
        )
    ids, sizes, dims = doc.get("id"), doc.get("size"), doc.get("dimension")
    values = doc.get("value")
    if not (isinstance(ids, list) and isinstance(sizes, list) and isinstance(dims, dict)):
        raise StatsReadError(
            not_jsonstat % {"file": file_name, "why": _("“id”, “size” or “dimension” is missing.")}
        )
    if len(ids) != len(sizes) or any(i not in dims for i in ids):
        raise StatsReadError(
            not_jsonstat % {"file": file_name, "why": _("“id” and “size” do not agree.")}
        )
    total = 1
    for s in sizes:
        total *= int(s)
    if isinstance(values, dict):  # sparse form: {"position": value}
        values = [values.get(str(i)) for i in range(total)]
    if not isinstance(values, list) or len(values) != total:
        raise StatsReadError(
            not_jsonstat
            % {"file": file_name, "why": _("“value” does not hold one value per cell.")}
        )
    role = doc.get("role") or {}
    cats = {i: _category(dims[i]) for i in ids}

    def find(role_name: str, names: tuple[str, ...]) -> str | None:
        for i in role.get(role_name, []) or []:
            if i in dims:
                return i
        return next((i for i in ids if i.lower() in names), None)

    region_id = find("geo", ("region", "deso", "regso", "område"))
    time_id = find("time", ("tid", "år", "year", "time"))
    metric_id = find("metric", ("contentscode", "tabellinnehåll"))
    if region_id is None or time_id is None:
        raise StatsReadError(
            not_jsonstat % {"file": file_name, "why": _("it has no region or no time dimension.")}
        )
    px = (doc.get("extension") or {}).get("px") or {}
    parsed = ParsedStats(
        file_name=file_name,
        title=str(doc.get("label", "")),
        table_id=str(px.get("tableid", "")),
        source=SCB_SOURCE if "scb" in str(doc.get("source", "scb")).lower() else doc["source"],
    )
    units = {}
    if metric_id:
        unit_of = (dims[metric_id].get("category") or {}).get("unit") or {}
        units = {c: str((u or {}).get("base", "")) for c, u in unit_of.items()}
    strides = []
    step = 1
    for s in reversed(sizes):
        strides.insert(0, step)
        step *= int(s)
    for pos, raw in enumerate(values):
        picked = {i: cats[i][0][(pos // strides[k]) % int(sizes[k])] for k, i in enumerate(ids)}
        region = split_region(picked[region_id])
        year_text = picked[time_id]
        if region is None or not YEAR.match(year_text[:4]) or len(year_text) != 4:
            what = picked[region_id] if region is None else year_text
            parsed.problems.append(
                Problem(
                    file_name,
                    pos + 1,
                    "value",
                    _("“%(text)s” is neither a region code nor a year.") % {"text": what},
                )
            )
            continue
        labels = [cats[i][1][picked[i]] for i in ids if i not in (region_id, time_id)]
        if raw is None:
            value = None
        else:
            try:
                value = parse_number(str(raw))
            except ValueError:
                parsed.problems.append(
                    Problem(
                        file_name,
                        pos + 1,
                        "value",
                        _("“%(text)s” is not a number.") % {"text": raw},
                    )
                )
                continue
        series = ", ".join(labels) or parsed.title
        unit = units.get(picked[metric_id], "") if metric_id else ""
        parsed.rows.append(
            StatRow(
                code=region[0],
                region_name=region[1]
                or _label_name(cats[region_id][1][picked[region_id]], region[0]),
                year=int(year_text),
                series=series,
                unit=unit or guess_unit(series, parsed.title),
                value=value,
                row=pos + 1,
                column="value",
            )
        )
    return parsed
