"""Detection: how to read a CSV/Excel file. The kind of file (CSV, or XLSX by its zip
signature; old .xls, UTF-16 and binary files are refused with a message that says how to save
the file instead), for CSV the character encoding (UTF-8 with or without BOM when the whole
file is valid UTF-8, otherwise Windows-1252 or Latin-1 as charset-normalizer judges; a file
that mixes encodings is refused), the delimiter and the header row (title rows above the table
are skipped; a file without a header row is recognised). For XLSX, the first sheet unless
another is chosen. The result (:class:`Detected`) is stored on the import job."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, time
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .report import TabularError
from .values import _blank, parse_number, parse_when

DEFAULT_MAX_MB = 200
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


# The largest shared strings part (xl/sharedStrings.xml) of a workbook that is opened.
SHARED_STRINGS_MAX_BYTES = 100 * 1024 * 1024


def _is_shared_strings(name: str) -> bool:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower() == "sharedstrings.xml"


def _shared_strings_part(z: zipfile.ZipFile) -> str:
    """The shared strings part that the package's content types name (what openpyxl reads)."""
    from defusedxml.ElementTree import fromstring

    try:
        info = z.getinfo("[Content_Types].xml")
    except KeyError:
        return ""
    if info.file_size > _CHUNK:  # a real one is a few kB
        raise ValueError("[Content_Types].xml is too large")  # "not a readable Excel file"
    root = fromstring(z.read(info))
    for el in root:
        if el.get("ContentType", "").endswith(".sharedStrings+xml"):
            return el.get("PartName", "").lstrip("/")
    return ""


def _open_workbook(f: IO[bytes], file_name: str, *, data_only: bool = True):
    import openpyxl

    f.seek(0)
    try:
        with zipfile.ZipFile(f) as z:
            members = z.infolist()
            strings_part = _shared_strings_part(z)
        unpacked = sum(i.file_size for i in members)
        if unpacked > 20 * max_bytes():
            raise TabularError(
                _("“%(file)s” unpacks to more than %(max)s MB and cannot be imported.")
                % {"file": file_name, "max": f"{20 * max_bytes() / 1048576:.0f}"}
            )
        # openpyxl reads the shared strings (the text of every cell) into memory whole, even
        # in read-only mode and for a look at the first rows on the upload page; bound them.
        # (The sizes are those the archive declares; zipfile refuses a member that unpacks to
        # more than its declared size.)
        strings = sum(
            i.file_size
            for i in members
            if i.filename == strings_part or _is_shared_strings(i.filename)
        )
        if strings > SHARED_STRINGS_MAX_BYTES:
            raise TabularError(
                _(
                    "“%(file)s”: the text of its cells (the shared strings) unpacks to more "
                    "than %(max)s MB. Save the sheet as CSV (UTF-8) and import that file "
                    "instead."
                )
                % {"file": file_name, "max": f"{SHARED_STRINGS_MAX_BYTES / 1048576:.0f}"}
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
