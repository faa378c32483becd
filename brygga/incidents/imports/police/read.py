"""Reading police events files: the police events API's JSON (a list of events) and JSON Lines
of the same records, each optionally gzip-compressed, a chunk at a time: the unpacked size
(:func:`unpacked_max_bytes`), the length of one record (:data:`MAX_RECORD_CHARS`) and the
number of records (:func:`max_records`) are bounded, so a small "gzip bomb" cannot fill the
worker's memory. An empty, truncated or malformed file is
an error (:class:`PoliceImportError`) that names the file and the record or line; so is every
problem the import finds later (:class:`Problem`: file, record, line, field)."""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

MAX_PROBLEMS = 100


def upload_max_bytes() -> int:
    """The largest police events file the upload page accepts (setting
    ``BRYGGA_POLICE_UPLOAD_MAX_MB``, default 50 MB; the 45,000-event archive is 2.5 MB as
    .gz and 16 MB as JSON Lines)."""
    return int(getattr(settings, "BRYGGA_POLICE_UPLOAD_MAX_MB", 50)) * 1024 * 1024


# --- errors ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is (file, record, line, field) and what."""

    file_name: str
    message: str
    record: int | None = None
    line: int | None = None
    field: str = ""

    def __str__(self) -> str:
        params = {
            "file": self.file_name,
            "record": self.record,
            "line": self.line,
            "field": self.field,
            "problem": self.message,
        }
        if self.record is not None and self.line is not None and self.field:
            text = _("%(file)s, record %(record)s (line %(line)s), field “%(field)s”: %(problem)s")
        elif self.record is not None and self.field:
            text = _("%(file)s, record %(record)s, field “%(field)s”: %(problem)s")
        elif self.record is not None and self.line is not None:
            text = _("%(file)s, record %(record)s (line %(line)s): %(problem)s")
        elif self.record is not None:
            text = _("%(file)s, record %(record)s: %(problem)s")
        elif self.line is not None:
            text = _("%(file)s, line %(line)s: %(problem)s")
        else:
            text = _("%(file)s: %(problem)s")
        return text % params

    def as_dict(self) -> dict:
        return {
            "file": self.file_name,
            "record": self.record,
            "line": self.line,
            "field": self.field,
            "message": str(self),
        }


