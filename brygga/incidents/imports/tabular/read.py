"""Reading: the rows of a CSV file or an XLSX sheet after the header, streamed, with the rows that
cannot be read turned into errors (wrong number of columns, a mixed delimiter, unclosed
quotes, a file that ends in the middle of a row; in XLSX merged cells, Excel error values and
formulas without a computed value)."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from .detect import _CHUNK, DELIMITER_NAMES, DELIMITERS, Detected, _open_workbook
from .report import RowError, TabularError
from .values import _blank, _text, normalise

PREVIEW_ROWS = 10
SCAN_ROWS = 5_000  # rows read for the category values shown in the mapping step


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
        if len(rec) == width and last and any(c.strip() for c in rec):
            # a complete file ends with a line end: a last row without one may have been
            # cut off in its last value, which no check of the value can tell
            self.skipped += 1
            errors.append(
                RowError(
                    n,
                    "",
                    _(
                        "The last row ends without a line end, so the file may have been cut "
                        "off while it was saved or copied. Check the row against the original; "
                        "if the file is complete, end it with a line break after the last row "
                        "and import it again."
                    ),
                )
            )
            return
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
