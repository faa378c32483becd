"""Import of incidents from CSV and Excel files with a column mapping.

The engine behind the upload → mapping → result pages, the background task and
``brygga import-incidents``. One code path for all of them:

1. **Detect** (:func:`detect`): the kind of file (CSV or XLSX), the character encoding (UTF-8,
   UTF-8 with BOM, Windows-1252/Latin-1; charset-normalizer decides between the last two), the
   delimiter (``,`` ``;`` or tab) and the header row (title rows above it are skipped).
2. **Map** (:class:`Mapping`): file columns → incident fields, source values → categories. A
   mapping can be saved as an :class:`~brygga.incidents.models.ImportProfile`.
3. **Validate every row** (:class:`Importer`), streaming: dates in Swedish formats, decimal
   comma, categories, areas, counts, ids, coordinates (vectorised with numpy/shapely/pyproj;
   rows that fail the fast checks go through :func:`brygga.incidents.location.resolve`, so the
   rules and the messages are the same as in the report form). Ids repeated within the file are
   found after the pass from 128-bit hashes, so memory stays flat. Valid rows are spooled to a
   temporary file in their database form.
4. **Write** in one transaction: rows whose id was imported before are skipped (idempotent
   re-import), the rest are inserted in batches with ``executemany`` (COPY on PostgreSQL) and
   one audit row records the import. By default nothing is written if any row has an error.

Every message names the file, the row (1-based, as in a spreadsheet, header included) and the
column. Raw SQL is used for the insert because ``bulk_create`` builds a model instance per row
and, on SQLite, batches only 999 parameters; the import would then be several times slower than
the insert itself (see bench/bench_import.py). The columns and defaults still come from the
model's fields.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import logging
import math
import pickle
import re
import tempfile
import time as _time
import uuid
import zipfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.audit.context import actor_for_user
from brygga.audit.services import log_action
from brygga.core.access import resolver_for
from brygga.core.geo import SWEDEN_LAT, SWEDEN_LON, _transformer, boundary_sweref
from brygga.core.models import Area, Municipality, Organisation

from .location import SWEREF_E, SWEREF_N, resolve
from .models import Category, ImportJob, ImportProfile, Incident, Source
from .services import FUTURE_SLACK, categories_for, check_when, reporting_organisations_for
from .storage import save_upload

logger = logging.getLogger(__name__)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DEFAULT_MAX_MB = 200
MAX_STORED_ERRORS = 10_000
PREVIEW_ROWS = 10
SCAN_ROWS = 5_000  # rows read for the category values shown in the mapping step
BATCH_SIZE = 5_000
DELIMITERS = (";", ",", "\t")
DELIMITER_NAMES = {
    ";": gettext_lazy("semicolon"),
    ",": gettext_lazy("comma"),
    "\t": gettext_lazy("tab"),
}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "cp1252": "Windows-1252",
    "latin_1": "Latin-1 (ISO-8859-1)",
}
_SAMPLE_BYTES = 256 * 1024
_CHUNK = 1 << 20


def max_bytes() -> int:
    """The largest file accepted (setting ``BRYGGA_IMPORT_MAX_MB``, default 200 MB; the file is
    streamed, so memory does not grow with it)."""
    return int(float(getattr(settings, "BRYGGA_IMPORT_MAX_MB", DEFAULT_MAX_MB)) * 1024 * 1024)


_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


def store_upload(municipality: Municipality, uploaded) -> str:
    """Store an uploaded file under a random name (never the user's file name)."""
    suffix = Path(uploaded.name or "").suffix.lower()
    name = f"imports/{municipality.code}/{uuid.uuid4().hex}{suffix if suffix in _SUFFIXES else ''}"
    return save_upload(name, uploaded)


# --- fields and errors --------------------------------------------------------------------------
FIELDS: dict[str, Any] = {
    "occurred_at": gettext_lazy("Time (date and time)"),
    "date": gettext_lazy("Date only (the whole day)"),
    "time_of_day": gettext_lazy("Time of day (with the date)"),
    "category": gettext_lazy("Category (name or code)"),
    "lat": gettext_lazy("Latitude (WGS84)"),
    "lon": gettext_lazy("Longitude (WGS84)"),
    "sweref_e": gettext_lazy("Easting E (SWEREF 99 TM)"),
    "sweref_n": gettext_lazy("Northing N (SWEREF 99 TM)"),
    "area": gettext_lazy("Area (name or official code, e.g. DeSO)"),
    "count": gettext_lazy("Number of events"),
    "description": gettext_lazy("Description"),
    "place": gettext_lazy("Place"),
    "source_id": gettext_lazy("Id in the source system"),
}

# Header names (case-insensitive) that suggest a field when no profile is used.
_SUGGEST = {
    "occurred_at": (
        "tidpunkt",
        "datum och tid",
        "händelsetid",
        "tid",
        "time",
        "datetime",
        "occurred",
        "occurred_at",
        "timestamp",
        "datum/tid",
    ),
    "date": ("datum", "date", "dag", "händelsedatum"),
    "time_of_day": ("klockslag", "kl", "kl.", "tid på dygnet", "time of day"),
    "category": ("kategori", "händelsetyp", "typ", "category", "type", "kategorikod", "kod"),
    "lat": ("lat", "latitud", "latitude", "wgs84 lat"),
    "lon": ("lon", "long", "lng", "longitud", "longitude", "wgs84 lon"),
    "sweref_e": ("e", "easting", "östlig", "e (sweref)", "sweref_e", "sweref e", "öst"),
    "sweref_n": ("n", "northing", "nordlig", "n (sweref)", "sweref_n", "sweref n", "nord"),
    "area": ("område", "omrade", "area", "deso", "desokod", "deso-kod", "regso", "stadsdel"),
    "count": ("antal", "count", "number", "antal händelser"),
    "description": ("beskrivning", "description", "text", "händelse", "kommentar"),
    "place": ("plats", "adress", "place", "address", "platsbeskrivning"),
    "source_id": (
        "id",
        "löpnummer",
        "ärendenummer",
        "source_id",
        "referens",
        "händelse-id",
        "rapport-id",
    ),
}


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


# --- values -------------------------------------------------------------------------------------
def _short(value, limit: int = 40) -> str:
    s = str(value).strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


_NUM_TRANS = str.maketrans({",": ".", " ": None, "\u00a0": None, "\u202f": None, "\u2212": "-"})


def _not_a_number(v) -> ValueError:
    return ValueError(_("“%(value)s” is not a number.") % {"value": _short(v)})


def parse_number(v) -> float | None:
    """A number in Swedish or international notation (decimal comma or point, spaces as
    thousands separators). None for an empty cell; ValueError with a message otherwise."""
    if type(v) is str:
        try:
            x = float(v.replace(",", ".") if "," in v else v)
        except ValueError:
            if not v.strip():
                return None
            try:
                x = float(v.translate(_NUM_TRANS))
            except ValueError:
                raise _not_a_number(v) from None
    elif v is None:
        return None
    elif isinstance(v, int | float) and not isinstance(v, bool):
        x = float(v)
    else:
        raise _not_a_number(v)
    if not -1e300 < x < 1e300:  # also false for NaN
        raise _not_a_number(v)
    return x


_YMD = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[ T]|\s+kl\.?\s*)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?$"
)
_DMY = re.compile(
    r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})(?:(?:[ T]|\s+kl\.?\s*)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?$"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:[ T]?(\d{2})(\d{2})(\d{2})?)?$")
_TIME = re.compile(r"(\d{1,2})[:.]?(\d{2})(?:[:.](\d{2}))?$")
_DATE_EXAMPLES = "2024-03-05 21:30, 05/03/2024, 5.3.2024, 20240305"


def _whole_day(d: date) -> tuple[datetime, datetime]:
    return datetime(d.year, d.month, d.day), datetime(d.year, d.month, d.day, 23, 59, 59)


def _not_a_date(v) -> ValueError:
    return ValueError(
        _("“%(value)s” is not a date. Write it for example as %(examples)s.")
        % {"value": _short(v), "examples": _DATE_EXAMPLES}
    )


def _impossible(v) -> ValueError:
    return ValueError(_("The date “%(value)s” does not exist.") % {"value": _short(v)})