class PoliceImportError(Exception):
    """Bad input: nothing was written. ``problems`` holds up to MAX_PROBLEMS of them,
    ``total`` how many were found."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        text = str(problems[0]) if problems else _("The import failed.")
        if self.total > 1:
            text += " " + _("(%(n)s problems in all)") % {"n": self.total}
        super().__init__(text)

    @classmethod
    def single(cls, file_name: str, message: str, **where) -> PoliceImportError:
        return cls([Problem(file_name, message, **where)])


# --- reading --------------------------------------------------------------------------------
class PoliceRecord(dict):
    """A police event as read from a file; ``line`` is where it starts (1-based)."""

    __slots__ = ("line",)

    def __init__(self, data: dict, line: int | None = None):
        super().__init__(data)
        self.line = line


# --- reading, a chunk at a time -------------------------------------------------------------
CHUNK_SIZE = 64 * 1024
# One event is under 2 kB; a single record (a JSON Lines line, a list element) beyond this is
# refused rather than read into memory.
MAX_RECORD_CHARS = 1024 * 1024
# A gzip file may unpack to at most this many times the upload limit.
UNPACKED_FACTOR = 20
# Past this position the character at a JSON error is surely in the buffer, with enough text
# after it that reading more cannot change the error (a literal, a \uXXXX escape are shorter).
_DECISIVE = 64


def unpacked_max_bytes() -> int:
    """The most a police events file may hold once unpacked: ``BRYGGA_POLICE_UPLOAD_MAX_MB``
    × :data:`UNPACKED_FACTOR` (1 GB with the default)."""
    return upload_max_bytes() * UNPACKED_FACTOR


def max_records() -> int:
    """The most events one file may hold (setting ``BRYGGA_POLICE_MAX_RECORDS``, default
    1,000,000; the whole 2022–2024 archive of Sweden holds 45,075)."""
    return int(getattr(settings, "BRYGGA_POLICE_MAX_RECORDS", 1_000_000))


class _Bytes:
    """The bytes of a file object (text is encoded as UTF-8), with a peeked start put back."""

    def __init__(self, fh):
        self.fh = fh
        self.pending = b""
        self.consumed = 0  # bytes read from the file itself (compressed, for a .gz)

    def read(self, n: int = -1) -> bytes:
        if self.pending:
            out = self.pending if n < 0 else self.pending[:n]
            self.pending = self.pending[len(out) :]
            return out
        data = self.fh.read(n)
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.consumed += len(data)
        return data


class _Text:
    """The text of a police events file, a chunk at a time: unpacked on the fly when it is
    gzip-compressed, refused once it grows beyond ``max_bytes`` unpacked, and decoded as UTF-8
    (with or without a byte order mark). Nothing is held but the current chunk."""

    def __init__(self, source, file_name: str, max_bytes: int | None):
        self.file_name = file_name
        self.max_bytes = unpacked_max_bytes() if max_bytes is None else max_bytes
        self._own = None
        if isinstance(source, (str, Path)):
            source = self._own = open(source, "rb")  # noqa: SIM115 (closed in close())
        elif hasattr(source, "seek"):
            with contextlib.suppress(OSError, ValueError):
                source.seek(0)
        self.raw = _Bytes(source)
        try:
            self.size = os.fstat(source.fileno()).st_size
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            self.size = getattr(source, "size", None)
        head = self.raw.read(2)
        self.raw.pending = head
        self.stream = self.raw
        if head == b"\x1f\x8b":
            self.stream = gzip.GzipFile(fileobj=self.raw, mode="rb")
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.unpacked = 0
        self.lines = 0  # line breaks in the text returned so far
        self.eof = False

    def close(self) -> None:
        if self._own is not None:
            self._own.close()

    def fraction(self) -> float | None:
        """How much of the file has been read (0…1), when its size is known."""
        if not self.size:
            return None
        return min(1.0, self.raw.consumed / self.size)

    def _read_raw(self) -> bytes:
        try:
            return self.stream.read(CHUNK_SIZE)
        except EOFError:
            raise PoliceImportError.single(
                self.file_name, _("The compressed (gzip) file is incomplete; it seems truncated.")
            ) from None
        except (OSError, zlib.error):
            raise PoliceImportError.single(
                self.file_name, _("The file ends in .gz but is not a valid gzip file.")
            ) from None

    def chunk(self) -> str:
        """The next piece of text; "" at the end of the file."""
        while not self.eof:
            data = self._read_raw()
            self.unpacked += len(data)
            if self.max_bytes and self.unpacked > self.max_bytes:
                raise PoliceImportError.single(
                    self.file_name,
                    _("The file is larger than %(mb)s MB when uncompressed.")
                    % {"mb": self.max_bytes // (1024 * 1024)},
                )
            if not data:
                self.eof = True
            pending = self.decoder.getstate()[0]
            try:
                text = self.decoder.decode(data, final=self.eof)
            except UnicodeDecodeError as exc:
                line = self.lines + (pending + data).count(b"\n", 0, exc.start) + 1
                raise PoliceImportError.single(
                    self.file_name, _("The text is not UTF-8 (invalid byte)."), line=line
                ) from None
            if text:
                self.lines += text.count("\n")
                return text
        return ""


_WS = re.compile(r"[ \t\r\n]*")


def _skip_ws(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()


def _too_long(file_name: str, **where) -> PoliceImportError:
    return PoliceImportError.single(
        file_name,
        _(
            "The record is longer than %(mb)s MB; a police event is much shorter. This is not "
            "police events data, or the file is damaged."
        )
        % {"mb": MAX_RECORD_CHARS // (1024 * 1024)},
        **where,
    )


def _too_many(file_name: str, limit: int, **where) -> PoliceImportError:
    return PoliceImportError.single(
        file_name,
        _(
            "The file holds more than %(n)s events, the most one file may hold (setting "
            "BRYGGA_POLICE_MAX_RECORDS). Split it into smaller files."
        )
        % {"n": limit},
        **where,
    )


class PoliceFileReader:
    """The records of a police events file, read as they are needed (see
    :func:`read_police_file`). :meth:`fraction` tells how much of the file has been read."""

    def __init__(self, source, file_name: str, *, max_bytes=None, max_records=None):
        self.source = source
        self.file_name = file_name
        self.max_bytes = max_bytes
        self.limit = max_records_default() if max_records is None else max_records
        self.text: _Text | None = None

    def fraction(self) -> float | None:
        return self.text.fraction() if self.text is not None else None

    def __iter__(self) -> Iterator[PoliceRecord]:
        self.text = text = _Text(self.source, self.file_name, self.max_bytes)
        try:
            yield from self._records(text)
        finally:
            text.close()

    def _records(self, text: _Text) -> Iterator[PoliceRecord]:
        file_name = self.file_name
        buf, skipped_lines = "", 0
        while True:  # the first character that is not white space
            more = text.chunk()
            if not more:
                raise PoliceImportError.single(file_name, _("The file is empty."))
            buf += more
            start = _skip_ws(buf, 0)
            if start < len(buf):
                break
            skipped_lines += buf.count("\n")
            buf = ""
        first = buf[start]
        if first == "[":
            line = skipped_lines + buf.count("\n", 0, start) + 1
            yield from _ListReader(text, buf, start, line, file_name, self.limit).records()
        elif first == "{":
            yield from _read_json_lines(text, buf, skipped_lines, file_name, self.limit)
        else:
            raise PoliceImportError.single(
                file_name,
                _(
                    "This is not police events data: expected a JSON list of events (starting "
                    "with “[”) or JSON Lines (one event per line, starting with “{”)."
                ),
                line=skipped_lines + buf.count("\n", 0, start) + 1,
            )


max_records_default = max_records


def read_police_file(
    path_or_fileobj, file_name: str, *, max_bytes: int | None = None, max_records: int | None = None
) -> PoliceFileReader:
    """The records of a police events file: the API's JSON (a list of events) or JSON Lines,
    each optionally gzip-compressed, read a chunk at a time as they are iterated, never the
    whole file at once. Iterating raises :class:`PoliceImportError` (naming the file and the
    record or line) for an empty, truncated or malformed file, one that unpacks to more than
    ``max_bytes`` (default :func:`unpacked_max_bytes`), a record longer than
    :data:`MAX_RECORD_CHARS`, or more than ``max_records`` records (default
    :func:`max_records`)."""
    return PoliceFileReader(
        path_or_fileobj, file_name, max_bytes=max_bytes, max_records=max_records
    )


class _ListReader:
    """The elements of a JSON list, decoded one at a time from a growing, trimmed buffer."""

    def __init__(self, text: _Text, buf: str, start: int, line: int, file_name, limit):
        self.text, self.buf, self.file_name, self.limit = text, buf, file_name, limit
        self.start, self.line = start, line
        self.line_pos = start  # self.line is the line of self.buf[self.line_pos]
        self.base_col = 0  # characters before self.buf[0] on its line

    def more(self) -> bool:
        chunk = self.text.chunk()
        self.buf += chunk
        return bool(chunk)

    def ws(self, pos: int) -> int:
        """The next position that is not white space, reading on as needed (and keeping none
        of the white space read)."""
        while True:
            pos = _skip_ws(self.buf, pos)
            if pos < len(self.buf):
                return pos
            if pos > CHUNK_SIZE:
                pos = self.trim(pos)
            if not self.more():
                return pos

    def line_of(self, pos: int) -> int:
        return self.line + self.buf.count("\n", self.line_pos, pos)

    def col_of(self, pos: int) -> int:
        nl = self.buf.rfind("\n", 0, pos)
        return pos - nl if nl >= 0 else self.base_col + pos + 1

    def trim(self, pos: int) -> int:
        """Drop the text before ``pos`` (already read); returns the new ``pos``."""
        if pos < CHUNK_SIZE:
            return pos
        cut = self.buf[:pos]
        nl = cut.rfind("\n")
        self.base_col = pos - nl - 1 if nl >= 0 else self.base_col + pos
        self.line += cut.count("\n", self.line_pos)
        self.line_pos = 0
        self.buf = self.buf[pos:]
        return 0

    def records(self) -> Iterator[PoliceRecord]:
        file_name = self.file_name
        decoder = json.JSONDecoder()
        pos = self.ws(self.start + 1)
        n = 0
        if pos < len(self.buf) and self.buf[pos] == "]":
            return
        while pos < len(self.buf):
            n += 1
            self.line += self.buf.count("\n", self.line_pos, pos)
            self.line_pos = pos
            pos = self.trim(pos)
            line = self.line
            if n > self.limit:
                raise _too_many(file_name, self.limit, record=n, line=line)
            while True:
                try:
                    obj, end = decoder.raw_decode(self.buf, pos)
                except json.JSONDecodeError as exc:
                    decisive = exc.pos < len(self.buf) - _DECISIVE and not exc.msg.startswith(
                        "Unterminated"
                    )
                    if not decisive and not self.text.eof:
                        if len(self.buf) - pos > MAX_RECORD_CHARS:
                            raise _too_long(file_name, record=n, line=line) from None
                        self.more()
                        continue
                    if self.text.eof and (
                        _skip_ws(self.buf, exc.pos) >= len(self.buf)
                        or exc.msg.startswith("Unterminated")
                    ):
                        msg = _("The file ends in the middle of this record; it seems truncated.")
                    else:
                        msg = _("Not valid JSON (%(error)s at line %(line)s, column %(col)s).") % {
                            "error": exc.msg,
                            "line": self.line_of(exc.pos),
                            "col": self.col_of(exc.pos),
                        }
                    raise PoliceImportError.single(file_name, msg, record=n, line=line) from None
                if end >= len(self.buf) and not self.text.eof and self.more():
                    continue  # a number may go on in the next chunk
                break
            if end - pos > MAX_RECORD_CHARS:
                raise _too_long(file_name, record=n, line=line)
            yield PoliceRecord(obj, line) if isinstance(obj, dict) else _NotARecord(obj, line)
            pos = self.ws(end)
            if pos >= len(self.buf):
                raise PoliceImportError.single(
                    file_name,
                    _(
                        "The file ends after this record without the closing “]”; it seems truncated."
                    ),
                    record=n,
                    line=line,
                )
            if self.buf[pos] == ",":
                pos = self.ws(pos + 1)
                if pos >= len(self.buf):
                    raise PoliceImportError.single(
                        file_name,
                        _("The file ends after this record; it seems truncated."),
                        record=n,
                        line=line,
                    )
                continue
            if self.buf[pos] == "]":
                rest = _skip_ws(self.buf, pos + 1)
                while rest >= len(self.buf):  # white space to the end: read on, keep nothing
                    chunk = self.text.chunk()
                    if not chunk:
                        return
                    self.line += self.buf.count("\n", self.line_pos)
                    self.buf, self.line_pos = chunk, 0
                    rest = _skip_ws(chunk, 0)
                if rest < len(self.buf):
                    raise PoliceImportError.single(
                        file_name,
                        _("Unexpected text after the end of the list."),
                        line=self.line_of(rest),
                    )
                return
            raise PoliceImportError.single(
                file_name,
                _("Expected “,” or “]” after this record."),
                record=n,
                line=self.line_of(pos),
            )


def _lines(text: _Text, buf: str, file_name: str, first_line: int) -> Iterator[str]:
    """The lines of the text (without their line break), none longer than MAX_RECORD_CHARS."""
    start, line = 0, first_line
    while True:
        nl = buf.find("\n", start)
        if nl >= 0:
            line += 1
            if nl - start > MAX_RECORD_CHARS:
                raise _too_long(file_name, line=line)
            yield buf[start:nl]
            start = nl + 1
            continue
        rest = buf[start:]
        if len(rest) > MAX_RECORD_CHARS:
            raise _too_long(file_name, line=line + 1)
        more = text.chunk()
        if not more:
            if rest:
                yield rest
            return
        buf, start = rest + more, 0


def _read_json_lines(
    text: _Text, buf: str, skipped_lines: int, file_name: str, limit: int
) -> Iterator[PoliceRecord]:
    lines = _lines(text, buf, file_name, skipped_lines)
    n = 0
    for lineno, raw in enumerate(lines, start=skipped_lines + 1):
        s = raw.strip()
        if not s:
            continue
        n += 1
        if n > limit:
            raise _too_many(file_name, limit, record=n, line=lineno)
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            ahead, ended = _look_ahead(lines)
            if n == 1 and ended:
                _whole_document("\n".join([raw, *ahead]), file_name)
            is_last = ended and not any(a.strip() for a in ahead)
            if is_last and (exc.pos >= len(s) or exc.msg.startswith("Unterminated")):
                msg = _("The file ends in the middle of this record; it seems truncated.")
            else:
                msg = _("Not valid JSON (%(error)s at column %(col)s).") % {
                    "error": exc.msg,
                    "col": exc.colno,
                }
            raise PoliceImportError.single(file_name, msg, record=n, line=lineno) from None
        yield PoliceRecord(obj, lineno) if isinstance(obj, dict) else _NotARecord(obj, lineno)


def _look_ahead(lines: Iterator[str]) -> tuple[list[str], bool]:
    """Up to MAX_RECORD_CHARS of the lines that follow a bad line; then, without keeping them,
    on to the next non-blank line. Returns (the lines kept, whether the file ended and all
    that followed was kept)."""
    kept: list[str] = []
    size = 0
    for raw in lines:
        if size <= MAX_RECORD_CHARS:
            kept.append(raw)
            size += len(raw) + 1
        elif raw.strip():
            return kept, False
    return kept, size <= MAX_RECORD_CHARS


def _whole_document(text: str, file_name: str) -> None:
    """The first line is not a JSON record: maybe the whole file is one pretty-printed object."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        return
    if isinstance(obj, dict):
        raise PoliceImportError.single(
            file_name,
            _(
                "The file holds a single JSON object; expected a list of events (the police "
                "API's JSON) or JSON Lines with one event per line."
            ),
            line=1,
        )


class _NotARecord(PoliceRecord):
    """A JSON value in the list that is not an object (kept so its number can be reported)."""

    __slots__ = ("value",)

    def __init__(self, value: Any, line: int | None):
        super().__init__({}, line)
        self.value = value