def aware(dt: datetime) -> datetime:
    """A parsed time as an aware datetime (naive times are Europe/Stockholm)."""
    return dt.replace(tzinfo=STOCKHOLM) if dt.tzinfo is None else dt


def parse_when(v, *, date_only: bool = False) -> tuple[datetime, datetime | None] | None:
    """A cell → (from, to). A value without a time of day (or any value of a date-only column)
    covers the whole day: from 00:00 to 23:59:59. Results are naive (Europe/Stockholm) unless
    the value carries its own offset; see :func:`aware`."""
    if type(v) is str:
        s = v.strip()
        if not s:
            return None
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            return _parse_when_text(v, s, date_only)
        if date_only or len(s) <= 10:
            return _whole_day(dt.date())
        return dt, None
    if v is None:
        return None
    if isinstance(v, datetime):
        # Excel stores a date-only cell as midnight: read that as the whole day.
        if date_only or (v.tzinfo is None and v.time() == time(0)):
            return _whole_day(v.date())
        return v, None
    if isinstance(v, date):
        return _whole_day(v)
    if isinstance(v, int | float) and not isinstance(v, bool):
        if 1 <= v < 200_000:  # an Excel serial date in a cell without a date format
            from openpyxl.utils.datetime import from_excel

            return parse_when(from_excel(v), date_only=date_only)
        raise _not_a_date(v)
    return parse_when(str(v), date_only=date_only)


def _parse_when_text(v, s: str, date_only: bool):
    m = _YMD.match(s)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _DMY.match(s) or _COMPACT.match(s)
        if not m:
            raise _not_a_date(v)
        if m.re is _DMY:
            d, mo, y = int(m[1]), int(m[2]), int(m[3])
        else:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
    try:
        day = date(y, mo, d)
    except ValueError:
        raise _impossible(v) from None
    if date_only or m[4] is None:
        return _whole_day(day)
    try:
        return datetime(y, mo, d, int(m[4]), int(m[5]), int(m[6] or 0)), None
    except ValueError:
        raise ValueError(
            _("The time in “%(value)s” does not exist.") % {"value": _short(v)}
        ) from None


def parse_time_of_day(v) -> time | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.time()
    if isinstance(v, time):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < 1:
        seconds = round(v * 86400)
        return time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    s = str(v).strip()
    if not s:
        return None
    m = _TIME.match(s)
    if m:
        try:
            return time(int(m[1]), int(m[2]), int(m[3] or 0))
        except ValueError:
            pass
    raise ValueError(
        _("“%(value)s” is not a time of day. Write it for example as 21:30.") % {"value": _short(v)}
    )


def _text(v) -> str:
    if type(v) is str:
        return v.strip()
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    return str(v).strip()


def normalise(value) -> str:
    """The key a source value is matched on: trimmed, single spaces, case-folded."""
    return " ".join(_text(value).split()).casefold()


# --- detection ----------------------------------------------------------------------------------
@dataclass
class Detected:
    """What :func:`detect` found out about a file (stored on the import job as JSON)."""

    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 0  # 0-based index of the header record; records above are skipped
    has_header: bool = True
    sheets: list[str] = field(default_factory=list)
    sheet: str = ""
    width: int = 0
    notices: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_row": self.header_row,
            "has_header": self.has_header,
            "sheets": self.sheets,
            "sheet": self.sheet,
            "width": self.width,
            "notices": self.notices,
        }

    @classmethod
    def from_json(cls, d: dict) -> Detected:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    @property
    def encoding_label(self) -> str:
        return ENCODING_NAMES.get(self.encoding, self.encoding)

    @property
    def delimiter_label(self) -> str:
        return str(DELIMITER_NAMES.get(self.delimiter, self.delimiter))


def _looks_like_value(v) -> bool:
    """Whether a cell looks like data (a number or a date) rather than a column name."""
    if v is None:
        return False
    if isinstance(v, int | float | date | time) and not isinstance(v, bool):
        return True
    s = str(v).strip()
    if not s:
        return False
    try:
        parse_number(s)
        return True
    except ValueError:
        pass
    try:
        return parse_when(s) is not None
    except ValueError:
        return False


def _find_header(records: list[list]) -> tuple[int, bool, int]:
    """(index of the header record, whether there is a header, the table width).

    Title rows above the table are skipped: the header (or, in a file without one, the first
    data row) is the first row that fills most of the table's width. With a header, the width
    is the header's; without one, the widest row of the sample."""
    filled = [(i, r) for i, r in enumerate(records) if any(not _blank(c) for c in r)]
    if not filled:
        return 0, True, 0

    def width(r) -> int:
        n = len(r)
        while n and _blank(r[n - 1]):
            n -= 1
        return n

    widest = max(width(r) for _i, r in filled)
    for i, r in filled:
        cells = [c for c in r if not _blank(c)]
        if len(cells) >= max(2, math.ceil(widest * 0.6)) or len(filled) == 1:
            values = sum(1 for c in cells if _looks_like_value(c))
            has_header = values <= len(cells) // 3
            if has_header:
                return i, True, width(r)
            return i, False, max(width(rr) for _j, rr in filled if _j >= i)
    i, r = filled[0]
    return i, True, width(r)


def _sniff_kind(head: bytes, file_name: str) -> str:
    lower = file_name.lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TabularError(
            _(
                "“%(file)s” is an old Excel file (.xls). Save it as .xlsx or as CSV and "
                "upload it again."
            )
            % {"file": file_name}
        )
    if lower.endswith((".xlsx", ".xlsm")):
        raise TabularError(
            _("“%(file)s” is not a readable Excel file; it may be damaged or incomplete.")
            % {"file": file_name}
        )
    return "csv"


def _line_of(f: IO[bytes], offset: int) -> int:
    f.seek(0)
    line, pos = 1, 0
    while pos < offset:
        chunk = f.read(min(_CHUNK, offset - pos))
        if not chunk:
            break
        line += chunk.count(b"\n")
        pos += len(chunk)
    return line


_UTF8_SWEDISH = re.compile(rb"\xc3[\xa5\xa4\xb6\x85\x84\x96\xa9\xbc]")


def detect_encoding(f: IO[bytes], file_name: str) -> str:
    """UTF-8 (with or without BOM) if the whole file is valid UTF-8; otherwise Windows-1252 or
    Latin-1 as charset-normalizer judges. Other encodings and mixed files are refused."""
    f.seek(0)
    head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TabularError(
            _(
                "“%(file)s” is saved as UTF-16. Save it as “CSV UTF-8” (or CSV in "
                "Windows-1252) and upload it again."
            )
            % {"file": file_name}
        )
    else:
        encoding = "utf-8"
    f.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, bad, non_ascii = 0, None, False
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad = offset
            break
        if b"\x00" in chunk:
            raise TabularError(
                _(
                    "“%(file)s” is not a text file (it contains NUL bytes; perhaps it is "
                    "UTF-16 or a binary file). Save it as CSV UTF-8 and upload it again."
                )
                % {"file": file_name}
            )
        try:
            text = decoder.decode(chunk, final=False)
        except UnicodeDecodeError as exc:
            bad = offset + exc.start
            non_ascii = non_ascii or not chunk[: exc.start].isascii()
            break
        non_ascii = non_ascii or not text.isascii()
        offset += len(chunk)
    if bad is None:
        return encoding
    # Not UTF-8. If other parts of the file are UTF-8, the file mixes encodings.
    f.seek(bad)
    rest_utf8 = False
    while not rest_utf8:
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        rest_utf8 = bool(_UTF8_SWEDISH.search(chunk))
    if encoding == "utf-8-sig" or non_ascii or rest_utf8:
        raise TabularError(
            _(
                "“%(file)s” mixes character encodings: row %(row)s is not UTF-8 although "
                "other rows are. Save the whole file again as CSV UTF-8."
            )
            % {"file": file_name, "row": _line_of(f, bad)},
            row=_line_of(f, bad),
        )
    from charset_normalizer import from_bytes

    f.seek(max(0, bad - _SAMPLE_BYTES // 2))
    sample = f.read(_SAMPLE_BYTES)
    best = from_bytes(sample, cp_isolation=["cp1252", "latin_1"]).best()
    if best is None:
        raise TabularError(
            _(
                "The character encoding of “%(file)s” was not recognised. Save it as CSV "
                "UTF-8 and upload it again."
            )
            % {"file": file_name}
        )
    encoding = "cp1252" if best.encoding in ("cp1252", "windows_1252") else "latin_1"
    if encoding == "cp1252":
        # cp1252 leaves five bytes undefined; a file with them is Latin-1.
        f.seek(0)
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
        except UnicodeDecodeError:
            encoding = "latin_1"
    return encoding


def _sample_records(text: str, delimiter: str, cut: bool) -> list[list[str]]:
    try:
        records = list(itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), 500))
    except csv.Error:
        return []
    if cut and records:
        records = records[:-1]
    return records


def _sniff_delimiter(text: str, cut: bool, file_name: str) -> str:
    best, best_score = None, None
    for d in DELIMITERS:
        records = [r for r in _sample_records(text, d, cut) if any(c.strip() for c in r)]
        if not records:
            continue
        counts = Counter(len(r) for r in records)
        width, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if width < 2:
            continue
        score = (round(n / len(records), 2), width)
        if best_score is None or score > best_score:
            best, best_score = d, score
    if best is None:
        raise TabularError(
            _(
                "No columns were found in “%(file)s”. The columns must be separated by "
                "comma, semicolon or tab."
            )
            % {"file": file_name}
        )
    return best


def detect(
    f: IO[bytes], file_name: str, *, sheet: str | None = None, has_header: bool | None = None
) -> Detected:
    """Find out how to read ``f``. Raises :class:`TabularError` with a message for the user."""
    f.seek(0, io.SEEK_END)
    size = f.tell()
    if size > max_bytes():
        raise TabularError(
            _("“%(file)s” is %(size)s MB; the largest file that can be imported is %(max)s MB.")
            % {
                "file": file_name,
                "size": f"{size / 1048576:.1f}",
                "max": f"{max_bytes() / 1048576:.0f}",
            }
        )
    f.seek(0)
    head = f.read(8)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise TabularError(_("“%(file)s” is empty.") % {"file": file_name})
    kind = _sniff_kind(head, file_name)
    if kind == "xlsx":
        det = _detect_xlsx(f, file_name, sheet)
    else:
        encoding = detect_encoding(f, file_name)
        f.seek(0)
        raw = f.read(_SAMPLE_BYTES)
        cut = len(raw) == _SAMPLE_BYTES
        text = raw.decode(encoding, errors="replace")
        if not text.strip():
            raise TabularError(_("“%(file)s” is empty.") % {"file": file_name})
        delimiter = _sniff_delimiter(text, cut, file_name)
        records = _sample_records(text, delimiter, cut)[:50]
        header_row, found_header, width = _find_header(records)
        det = Detected(
            kind="csv",
            encoding=encoding,
            delimiter=delimiter,
            header_row=header_row,
            has_header=found_header,
            width=width,
        )
    if has_header is not None:
        det.has_header = has_header
    return det


def _open_workbook(f: IO[bytes], file_name: str, *, data_only: bool = True):
    import openpyxl

    f.seek(0)
    try:
        with zipfile.ZipFile(f) as z:
            unpacked = sum(i.file_size for i in z.infolist())
        if unpacked > 20 * max_bytes():
            raise TabularError(
                _("“%(file)s” unpacks to more than %(max)s MB and cannot be imported.")
                % {"file": file_name, "max": f"{20 * max_bytes() / 1048576:.0f}"}
            )
        f.seek(0)
        return openpyxl.load_workbook(f, read_only=True, data_only=data_only)
    except TabularError:
        raise
    except Exception:  # zipfile/XML errors of a damaged or truncated file
        raise TabularError(
            _("“%(file)s” is not a readable Excel file; it may be damaged or incomplete.")
            % {"file": file_name}
        ) from None


def _detect_xlsx(f: IO[bytes], file_name: str, sheet: str | None) -> Detected:
    wb = _open_workbook(f, file_name)
    try:
        sheets = list(wb.sheetnames)
        if not sheets:
            raise TabularError(_("“%(file)s” has no sheets.") % {"file": file_name})
        name = sheet if sheet in sheets else sheets[0]
        ws = wb[name]
        try:
            ws.reset_dimensions()
            records = [
                list(r) for r in ws.iter_rows(min_row=1, max_row=50, min_col=1, values_only=True)
            ]
        except Exception:
            raise TabularError(
                _("“%(file)s” is not a readable Excel file; it may be damaged or incomplete.")
                % {"file": file_name}
            ) from None
        header_row, has_header, width = _find_header(records)
        notices = []
        if len(sheets) > 1:
            notices.append(
                _(
                    "The workbook has %(n)s sheets; the sheet “%(sheet)s” is read. Choose "
                    "another sheet below if needed."
                )
                % {"n": len(sheets), "sheet": name}
            )
        return Detected(
            kind="xlsx",
            header_row=header_row,
            has_header=has_header,
            sheets=sheets,
            sheet=name,
            width=width,
            notices=notices,
        )
    finally:
        wb.close()


# --- reading ------------------------------------------------------------------------------------
def column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


class Table:
    """The rows of one file (or sheet) after the header, streamed.

    ``columns`` are stable column ids (the header text; ``#3`` for a column without a header),
    ``labels`` what to show. :meth:`rows` yields ``(spreadsheet row, cells)``; rows that cannot
    be read become :class:`RowError` in ``errors`` (a list the caller passes in)."""

    def __init__(self, f: IO[bytes], file_name: str, detected: Detected):
        self.f = f
        self.file_name = file_name
        self.detected = detected
        self.fraction = 0.0
        self.skipped = 0  # rows not yielded because they could not be read
        self.columns: list[str] = []
        self.labels: list[str] = []
        self._header_cells: list = []
        self._load_header()

    # header -------------------------------------------------------------------------------
    def _set_header(self, cells: list) -> None:
        det = self.detected
        width = max(det.width, len(cells) if det.has_header else 0)
        while width and det.has_header and width > det.width and _blank(cells[width - 1]):
            width -= 1
        seen: Counter = Counter()
        self.columns, self.labels = [], []
        for i in range(width):
            text = _text(cells[i]) if det.has_header and i < len(cells) else ""
            text = " ".join(text.split())
            if not text:
                cid = f"#{i + 1}"
                label = _("Column %(n)s (%(letter)s)") % {"n": i + 1, "letter": column_letter(i)}
            else:
                seen[text.casefold()] += 1
                cid = text if seen[text.casefold()] == 1 else f"{text} #{i + 1}"
                label = cid
            self.columns.append(cid)
            self.labels.append(label)

    def _load_header(self) -> None:
        for _n, cells in self._records(header_only=True):
            self._set_header(cells)
            return
        self._set_header([])

    @property
    def width(self) -> int:
        return len(self.columns)

    def rows(self, errors: list[RowError] | None = None) -> Iterator[tuple[int, list]]:
        errors = errors if errors is not None else []
        yield from self._records(header_only=False, errors=errors)

    def _records(self, *, header_only: bool, errors: list | None = None):
        raise NotImplementedError


class CsvTable(Table):
    def _records(self, *, header_only: bool, errors: list | None = None):
        det = self.detected
        f = self.f
        f.seek(0, io.SEEK_END)
        size = f.tell() or 1
        f.seek(max(0, size - 1))
        ends_with_newline = f.read(1) in (b"\n", b"\r")
        f.seek(0)
        text = io.TextIOWrapper(f, encoding=det.encoding, newline="", errors="strict")
        try:
            reader = csv.reader(text, delimiter=det.delimiter, strict=True)
            skip = det.header_row + (1 if det.has_header else 0)
            pending = None
            n = 0
            while True:
                try:
                    rec = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    n += 1
                    self.skipped += 1
                    if header_only:
                        raise TabularError(
                            _("“%(file)s” cannot be read as CSV: %(reason)s")
                            % {"file": self.file_name, "reason": exc}
                        ) from None
                    if "unexpected end of data" in str(exc):
                        errors.append(
                            RowError(
                                n,
                                "",
                                _("A quoted value is not closed; the file seems to be cut off."),
                            )
                        )
                        break
                    if "field larger than field limit" in str(exc):
                        errors.append(
                            RowError(n, "", _("A value is too long (over 128 000 characters)."))
                        )
                    else:
                        errors.append(
                            RowError(
                                n,
                                "",
                                _(
                                    "The row is not valid CSV (a quote inside a value must be doubled)."
                                ),
                            )
                        )
                    continue
                except UnicodeDecodeError:
                    raise TabularError(
                        _(
                            "Row %(row)s of “%(file)s” is not %(encoding)s. Save the whole file "
                            "as CSV UTF-8 and upload it again."
                        )
                        % {"row": n + 1, "file": self.file_name, "encoding": det.encoding_label},
                        row=n + 1,
                    ) from None
                n += 1
                if header_only:
                    if n - 1 == det.header_row:
                        yield n, rec
                        return
                    continue
                if n <= skip:
                    continue
                if pending is not None:
                    yield from self._checked(*pending, last=False, errors=errors)
                pending = (n, rec)
                if n % 1000 == 0:
                    self.fraction = min(0.999, f.tell() / size)
            if pending is not None:
                yield from self._checked(*pending, last=not ends_with_newline, errors=errors)
            self.fraction = 1.0
        finally:
            text.detach()

    def _checked(self, n: int, rec: list[str], *, last: bool, errors: list):
        width = self.width
        if len(rec) == width:
            yield n, rec
            return
        if not any(c.strip() for c in rec):
            return  # a blank row
        if len(rec) > width and not any(c.strip() for c in rec[width:]):
            yield n, rec[:width]
            return
        self.skipped += 1
        if len(rec) < width and last:
            errors.append(
                RowError(
                    n,
                    "",
                    _("The row has only %(n)s of %(width)s columns; the file seems to be cut off.")
                    % {"n": len(rec), "width": width},
                )
            )
            return
        line = self.detected.delimiter.join(rec)
        for other in DELIMITERS:
            if other != self.detected.delimiter and len(line.split(other)) == width:
                errors.append(
                    RowError(
                        n,
                        "",
                        _(
                            "The row separates its columns with %(other)s, but the file uses "
                            "%(delimiter)s. Use the same delimiter on every row."
                        )
                        % {
                            "other": DELIMITER_NAMES[other],
                            "delimiter": self.detected.delimiter_label,
                        },
                    )
                )
                return
        errors.append(
            RowError(
                n,
                "",
                _(
                    "The row has %(n)s columns but the header has %(width)s. Check for a missing or "
                    "extra delimiter, or text with a delimiter that is not in quotes."
                )
                % {"n": len(rec), "width": width},
            )
        )


_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


class XlsxTable(Table):
    def __init__(self, f, file_name, detected):
        self._formulas = False
        self._merges: list[tuple[str, int, str, int]] = []
        super().__init__(f, file_name, detected)

    def _label(self, letter: str) -> str:
        from openpyxl.utils import column_index_from_string

        i = column_index_from_string(letter) - 1
        return self.labels[i] if i < len(self.labels) else letter

    def _scan_sheet_xml(self, ws) -> None:
        """Merged cells and formulas are only visible in the sheet XML in read-only mode."""
        try:
            src = ws._get_source()
        except AttributeError:  # openpyxl internals changed: skip the extra checks
            return
        tail = b""
        with src:
            while True:
                chunk = src.read(_CHUNK)
                if not chunk:
                    break
                buf = tail + chunk
                if not self._formulas and (b"<f>" in buf or b"<f " in buf):
                    self._formulas = True
                for m in _MERGE.finditer(buf):
                    self._merges.append(
                        (m[1].decode(), int(m[2]), (m[3] or m[1]).decode(), int(m[4] or m[2]))
                    )
                tail = buf[-200:] if b"<mergeCell" not in buf[-200:] else buf[-400:]
        self._merges = sorted(set(self._merges), key=lambda t: (t[1], t[0]))

    def _records(self, *, header_only: bool, errors: list | None = None):
        det = self.detected
        wb = _open_workbook(self.f, self.file_name)
        formula_wb = None
        try:
            ws = wb[det.sheet] if det.sheet in wb.sheetnames else wb[wb.sheetnames[0]]
            if not header_only:
                self._scan_sheet_xml(ws)
                for c1, r1, c2, r2 in self._merges:
                    if r2 >= det.header_row + 1:
                        errors.append(
                            RowError(
                                r1,
                                "–".join(dict.fromkeys((self._label(c1), self._label(c2)))),
                                _(
                                    "The cells %(range)s are merged. Unmerge them and fill in the value "
                                    "on every row before importing."
                                )
                                % {
                                    "range": f"{c1}{r1}:{c2}{r2}"
                                    if (c1, r1) != (c2, r2)
                                    else f"{c1}{r1}"
                                },
                            )
                        )
                if self._formulas:
                    formula_wb = _open_workbook(self.f, self.file_name, data_only=False)
            total = max(ws.max_row or 1, 1)
            # Some writers store a wrong dimension; read until the data ends instead.
            ws.reset_dimensions()
            rows = ws.iter_rows(min_row=1, min_col=1, values_only=True)
            formula_rows = None
            if formula_wb is not None:
                fws = formula_wb[ws.title]
                fws.reset_dimensions()
                formula_rows = fws.iter_rows(min_row=1, min_col=1, values_only=True)
            skip = det.header_row + (1 if det.has_header else 0)
            width = self.width
            for n, values in enumerate(rows, start=1):
                formulas = next(formula_rows, ()) if formula_rows is not None else ()
                if header_only:
                    if n - 1 == det.header_row:
                        yield n, list(values)
                        return
                    continue
                if n <= skip:
                    continue
                cells = list(values[:width])
                if len(cells) < width:
                    cells.extend([None] * (width - len(cells)))
                if all(_blank(c) for c in cells):
                    continue
                bad = False
                for i, c in enumerate(cells):
                    if (
                        isinstance(c, str)
                        and c.startswith("#")
                        and c.rstrip("!?0/").upper()
                        in ("#REF", "#VALUE", "#DIV", "#N/A", "#NAME", "#NUM", "#NULL")
                    ):
                        errors.append(
                            RowError(
                                n,
                                self.labels[i],
                                _("The cell holds the Excel error %(value)s.") % {"value": c},
                            )
                        )
                        bad = True
                    elif c is None and i < len(formulas):
                        fv = formulas[i]
                        if isinstance(fv, str) and fv.startswith("="):
                            errors.append(
                                RowError(
                                    n,
                                    self.labels[i],
                                    _(
                                        "The cell holds a formula without a computed value. Open the "
                                        "file in Excel and save it, or paste the values instead of "
                                        "the formulas."
                                    ),
                                )
                            )
                            bad = True
                if bad:
                    self.skipped += 1
                    continue
                if n % 1000 == 0:
                    self.fraction = min(0.999, n / total)
                yield n, cells
            self.fraction = 1.0
        except TabularError:
            raise
        except Exception:
            raise TabularError(
                _("“%(file)s” is not a readable Excel file; it may be damaged or incomplete.")
                % {"file": self.file_name}
            ) from None
        finally:
            wb.close()
            if formula_wb is not None:
                formula_wb.close()


def open_table(f: IO[bytes], file_name: str, detected: Detected) -> Table:
    cls = XlsxTable if detected.kind == "xlsx" else CsvTable
    return cls(f, file_name, detected)


def preview(table: Table, n: int = PREVIEW_ROWS) -> list[tuple[int, list[str]]]:
    """The first ``n`` data rows as text, for the mapping page."""
    out = []
    for rownum, cells in table.rows([]):
        out.append((rownum, [_text(c) for c in cells]))
        if len(out) >= n:
            break
    return out


def distinct_values(table: Table, index: int, limit_rows: int = SCAN_ROWS, limit: int = 300):
    """The distinct values of one column in the first ``limit_rows`` rows: [(value, count)]."""
    counts: Counter = Counter()
    first: dict[str, str] = {}
    for rownum, cells in itertools.islice(table.rows([]), limit_rows):
        del rownum
        raw = _text(cells[index])
        key = normalise(raw)
        if not key:
            continue
        first.setdefault(key, raw)
        counts[key] += 1
    return [(first[k], c) for k, c in counts.most_common(limit)]


# --- mapping ------------------------------------------------------------------------------------
@dataclass
class Mapping:
    """Which column holds which field, and which category each source value means.

    ``columns``: field → column id; ``categories``: normalised source value → category code.
    Stored as JSON in :class:`ImportProfile.mapping`."""

    columns: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    has_header: bool = True

    def to_json(self) -> dict:
        return {
            "version": 1,
            "columns": dict(self.columns),
            "categories": dict(self.categories),
            "has_header": self.has_header,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> Mapping:
        data = data or {}
        columns = {k: str(v) for k, v in (data.get("columns") or {}).items() if k in FIELDS and v}
        categories = {normalise(k): str(v) for k, v in (data.get("categories") or {}).items() if v}
        return cls(columns=columns, categories=categories, has_header=data.get("has_header", True))

    def problems(self) -> list[str]:
        """What is missing or inconsistent in the mapping itself."""
        c = self.columns
        out = []
        if not (c.get("occurred_at") or c.get("date")):
            out.append(_("Choose the column with the time or the date."))
        if c.get("occurred_at") and c.get("date"):
            out.append(_("Choose either a time column or a date column, not both."))
        if c.get("time_of_day") and not c.get("date"):
            out.append(_("A time-of-day column needs a date column."))
        if not c.get("category"):
            out.append(_("Choose the column with the category."))
        for a, b in (("lat", "lon"), ("sweref_e", "sweref_n")):
            if bool(c.get(a)) != bool(c.get(b)):
                out.append(_("Choose both “%(a)s” and “%(b)s”.") % {"a": FIELDS[a], "b": FIELDS[b]})
        if not (
            (c.get("lat") and c.get("lon"))
            or (c.get("sweref_e") and c.get("sweref_n"))
            or c.get("area")
        ):
            out.append(
                _("Choose where it happened: WGS84 or SWEREF 99 TM coordinates, or an area.")
            )
        used = Counter(v for v in c.values() if v)
        for column, n in used.items():
            if n > 1:
                out.append(
                    _("The column “%(column)s” is chosen for more than one field.")
                    % {"column": column}
                )
        return out

    def indices(self, table: Table) -> dict[str, int]:
        """Field → column index in ``table``; a missing column is an error naming the field."""
        out, missing = {}, []
        by_id = {cid: i for i, cid in enumerate(table.columns)}
        by_fold = {cid.casefold(): i for i, cid in reversed(list(enumerate(table.columns)))}
        for key, cid in self.columns.items():
            i = by_id.get(cid, by_fold.get(cid.casefold()))
            if i is None:
                missing.append((key, cid))
            else:
                out[key] = i
        if missing:
            raise TabularError(
                _("“%(file)s” has no column %(columns)s.")
                % {
                    "file": table.file_name,
                    "columns": ", ".join(
                        _("“%(column)s” (for %(field)s)") % {"column": cid, "field": FIELDS[k]}
                        for k, cid in missing
                    ),
                },
                column=", ".join(cid for _k, cid in missing),
            )
        return out


def suggest_mapping(table: Table) -> Mapping:
    """A first guess from the column names."""
    columns: dict[str, str] = {}
    folded = [c.casefold() for c in table.columns]
    for key, names in _SUGGEST.items():
        for name in names:
            if name in folded and table.columns[folded.index(name)] not in columns.values():
                columns[key] = table.columns[folded.index(name)]
                break
    if columns.get("occurred_at") and columns.get("date"):
        columns.pop("date")
    return Mapping(columns=columns, has_header=table.detected.has_header)


def category_index(municipality: Municipality) -> tuple[dict[str, Category], dict[str, Category]]:
    """Categories usable in ``municipality`` by code and by name (normalised)."""
    by_code, by_name = {}, {}
    for c in categories_for(municipality):
        by_code[normalise(c.code)] = c
        by_name.setdefault(normalise(c.name), c)
        by_name.setdefault(normalise(str(c)), c)
    return by_code, by_name


def match_category(value, mapping: Mapping, index) -> Category | None:
    by_code, by_name = index
    key = normalise(value)
    code = mapping.categories.get(key)
    if code:
        return by_code.get(normalise(code))
    return by_code.get(key) or by_name.get(key)


# --- services -----------------------------------------------------------------------------------
def _require_import(actor, municipality: Municipality) -> None:
    """``actor`` (a user, or a ``SystemActor`` for work no person starts; never ``None``) may
    import into ``municipality``."""
    if not resolver_for(actor).can_import(municipality):
        raise PermissionDenied


@transaction.atomic
def import_profile_save(
    *,
    actor,
    municipality: Municipality,
    name: str,
    mapping: Mapping,
    instance: ImportProfile | None = None,
) -> ImportProfile:
    """Save a mapping as a named profile (unique per municipality)."""
    _require_import(actor, municipality)
    name = name.strip()
    if not name:
        raise ValidationError({"profile_name": _("Give the profile a name.")})
    clash = ImportProfile.objects.filter(municipality=municipality, name__iexact=name)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationError(
            {"profile_name": _("There is already a profile called “%(name)s”.") % {"name": name}}
        )
    profile = instance or ImportProfile(municipality=municipality)
    profile.name = name
    profile.mapping = mapping.to_json()
    if profile.pk is None:
        profile.created_by = actor if getattr(actor, "is_authenticated", False) else None
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def import_profile_delete(*, actor, profile: ImportProfile) -> None:
    _require_import(actor, profile.municipality)
    profile.delete()


def import_job_create(
    *,
    actor,
    municipality: Municipality,
    file_name: str,
    stored_file: str = "",
    detected: Detected,
    profile: ImportProfile | None = None,
    options: dict | None = None,
) -> ImportJob:
    _require_import(actor, municipality)
    return ImportJob.objects.create(
        municipality=municipality,
        kind=ImportJob.Kind.TABULAR,
        file_name=file_name[:255],
        stored_file=stored_file,
        profile=profile,
        options={"detected": detected.to_json(), **(options or {})},
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


# --- locating points ----------------------------------------------------------------------------
WGS, SWEREF, AREA_ONLY, NOWHERE, SKIP = range(5)


def _floats(values) -> np.ndarray:
    return np.array(values, dtype=float)  # None → NaN


class Locator:
    """Vectorised point checks for a batch of rows, with the rules of
    :func:`location.resolve`: inside the WGS84 box of Sweden (or the SWEREF 99 TM range),
    inside the municipality or within its boundary tolerance, placed in the smallest containing
    area. Rows that fail the range checks go through ``resolve`` itself for the message; a
    point outside the municipality gets the message ``resolve`` gives for the first such row."""

    def __init__(self, municipality: Municipality):
        from brygga.core.geo import BOUNDARY_TOLERANCE_M, _area_shape

        self.municipality = municipality
        self.tolerance = BOUNDARY_TOLERANCE_M
        self.areas = list(Area.objects.filter(municipality=municipality))
        self.by_id = {a.pk: a for a in self.areas}
        self.boundary = boundary_sweref(municipality)
        shapely.prepare(self.boundary)
        self.to_sweref = _transformer("EPSG:4326", "EPSG:3006")
        self.to_wgs = _transformer("EPSG:3006", "EPSG:4326")
        self.outside_message: str | None = None
        self.shapes = []
        import json

        for a in self.areas:
            geom = _area_shape(a.pk, a.updated_at.isoformat(), json.dumps(a.geometry))
            bounds = (
                (a.min_lon, a.min_lat, a.max_lon, a.max_lat)
                if a.min_lon is not None
                else (-np.inf, -np.inf, np.inf, np.inf)
            )
            size = (
                (a.max_lon - a.min_lon) * (a.max_lat - a.min_lat)
                if a.min_lon is not None
                else np.inf
            )
            self.shapes.append((a.pk, geom, bounds, size))

    def _resolve(self, **kw):
        return resolve(self.municipality, areas=self.areas, **kw)

    def locate(self, kind, lat, lon, e, n, area, report):
        """Columns of one batch in, the same columns completed out, plus the positions of rows
        with an error (``report(position, kind, message)`` is called for each)."""
        k = np.array(kind, dtype=np.int8)
        w, s = k == WGS, k == SWEREF
        if not (w.any() or s.any()):
            return lat, lon, e, n, area, set()
        plat, plon, pe, pn = _floats(lat), _floats(lon), _floats(e), _floats(n)
        with np.errstate(invalid="ignore"):
            w_ok = (
                w
                & (plat >= SWEDEN_LAT[0])
                & (plat <= SWEDEN_LAT[1])
                & (plon >= SWEDEN_LON[0])
                & (plon <= SWEDEN_LON[1])
            )
            s_ok = (
                s
                & (pe >= SWEREF_E[0])
                & (pe <= SWEREF_E[1])
                & (pn >= SWEREF_N[0])
                & (pn <= SWEREF_N[1])
            )
        if w_ok.any():
            pe[w_ok], pn[w_ok] = self.to_sweref.transform(plon[w_ok], plat[w_ok])
        if s_ok.any():
            plon[s_ok], plat[s_ok] = self.to_wgs.transform(pe[s_ok], pn[s_ok])
        cand = w_ok | s_ok
        good = np.zeros(len(k), dtype=bool)
        if cand.any():
            good[cand] = shapely.contains_xy(self.boundary, pe[cand], pn[cand])
        bad: set[int] = set()
        near = np.flatnonzero(cand & ~good)
        if len(near):
            d = shapely.distance(self.boundary, shapely.points(pe[near], pn[near]))
            good[near[d <= self.tolerance]] = True
            for i in near[d > self.tolerance].tolist():
                if self.outside_message is None:
                    try:
                        self._resolve(
                            lat=lat[i] if w[i] else None,
                            lon=lon[i] if w[i] else None,
                            sweref_e=e[i] if s[i] else None,
                            sweref_n=n[i] if s[i] else None,
                        )
                    except ValidationError as exc:
                        self.outside_message = " ".join(exc.messages)
                    else:  # pragma: no cover - resolve and this check disagree
                        good[i] = True
                        continue
                report(i, kind[i], self.outside_message)
                bad.add(i)
        # out of range, or only one of a pair: resolve says why (it fails before any geometry)
        for i in np.flatnonzero((w | s) & ~cand).tolist():
            try:
                self._resolve(
                    lat=lat[i] if w[i] else None,
                    lon=lon[i] if w[i] else None,
                    sweref_e=e[i] if s[i] else None,
                    sweref_n=n[i] if s[i] else None,
                )
            except ValidationError as exc:
                report(i, kind[i], " ".join(exc.messages))
            bad.add(i)
        # the smallest containing area (bounding-box size, first in order on a tie)
        plat, plon = np.round(plat, 7), np.round(plon, 7)
        found = np.full(len(k), -1, dtype=np.int64)
        best = np.full(len(k), np.inf)
        for j, (_pk, geom, (x0, y0, x1, y1), size) in enumerate(self.shapes):
            m = good & (size < best) & (plon >= x0) & (plon <= x1) & (plat >= y0) & (plat <= y1)
            idx = np.flatnonzero(m)
            if len(idx):
                hit = idx[shapely.contains_xy(geom, plon[idx], plat[idx])]
                found[hit] = j
                best[hit] = size
        out_area = np.array(area, dtype=object)
        hit = np.flatnonzero(found >= 0)
        if len(hit):
            ids = np.array([pk for pk, *_rest in self.shapes], dtype=object)
            out_area[hit] = ids[found[hit]]
        pts = np.flatnonzero(good)

        def column(values, given):
            out = np.array(given, dtype=object)
            out[pts] = values[pts].astype(object)
            return out.tolist()

        return (
            column(plat, lat),
            column(plon, lon),
            column(np.round(pe, 2), e),
            column(np.round(pn, 2), n),
            out_area.tolist(),
            bad,
        )


# --- the import ---------------------------------------------------------------------------------
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
        }


VAR_COLUMNS = (
    "occurred_from",
    "occurred_to",
    "lat",
    "lon",
    "sweref_e",
    "sweref_n",
    "area_id",
    "category_id",
    "count",
    "description",
    "place_description",
    "source_id",
    "source_type",
)
_PLACE_MAX = Incident._meta.get_field("place_description").max_length
_SID_MAX = Incident._meta.get_field("source_id").max_length
_TYPE_MAX = Incident._meta.get_field("source_type").max_length
_COUNT_MAX = 2_147_483_647

ProgressFn = Callable[[str, int, float], None]


class Importer:
    """Validate every row of a table, then (if allowed) write the valid rows in one
    transaction. See the module docstring."""

    def __init__(
        self,
        *,
        table: Table,
        municipality: Municipality,
        mapping: Mapping,
        job: ImportJob,
        actor,
        reporting_organisation: Organisation | None = None,
        valid_only: bool = False,
        has_personal_data: bool = False,
        progress: ProgressFn | None = None,
        batch_size: int = BATCH_SIZE,
        now: datetime | None = None,
    ):
        self.table = table
        self.file_name = table.file_name
        self.municipality = municipality
        self.mapping = mapping
        self.job = job
        self.actor = actor if getattr(actor, "is_authenticated", False) else None  # a user
        self.audit_actor = actor_for_user(actor)  # the user, or the SystemActor's name
        self.organisation = reporting_organisation
        self.valid_only = valid_only
        self.has_personal_data = has_personal_data
        self.progress = progress or (lambda phase, rows, fraction: None)
        self.batch_size = batch_size
        self.now = now or timezone.now()
        self.result = ImportResult(file_name=self.file_name)
        self._errors: list[RowError] = []
        self.vendor = connection.vendor

    # errors ---------------------------------------------------------------------------------
    def _error(self, row: int | None, column: str, message: str) -> None:
        self.result.error_count += 1
        if len(self._errors) < MAX_STORED_ERRORS:
            self._errors.append(RowError(row, column, message))

    # pass 1 ---------------------------------------------------------------------------------
    def _time_adapter(self):
        """Parsed time → (naive UTC for comparison, database value). UTC offsets of
        Europe/Stockholm are cached per hour: the conversion is the costliest part of a row."""
        offsets: dict[int, timedelta] = {}
        postgres = self.vendor == "postgresql"

        def adapt(dt: datetime):
            if dt.tzinfo is None:
                key = dt.toordinal() * 24 + dt.hour
                off = offsets.get(key)
                if off is None:
                    off = offsets[key] = dt.replace(tzinfo=STOCKHOLM).utcoffset()
                utc = dt - off
            else:
                utc = dt.astimezone(UTC).replace(tzinfo=None)
            return utc, (utc.replace(tzinfo=UTC) if postgres else str(utc))

        return adapt

    def validate(self, spool: IO[bytes]) -> None:
        """Read and check every row; valid rows go to ``spool`` in batches."""
        table = self.table
        idx = self.mapping.indices(table)
        labels = table.labels
        col = {k: labels[i] for k, i in idx.items()}
        cat_index = category_index(self.municipality)
        cat_cache: dict = {}
        area_by_key: dict[str, int] = {}
        areas = list(Area.objects.filter(municipality=self.municipality).order_by("pk"))
        for a in areas:
            if a.official_code:
                area_by_key.setdefault(normalise(a.official_code), a.pk)
        for a in areas:
            area_by_key.setdefault(normalise(a.name), a.pk)
        locator = Locator(self.municipality)
        adapt = self._time_adapter()
        limit = (self.now + FUTURE_SLACK).astimezone(UTC).replace(tzinfo=None)
        i_when, i_date, i_tod = idx.get("occurred_at"), idx.get("date"), idx.get("time_of_day")
        date_only = i_when is None
        i_time = i_date if date_only else i_when
        i_cat, i_lat, i_lon = idx["category"], idx.get("lat"), idx.get("lon")
        i_e, i_n, i_area = idx.get("sweref_e"), idx.get("sweref_n"), idx.get("area")
        i_count, i_desc = idx.get("count"), idx.get("description")
        i_place, i_sid = idx.get("place"), idx.get("source_id")
        when_col = col.get("occurred_at") or col.get("date")
        point_cols = {
            WGS: ", ".join(col[k] for k in ("lat", "lon") if k in col),
            SWEREF: ", ".join(col[k] for k in ("sweref_e", "sweref_n") if k in col),
        }
        where_col = ", ".join(
            col[k] for k in ("lat", "lon", "sweref_e", "sweref_n", "area") if k in col
        )
        error = self._error
        # ids as two independent 64-bit hashes (128 bits) and the row: 24 bytes a row
        h1, h2, h_rows = array("q"), array("q"), array("q")
        valid_rows: list[np.ndarray] = []
        row_errors: list[RowError] = []
        batch: list[tuple] = []
        bad_pos: set[int] = set()
        parse_num = parse_number
        municipality_name = self.municipality.name

        def flush() -> None:
            if not batch:
                return
            (rows, start, end, lat, lon, e, n, area, cat, count, desc, place, sid, typ, kind) = zip(
                *batch, strict=True
            )

            def report(i: int, k: int, message: str) -> None:
                error(rows[i], point_cols[k], message)

            lat, lon, e, n, area, bad = locator.locate(kind, lat, lon, e, n, area, report)
            columns = [start, end, lat, lon, e, n, area, cat, count, desc, place, sid, typ]
            bad |= bad_pos
            if bad:
                keep = [i not in bad for i in range(len(rows))]
                rows = list(itertools.compress(rows, keep))
                columns = [list(itertools.compress(c, keep)) for c in columns]
            if rows:
                out = list(zip(*columns, strict=True))
                pickle.dump((list(rows), out), spool, protocol=pickle.HIGHEST_PROTOCOL)
                valid_rows.append(np.asarray(rows, dtype=np.int64))
            batch.clear()
            bad_pos.clear()

        last_report = 0.0
        total = 0
        for rownum, cells in table.rows(row_errors):
            if row_errors:
                for err in row_errors:
                    error(err.row, err.column, err.message)
                row_errors.clear()
            total += 1
            bad = False
            # when
            start = end = None
            try:
                when = parse_when(cells[i_time], date_only=date_only)
            except ValueError as exc:
                error(rownum, when_col, str(exc))
                bad, when = True, None
            else:
                if when is None:
                    error(rownum, when_col, _("The date is missing."))
                    bad = True
            if when is not None and i_tod is not None:
                try:
                    tod = parse_time_of_day(cells[i_tod])
                except ValueError as exc:
                    error(rownum, col["time_of_day"], str(exc))
                    bad, when = True, None
                else:
                    if tod is not None:
                        when = (datetime.combine(when[0].date(), tod), None)
            if when is not None:
                utc_from, start = adapt(when[0])
                if when[1] is not None:
                    utc_to, end = adapt(when[1])
                else:
                    utc_to = utc_from
                if utc_to > limit:
                    try:
                        check_when(
                            aware(when[0]),
                            aware(when[1]) if when[1] is not None else None,
                            now=self.now,
                        )
                    except ValidationError as exc:
                        error(rownum, when_col, " ".join(exc.messages))
                        bad = True
            # category
            v = cells[i_cat]
            cat_id = cat_cache.get(v)
            if cat_id is None:
                if _blank(v):
                    error(rownum, col["category"], _("The category is missing."))
                    bad = True
                else:
                    cat = match_category(v, self.mapping, cat_index)
                    if cat is None:
                        error(
                            rownum,
                            col["category"],
                            _(
                                "Unknown category “%(value)s”. Choose a category for this "
                                "value in the mapping step."
                            )
                            % {"value": _short(v)},
                        )
                        bad = True
                    else:
                        cat_id = cat_cache[v] = cat.pk
            # where
            lat = lon = e = n = None
            area_id = None
            kind = NOWHERE
            try:
                if i_lat is not None and not (_blank(cells[i_lat]) and _blank(cells[i_lon])):
                    kind = WGS
                    lat, lon = parse_num(cells[i_lat]), parse_num(cells[i_lon])
                elif i_e is not None and not (_blank(cells[i_e]) and _blank(cells[i_n])):
                    kind = SWEREF
                    e, n = parse_num(cells[i_e]), parse_num(cells[i_n])
            except ValueError as exc:
                error(rownum, point_cols[kind], str(exc))
                bad, kind = True, SKIP
            if i_area is not None and not _blank(cells[i_area]):
                area_id = area_by_key.get(normalise(cells[i_area]))
                if area_id is None:
                    error(
                        rownum,
                        col["area"],
                        _(
                            "Unknown area “%(value)s”: no area of %(municipality)s has this "
                            "name or official code."
                        )
                        % {"value": _short(cells[i_area]), "municipality": municipality_name},
                    )
                    bad = True
                elif kind == NOWHERE:
                    kind = AREA_ONLY
            if kind == NOWHERE and not bad:
                error(
                    rownum,
                    where_col,
                    _("Say where it happened: a point on the map, coordinates or an area."),
                )
                bad = True
            # count, texts, id
            count = 1
            if i_count is not None:
                try:
                    c = parse_num(cells[i_count])
                except ValueError as exc:
                    error(rownum, col["count"], str(exc))
                    bad = True
                else:
                    if c is not None:
                        if c < 1 or not c.is_integer() or c > _COUNT_MAX:
                            error(
                                rownum,
                                col["count"],
                                _("The number of events must be a whole number of at least 1."),
                            )
                            bad = True
                        else:
                            count = int(c)
            desc = _text(cells[i_desc]) if i_desc is not None else ""
            place = _text(cells[i_place]) if i_place is not None else ""
            if len(place) > _PLACE_MAX:
                error(
                    rownum,
                    col["place"],
                    _("The place is longer than %(max)s characters.") % {"max": _PLACE_MAX},
                )
                bad = True
            sid = ""
            if i_sid is not None:
                sid = _text(cells[i_sid])
                if len(sid) > _SID_MAX:
                    error(
                        rownum,
                        col["source_id"],
                        _("The id is longer than %(max)s characters.") % {"max": _SID_MAX},
                    )
                    bad = True
                elif sid:
                    h1.append(hash(sid))
                    h2.append(hash("\x1f" + sid))
                    h_rows.append(rownum)
            if bad:
                bad_pos.add(len(batch))
                if kind not in (WGS, SWEREF):
                    kind = SKIP
            batch.append(
                (
                    rownum,
                    start,
                    end,
                    lat,
                    lon,
                    e,
                    n,
                    area_id,
                    cat_id,
                    count,
                    desc,
                    place,
                    sid,
                    _text(v)[:_TYPE_MAX],
                    kind,
                )
            )
            if len(batch) >= self.batch_size:
                flush()
                t = _time.monotonic()
                if t - last_report > 0.5:
                    last_report = t
                    self.progress("validate", total, table.fraction)
        for err in row_errors:
            error(err.row, err.column, err.message)
        flush()
        self.result.total_rows = total + table.skipped
        self._check_duplicates(h1, h2, h_rows, valid_rows, col.get("source_id", ""))
        if self.result.total_rows == 0 and not self.result.error_count:
            raise TabularError(_("“%(file)s” has no data rows.") % {"file": self.file_name})
        self.progress("validate", total, 1.0)

    def _check_duplicates(self, h1, h2, h_rows, valid_rows, column: str) -> None:
        """Ids repeated in the file: every later row is an error naming the first row."""
        self._excluded: set[int] = set()
        valid = np.concatenate(valid_rows) if valid_rows else np.empty(0, dtype=np.int64)
        if len(h_rows) > 1:
            a1 = np.frombuffer(h1, dtype=np.int64)
            a2 = np.frombuffer(h2, dtype=np.int64)
            rows = np.frombuffer(h_rows, dtype=np.int64)
            order = np.lexsort((rows, a2, a1))
            a1, a2, rows = a1[order], a2[order], rows[order]
            same = np.concatenate([[False], (a1[1:] == a1[:-1]) & (a2[1:] == a2[:-1])])
            if same.any():
                group = np.cumsum(~same) - 1
                first_row = rows[~same][group]
                dup_rows, firsts = rows[same], first_row[same]
                for row, first in zip(dup_rows.tolist(), firsts.tolist(), strict=True):
                    self._error(
                        row,
                        column,
                        _(
                            "The same id is on row %(first)s and row %(row)s. Each id may appear "
                            "only once in the file."
                        )
                        % {"first": first, "row": row},
                    )
                self._excluded = set(dup_rows[np.isin(dup_rows, valid)].tolist())
        self.result.valid_rows = int(len(valid)) - len(self._excluded)
        self.result.invalid_rows = max(0, self.result.total_rows - self.result.valid_rows)

    # pass 2 ---------------------------------------------------------------------------------
    def _constants(self) -> tuple[list[str], tuple]:
        now = self.now
        explicit = {
            "municipality_id": self.municipality.pk,
            "county_id": self.municipality.county_id,
            "reporting_organisation_id": self.organisation.pk if self.organisation else None,
            "reported_by_id": self.actor.pk if self.actor else None,
            "source": Source.IMPORT.value,
            "import_job_id": self.job.pk,
            "has_personal_data": self.has_personal_data,
            "created_at": now,
            "updated_at": now,
        }
        columns, values = [], []
        for f in Incident._meta.concrete_fields:
            if f.primary_key or f.attname in VAR_COLUMNS:
                continue
            value = explicit[f.attname] if f.attname in explicit else f.get_default()
            columns.append(f.column)
            values.append(f.get_db_prep_save(value, connection))
        return columns, tuple(values)

    def _existing(self, cursor, sids: list[str]) -> set[str]:
        """Ids of this file already imported in the municipality (uses the unique index)."""
        found: set[str] = set()
        qn = connection.ops.quote_name
        for i in range(0, len(sids), 500):
            chunk = sids[i : i + 500]
            cursor.execute(
                f"SELECT {qn('source_id')} FROM {qn(Incident._meta.db_table)} "  # noqa: S608
                f"WHERE {qn('municipality_id')} = %s AND {qn('source')} = %s "
                f"AND {qn('source_id')} IN ({', '.join(['%s'] * len(chunk))}) "
                f"AND NOT ({qn('source_id')} = '') AND NOT ({qn('source')} = 'police')",
                [self.municipality.pk, Source.IMPORT.value, *chunk],
            )
            found.update(r[0] for r in cursor.fetchall())
        return found

    def _inserter(self, cursor, columns: list[str]):
        qn = connection.ops.quote_name
        table = qn(Incident._meta.db_table)
        cols = ", ".join(qn(c) for c in columns)
        if self.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor behind Django's wrapper

            def insert(rows: list[tuple]) -> None:
                with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)

            return insert
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608

        def insert(rows: list[tuple]) -> None:
            cursor.executemany(sql, rows)

        return insert

    def write(self, spool: IO[bytes]) -> None:
        """Insert the valid rows in one transaction, skipping ids imported before."""
        const_columns, const = self._constants()
        columns = [*VAR_COLUMNS, *const_columns]
        sid_at = VAR_COLUMNS.index("source_id")
        result = self.result
        excluded = self._excluded
        done = 0
        last_report = 0.0
        with transaction.atomic(), connection.cursor() as cursor:
            check_db = (
                Incident.objects.filter(municipality=self.municipality, source=Source.IMPORT)
                .exclude(source_id="")
                .exists()
            )
            insert = self._inserter(cursor, columns)
            spool.seek(0)
            while True:
                try:
                    rows, out = pickle.load(spool)  # noqa: S301 (our own temporary file)
                except EOFError:
                    break
                if excluded:
                    out = [t for r, t in zip(rows, out, strict=True) if r not in excluded]
                if check_db:
                    sids = [t[sid_at] for t in out if t[sid_at]]
                    existing = self._existing(cursor, sids) if sids else set()
                    if existing:
                        before = len(out)
                        out = [t for t in out if t[sid_at] not in existing]
                        result.unchanged += before - len(out)
                if out:
                    insert([t + const for t in out])
                    result.created += len(out)
                done += len(rows)
                t = _time.monotonic()
                if t - last_report > 0.5:
                    last_report = t
                    self.progress("write", done, done / max(1, result.valid_rows))
            result.written = True
            self._finish_job(ImportJob.State.DONE)
            log_action(
                event_type="incident_import",
                subject=self.job,
                details={**result.counts(), "valid_only": self.valid_only},
                municipality_id=self.municipality.pk,
                actor=self.audit_actor,
            )

    # job bookkeeping ------------------------------------------------------------------------
    def stored_errors(self) -> list[dict]:
        return [e.as_dict() for e in sorted(self._errors, key=lambda e: (e.row or 0, e.column))]

    def _finish_job(self, state: str, message: str = "") -> None:
        r = self.result
        r.errors = self.stored_errors()
        if not message:
            message = summary(r, valid_only=self.valid_only)
        r.message = message
        ImportJob.objects.filter(pk=self.job.pk).update(
            state=state,
            total_rows=r.total_rows,
            processed_rows=r.total_rows,
            progress=100,
            created_count=r.created,
            unchanged_count=r.unchanged,
            error_count=r.error_count,
            errors=r.errors,
            message=message,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )

    def run(self) -> ImportResult:
        with tempfile.TemporaryFile(prefix="brygga-import-") as spool:
            self.validate(spool)
            if self.result.error_count and not self.valid_only:
                self._finish_job(ImportJob.State.FAILED)
                with transaction.atomic():
                    log_action(
                        event_type="incident_import",
                        subject=self.job,
                        details={**self.result.counts(), "valid_only": False},
                        municipality_id=self.municipality.pk,
                        actor=self.audit_actor,
                    )
                return self.result
            self.write(spool)
        return self.result


def summary(r: ImportResult, *, valid_only: bool = False) -> str:
    if r.written:
        text = _(
            "%(created)s incidents imported, %(unchanged)s already imported before (unchanged)."
        ) % {"created": r.created, "unchanged": r.unchanged}
        if r.error_count:
            text += " " + _("%(n)s rows with errors were left out.") % {"n": r.invalid_rows}
        return text
    return _(
        "%(errors)s errors in %(rows)s rows. Nothing was imported: correct the file and import "
        "it again, or import only the valid rows."
    ) % {"errors": r.error_count, "rows": max(r.invalid_rows, 1)}


def run_import(
    *,
    source: IO[bytes],
    file_name: str,
    municipality: Municipality,
    mapping: Mapping,
    job: ImportJob,
    actor,
    detected: Detected | None = None,
    reporting_organisation: Organisation | None = None,
    valid_only: bool = False,
    has_personal_data: bool = False,
    progress: ProgressFn | None = None,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> ImportResult:
    """Detect (unless ``detected`` is given), validate and write; the job records the outcome.
    Never raises for bad input: a file-level problem becomes one error on the job.
    ``actor`` is a user or a ``SystemActor`` (a command, a task whose user is gone)."""
    _require_import(actor, municipality)
    if reporting_organisation is not None:
        allowed = reporting_organisations_for(actor, municipality)
        if not allowed.filter(pk=reporting_organisation.pk).exists():
            raise PermissionDenied
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.RUNNING, progress=0, processed_rows=0, updated_at=timezone.now()
    )
    importer = None
    try:
        if detected is None:
            detected = detect(source, file_name, has_header=mapping.has_header)
        table = open_table(source, file_name, detected)
        importer = Importer(
            table=table,
            municipality=municipality,
            mapping=mapping,
            job=job,
            actor=actor,
            reporting_organisation=reporting_organisation,
            valid_only=valid_only,
            has_personal_data=has_personal_data,
            progress=progress,
            batch_size=batch_size,
            now=now,
        )
        return importer.run()
    except TabularError as exc:
        result = ImportResult(file_name=file_name, error_count=1)
        result.errors = [exc.as_row_error().as_dict()]
        result.message = exc.message
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED,
            error_count=1,
            errors=result.errors,
            message=exc.message,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return result
    except IntegrityError:
        logger.warning("import %s rolled back on a constraint", job.pk)
        message = _(
            "Another import wrote some of the same ids at the same time, so this import was "
            "rolled back and nothing was written. Start it again: rows already imported are "
            "skipped."
        )
        result = importer.result if importer else ImportResult(file_name=file_name)
        result.created = result.unchanged = 0
        result.written = False
        result.message = message
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED,
            created_count=0,
            unchanged_count=0,
            message=message,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return result


def job_progress(job_pk: int) -> ProgressFn:
    """A progress callback that writes to the job row (validation 0–80 %, writing 80–99 %).
    ``updated_at`` is refreshed too: it tells a running job from a stuck one
    (:mod:`brygga.incidents.jobs`)."""

    def update(phase: str, rows: int, fraction: float) -> None:
        pct = int(80 * fraction) if phase == "validate" else 80 + int(19 * fraction)
        ImportJob.objects.filter(pk=job_pk).update(
            processed_rows=rows, progress=max(0, min(99, pct)), updated_at=timezone.now()
        )

    return update
