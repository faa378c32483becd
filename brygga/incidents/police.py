"""The police events import: the police events API's JSON (a list of events) and JSON Lines of
the same records, plain or gzip-compressed.

Public API (also used by the demo loader)::

    read_police_file(path_or_fileobj, file_name) -> Iterator[PoliceRecord]
    import_records(records, *, file_name, job=None, progress=None) -> PoliceImportResult

Decisions, in the order the importer applies them:

* **Dedupe** by the police id (``Incident.source_id`` with ``source="police"``, unique in the
  database). An event that is already stored is left untouched ("unchanged"), so a second
  import of the same file adds nothing. A deleted event stays deleted.
* **Place**: ``location.name`` is matched to a municipality by name (case-insensitive, white
  space normalised; the feed writes e.g. "Upplands-bro" for "Upplands-Bro"), else to a county
  ("Västernorrlands län"). County-level events get the county and no municipality; every
  municipality of that county sees them. A name that matches neither is an error naming the
  record, never silently dropped. ``location.gps`` is the centre of the municipality or county,
  not the place of the event, so no point is stored.
  One refinement: the live API (2026) gives the county in ``location.name`` for every event and
  names the municipality only at the end of the title ("22 augusti 17.59, Brand, Kävlinge" in
  "Skåne län"). When ``location.name`` is a county and the last part of ``name`` is a
  municipality *of that county*, the event is attached to that municipality
  (``placed_from_name``). In the 2022–2024 archive the end of the title always repeats
  ``location.name``, so this changes nothing there.
* **Time**: the ``datetime`` field is when the police published or last updated the event;
  in the archive its date is sometimes a day off (the UTC date printed with the local time).
  The event time is the one at the start of ``name`` ("26 september 14:21, …", also written
  "14.21"), so ``occurred_from`` is that time in Swedish local time, with the year taken from
  ``datetime`` and corrected across New Year. When ``name`` has no usable time (or one more
  than 45 days away from ``datetime``), ``datetime`` itself is used. ``datetime`` must always be
  valid.
* **Category** from ``PoliceTypeMapping`` (installation-wide, edited by system
  administrators). A type without a mapping is imported as "övrigt" and gets an unreviewed
  mapping row, so it is listed for mapping. Summaries ("Sammanfattning natt", …) are kept and
  flagged ``is_summary`` so they are not counted as single incidents; a new type whose name
  starts with "Sammanfattning" is flagged as a summary too.
* **All or nothing**: every record is checked first; if any record is bad, nothing is written
  and the error names the file, the record (and line) and the field. The writes then run in
  one transaction together with one audit row (``police_import``) with the counts.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import CHANGE, resolver_for
from brygga.core.models import County, Municipality

from .models import Category, ImportJob, Incident, PoliceTypeMapping, Source
from .reference import FALLBACK_CATEGORY, load_default_categories

POLICE_BASE_URL = "https://polisen.se"
POLICE_TZ = ZoneInfo("Europe/Stockholm")
BATCH_SIZE = 2000
MAX_PROBLEMS = 100
NAME_TIME_WINDOW = timedelta(days=45)
FIELDS = ("id", "datetime", "name", "summary", "url", "type", "location")
SUMMARY_PREFIX = "sammanfattning"
_MONTH_NAMES = (
    "januari februari mars april maj juni juli augusti september oktober november december"
)
MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES.split(" "), start=1)}
NAME_TIME = re.compile(r"^\s*(\d{1,2})\s+([^\W\d_]+)\s+(\d{1,2})[:.](\d{2})(?!\d)")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z")


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


def _read_bytes(source, file_name: str, max_bytes: int | None) -> bytes:
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            raw = fh.read()
    else:
        if hasattr(source, "seek"):
            with contextlib.suppress(OSError, ValueError):
                source.seek(0)
        raw = source.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
                raw = gz.read(max_bytes + 1) if max_bytes else gz.read()
        except EOFError:
            raise PoliceImportError.single(
                file_name, _("The compressed (gzip) file is incomplete; it seems truncated.")
            ) from None
        except (OSError, zlib.error):
            raise PoliceImportError.single(
                file_name, _("The file ends in .gz but is not a valid gzip file.")
            ) from None
    if max_bytes and len(raw) > max_bytes:
        raise PoliceImportError.single(
            file_name,
            _("The file is larger than %(mb)s MB when uncompressed.")
            % {"mb": max_bytes // (1024 * 1024)},
        )
    return raw


def _decode(raw: bytes, file_name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PoliceImportError.single(
            file_name, _("The text is not UTF-8 (invalid byte)."), line=line
        ) from None


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    return pos


def read_police_file(
    path_or_fileobj, file_name: str, *, max_bytes: int | None = None
) -> Iterator[PoliceRecord]:
    """Yield the records of a police events file: the API's JSON (a list of events) or JSON
    Lines, each optionally gzip-compressed. Raises :class:`PoliceImportError` (naming the
    file and the record or line) for an empty, truncated or malformed file."""
    text = _decode(_read_bytes(path_or_fileobj, file_name, max_bytes), file_name)
    start = _skip_ws(text, 0)
    if start >= len(text):
        raise PoliceImportError.single(file_name, _("The file is empty."))
    first = text[start]
    if first == "[":
        yield from _read_json_list(text, start, file_name)
    elif first == "{":
        yield from _read_json_lines(text, file_name)
    else:
        raise PoliceImportError.single(
            file_name,
            _(
                "This is not police events data: expected a JSON list of events (starting "
                "with “[”) or JSON Lines (one event per line, starting with “{”)."
            ),
            line=text.count("\n", 0, start) + 1,
        )


def _read_json_list(text: str, start: int, file_name: str) -> Iterator[PoliceRecord]:
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, start + 1)
    line, line_pos = text.count("\n", 0, pos) + 1, pos
    n = 0
    if pos < len(text) and text[pos] == "]":
        pos = len(text)
    while pos < len(text):
        n += 1
        line += text.count("\n", line_pos, pos)
        line_pos = pos
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            if _skip_ws(text, exc.pos) >= len(text) or exc.msg.startswith("Unterminated"):
                msg = _("The file ends in the middle of this record; it seems truncated.")
            else:
                msg = _("Not valid JSON (%(error)s at line %(line)s, column %(col)s).") % {
                    "error": exc.msg,
                    "line": exc.lineno,
                    "col": exc.colno,
                }
            raise PoliceImportError.single(file_name, msg, record=n, line=line) from None
        yield PoliceRecord(obj, line) if isinstance(obj, dict) else _NotARecord(obj, line)
        pos = _skip_ws(text, end)
        if pos >= len(text):
            raise PoliceImportError.single(
                file_name,
                _("The file ends after this record without the closing “]”; it seems truncated."),
                record=n,
                line=line,
            )
        if text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
            if pos >= len(text):
                raise PoliceImportError.single(
                    file_name,
                    _("The file ends after this record; it seems truncated."),
                    record=n,
                    line=line,
                )
            continue
        if text[pos] == "]":
            rest = _skip_ws(text, pos + 1)
            if rest < len(text):
                raise PoliceImportError.single(
                    file_name,
                    _("Unexpected text after the end of the list."),
                    line=text.count("\n", 0, rest) + 1,
                )
            return
        raise PoliceImportError.single(
            file_name,
            _("Expected “,” or “]” after this record."),
            record=n,
            line=text.count("\n", 0, pos) + 1,
        )


def _read_json_lines(text: str, file_name: str) -> Iterator[PoliceRecord]:
    lines = text.split("\n")
    last = max((i for i, s in enumerate(lines) if s.strip()), default=-1)
    n = 0
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s:
            continue
        n += 1
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            if n == 1:
                _whole_document(text, file_name)
            if i == last and (exc.pos >= len(s) or exc.msg.startswith("Unterminated")):
                msg = _("The file ends in the middle of this record; it seems truncated.")
            else:
                msg = _("Not valid JSON (%(error)s at column %(col)s).") % {
                    "error": exc.msg,
                    "col": exc.colno,
                }
            raise PoliceImportError.single(file_name, msg, record=n, line=i + 1) from None
        yield PoliceRecord(obj, i + 1) if isinstance(obj, dict) else _NotARecord(obj, i + 1)


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


# --- checking one record --------------------------------------------------------------------
@dataclass(slots=True)
class ParsedEvent:
    police_id: str
    occurred_from: datetime
    police_type: str
    summary: str
    url: str
    place: str
    municipality_id: int | None
    county_id: int
    placed_from_name: bool = False


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


class PlaceIndex:
    """``location.name`` → (municipality id or None, county id)."""

    def __init__(self):
        self.exact: dict[str, tuple[int | None, int]] = {}
        aliases: dict[str, set[tuple[int | None, int]]] = {}
        for pk, name, county_id in Municipality.objects.values_list("pk", "name", "county_id"):
            self.exact[_norm(name)] = (pk, county_id)
            aliases.setdefault(_norm(name).replace("-", " "), set()).add((pk, county_id))
        for pk, name in County.objects.values_list("pk", "name"):
            self.exact.setdefault(_norm(name), (None, pk))
        # Hyphen/space variants ("Upplands Bro"), only where they are unambiguous.
        self.alias = {k: next(iter(v)) for k, v in aliases.items() if len(v) == 1}

    def resolve(self, name: str) -> tuple[int | None, int] | None:
        key = _norm(name)
        hit = self.exact.get(key) or self.alias.get(key.replace("-", " "))
        if hit:
            return hit
        if key.endswith(" kommun"):  # "Sundsvalls kommun"
            stem = key.removesuffix(" kommun")
            for k in (stem, stem.removesuffix("s")):
                if (m := self.exact.get(k) or self.alias.get(k)) and m[0] is not None:
                    return m
        if not key.endswith(" län"):  # "Västernorrland" for the county
            for k in (f"{key} län", f"{key}s län"):
                if (m := self.exact.get(k)) and m[0] is None:
                    return m
        return None


def parse_police_datetime(value: str) -> datetime | None:
    """``2023-04-17 20:32:40 +02:00`` (the hour may have one digit) or ISO 8601."""
    value = value.strip()
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=POLICE_TZ)


def event_time(name: str, published: datetime) -> datetime:
    """The event time written at the start of ``name`` ("26 september 14:21, …"), in Swedish
    local time with the year of ``published`` (moved by one across New Year); ``published``
    when ``name`` has no usable time."""
    m = NAME_TIME.match(name)
    month = MONTHS.get(m.group(2).casefold()) if m else None
    if not month:
        return published
    day, hour, minute = int(m.group(1)), int(m.group(3)), int(m.group(4))
    local = published.astimezone(POLICE_TZ)
    best = None
    for year in (local.year, local.year - 1, local.year + 1):
        try:
            candidate = datetime(year, month, day, hour, minute, tzinfo=POLICE_TZ)
        except ValueError:
            continue
        if best is None or abs(candidate - published) < abs(best - published):
            best = candidate
    if best is None or abs(best - published) > NAME_TIME_WINDOW:
        return published
    return best


def _valid_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value.strip()) is not None


def _check_record(
    rec: Any, n: int, file_name: str, places: PlaceIndex
) -> tuple[ParsedEvent | None, list[Problem]]:
    line = getattr(rec, "line", None)

    def problem(fld: str, msg: str) -> Problem:
        return Problem(file_name, msg, record=n, line=line, field=fld)

    if isinstance(rec, _NotARecord) or not isinstance(rec, dict):
        return None, [
            Problem(file_name, _("The record is not a JSON object."), record=n, line=line)
        ]
    problems: list[Problem] = []
    missing = [f for f in FIELDS if f not in rec]
    for f in missing:
        problems.append(problem(f, _("The field is missing.")))

    police_id = rec.get("id")
    if "id" not in missing and not _valid_id(police_id):
        problems.append(problem("id", _("The police id must be a positive whole number.")))
    published = None
    if "datetime" not in missing:
        value = rec["datetime"]
        published = parse_police_datetime(value) if isinstance(value, str) else None
        if published is None:
            problems.append(
                problem(
                    "datetime",
                    _("“%(value)s” is not a date and time like “2023-04-17 20:32:40 +02:00”.")
                    % {"value": str(value)[:40]},
                )
            )
    for f in ("name", "summary", "url"):
        if f not in missing and not isinstance(rec[f], str):
            problems.append(problem(f, _("The field must be text.")))
    police_type = ""
    if "type" not in missing:
        if not isinstance(rec["type"], str) or not rec["type"].strip():
            problems.append(problem("type", _("The event type must be non-empty text.")))
        else:
            police_type = " ".join(rec["type"].split())
            if len(police_type) > 120:
                problems.append(problem("type", _("The event type is longer than 120 characters.")))
    place = None
    place_name = ""
    from_name = False
    if "location" not in missing:
        loc = rec["location"]
        if not isinstance(loc, dict):
            problems.append(problem("location", _("The field must be an object with “name”.")))
        elif not isinstance(loc.get("name"), str) or not loc["name"].strip():
            problems.append(problem("location.name", _("The place name is missing.")))
        else:
            place_name = " ".join(loc["name"].split())
            place = places.resolve(place_name)
            if place is None:
                problems.append(
                    problem(
                        "location.name",
                        _("“%(value)s” is neither a Swedish municipality nor a county.")
                        % {"value": place_name[:80]},
                    )
                )
            elif place[0] is None and isinstance(rec.get("name"), str):
                # The live API names the county here and the municipality only at the end of
                # the title ("…, Brand, Kävlinge" in "Skåne län").
                tail = " ".join(rec["name"].rsplit(",", 1)[-1].split())
                named = places.resolve(tail) if "," in rec["name"] else None
                if named and named[0] is not None and named[1] == place[1]:
                    place, place_name, from_name = named, tail, True
    url = rec.get("url") if isinstance(rec.get("url"), str) else ""
    url = url.strip()
    if url.startswith("/"):
        url = POLICE_BASE_URL + url
    if len(url) > 300:
        problems.append(problem("url", _("The link is longer than 300 characters.")))
    if problems:
        return None, problems
    return (
        ParsedEvent(
            police_id=str(police_id).strip(),
            occurred_from=event_time(rec["name"], published),
            police_type=police_type,
            summary=rec["summary"].strip(),
            url=url,
            place=place_name[:200],
            municipality_id=place[0],
            county_id=place[1],
            placed_from_name=from_name,
        ),
        [],
    )


# --- importing ------------------------------------------------------------------------------
@dataclass
class PoliceImportResult:
    file_name: str
    total: int = 0  # records in the file
    created: int = 0  # new incidents
    unchanged: int = 0  # already imported before (same police id): left as they were
    duplicates: int = 0  # repeated police ids inside the file
    out_of_scope: int = 0  # other municipalities' events (import limited to one municipality)
    county_level: int = 0  # of the created: attached to a county only
    placed_from_name: int = 0  # of the created: county in location, municipality in the title
    summaries: int = 0  # of the created: summaries (not counted as single incidents)
    new_types: list[str] = field(default_factory=list)  # added to the mapping as "övrigt"
    unreviewed_types: list[str] = field(default_factory=list)  # in the file, not yet mapped
    seconds: float = 0.0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "file": self.file_name,
            "records": self.total,
            "created": self.created,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "out_of_scope": self.out_of_scope,
            "county_level": self.county_level,
            "placed_from_name": self.placed_from_name,
            "summaries": self.summaries,
            "new_types": self.new_types,
            "unreviewed_types": self.unreviewed_types,
            "seconds": round(self.seconds, 2),
        }


class _DryRun(Exception):
    pass


def _job_update(job: ImportJob | None, **fields) -> None:
    """Write job progress without the change tracker (one audit row per import, not per
    progress step). ``updated_at`` is refreshed too: it tells a running job from a stuck one
    (:mod:`brygga.incidents.jobs`)."""
    if job is None:
        return
    fields.setdefault("updated_at", timezone.now())
    for k, v in fields.items():
        setattr(job, k, v)
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def _fallback_category() -> Category:
    cat = Category.objects.filter(municipality__isnull=True, code=FALLBACK_CATEGORY).first()
    if cat is None:  # the national defaults are missing (e.g. a flushed database)
        load_default_categories(Category, PoliceTypeMapping)
        cat = Category.objects.get(municipality__isnull=True, code=FALLBACK_CATEGORY)
    return cat


def _fail(job: ImportJob | None, problems: list[Problem], total: int):
    _job_update(
        job,
        state=ImportJob.State.FAILED,
        error_count=total,
        errors=[p.as_dict() for p in problems],
        message=str(PoliceImportError(problems, total)),
        finished_at=timezone.now(),
    )
    raise PoliceImportError(problems, total)


def import_records(
    records: Iterable[dict],
    *,
    file_name: str,
    job: ImportJob | None = None,
    progress: Callable[[int, int], None] | None = None,
    municipality: Municipality | None = None,
    dry_run: bool = False,
) -> PoliceImportResult:
    """Import police events (all or nothing; see the module docstring).

    Every record is checked first (``job.processed_rows`` counts them); then the events are
    saved in one transaction, while ``progress(done, total)`` reports the records handled so
    far out of ``total``, the number of records in the file. With ``municipality``, only that
    municipality's events and the county-level events of its county are imported; the others
    are counted as ``out_of_scope``. ``dry_run`` checks and counts but saves nothing. Raises
    :class:`PoliceImportError` on bad input, after marking ``job`` as failed.
    """
    started = time.monotonic()
    result = PoliceImportResult(file_name=file_name, dry_run=dry_run)
    _job_update(job, state=ImportJob.State.RUNNING, message="")
    try:
        rows = list(records)
    except PoliceImportError as exc:
        _fail(job, exc.problems, exc.total)
    result.total = total = len(rows)
    if total == 0:
        _fail(job, [Problem(file_name, _("The file contains no events."))], 1)
    first = rows[0]
    if isinstance(first, dict) and sum(f in first for f in FIELDS) < 2:
        msg = _(
            "This is not police events data: the first record does not have the fields of a "
            "police event (%(fields)s)."
        ) % {"fields": ", ".join(FIELDS)}
        _fail(job, [Problem(file_name, msg, record=1, line=getattr(first, "line", None))], 1)
    _job_update(job, total_rows=total, processed_rows=0, progress=0)

    places = PlaceIndex()
    problems: list[Problem] = []
    n_problems = 0
    events: list[ParsedEvent] = []
    seen: set[str] = set()
    for i, rec in enumerate(rows, start=1):
        event, found = _check_record(rec, i, file_name, places)
        if found:
            n_problems += len(found)
            problems.extend(found[: MAX_PROBLEMS - len(problems)])
        elif event.police_id in seen:
            result.duplicates += 1
        elif municipality is not None and not (
            event.municipality_id == municipality.pk
            or (event.municipality_id is None and event.county_id == municipality.county_id)
        ):
            result.out_of_scope += 1
        else:
            seen.add(event.police_id)
            events.append(event)
        if i % BATCH_SIZE == 0 or i == total:
            _job_update(job, processed_rows=i, progress=i * 100 // total)
    rows.clear()
    if problems:
        _fail(job, problems, n_problems)

    def report(done: int) -> None:
        if progress:
            progress(total - len(events) + done, total)

    try:
        with transaction.atomic():
            _save(events, result, job, report)
            if dry_run:
                raise _DryRun
            result.seconds = time.monotonic() - started
            log_action(
                event_type="police_import",
                subject=job,
                details=result.as_dict(),
                municipality_id=job.municipality_id if job else None,
            )
            _finish(job, result)
    except _DryRun:
        result.seconds = time.monotonic() - started
        _finish(job, result)
    except IntegrityError:
        msg = _("Another import saved some of the same events at the same time; try again.")
        _fail(job, [Problem(file_name, msg)], 1)
    return result


def _finish(job: ImportJob | None, result: PoliceImportResult) -> None:
    _job_update(
        job,
        state=ImportJob.State.DONE,
        progress=100,
        processed_rows=result.total,
        created_count=result.created,
        unchanged_count=result.unchanged + result.duplicates,
        error_count=0,
        errors=[],
        options={**(job.options if job else {}), "result": result.as_dict()},
        message="",
        finished_at=timezone.now(),
    )


def _save(
    events: list[ParsedEvent],
    result: PoliceImportResult,
    job: ImportJob | None,
    report: Callable[[int], None],
) -> None:
    fallback = _fallback_category()
    mappings = {m.police_type: m for m in PoliceTypeMapping.objects.all()}
    new_types = sorted({e.police_type for e in events} - set(mappings))
    if new_types:
        PoliceTypeMapping.objects.bulk_create(
            [
                PoliceTypeMapping(
                    police_type=t,
                    category=fallback,
                    is_summary=t.casefold().startswith(SUMMARY_PREFIX),
                    reviewed=False,
                )
                for t in new_types
            ]
        )
        mappings = {m.police_type: m for m in PoliceTypeMapping.objects.all()}
    result.new_types = new_types
    result.unreviewed_types = sorted(
        {e.police_type for e in events if not mappings[e.police_type].reviewed}
    )
    job_id = job.pk if job else None
    for start in range(0, len(events), BATCH_SIZE):
        batch = events[start : start + BATCH_SIZE]
        existing = set(
            Incident.objects.filter(
                source=Source.POLICE, source_id__in=[e.police_id for e in batch]
            ).values_list("source_id", flat=True)
        )
        new = []
        for e in batch:
            if e.police_id in existing:
                result.unchanged += 1
                continue
            mapping = mappings[e.police_type]
            new.append(
                Incident(
                    municipality_id=e.municipality_id,
                    county_id=e.county_id,
                    category_id=mapping.category_id,
                    occurred_from=e.occurred_from,
                    place_description=e.place,
                    description=e.summary,
                    source=Source.POLICE,
                    source_id=e.police_id,
                    source_url=e.url,
                    source_type=e.police_type,
                    is_summary=mapping.is_summary,
                    import_job_id=job_id,
                )
            )
            result.county_level += e.municipality_id is None
            result.placed_from_name += e.placed_from_name
            result.summaries += mapping.is_summary
        Incident.objects.bulk_create(new)
        result.created += len(new)
        report(start + len(batch))
    if not events:
        report(0)


# --- services for the pages -----------------------------------------------------------------
def upload_max_bytes() -> int:
    """The largest police events file the upload page accepts (setting
    ``BRYGGA_POLICE_UPLOAD_MAX_MB``, default 50 MB; the 45,000-event archive is 2.5 MB as
    .gz and 16 MB as JSON Lines)."""
    return int(getattr(settings, "BRYGGA_POLICE_UPLOAD_MAX_MB", 50)) * 1024 * 1024


@transaction.atomic
def police_job_create(
    *,
    actor,
    municipality: Municipality,
    file_name: str,
    stored_file: str,
    all_municipalities: bool = False,
    language: str = "",
) -> ImportJob:
    """Register an uploaded police events file for import in ``municipality``. Only system
    administrators may import the events of every municipality."""
    if not resolver_for(actor).can_import(municipality, all_municipalities=all_municipalities):
        raise PermissionDenied
    return ImportJob.objects.create(
        municipality=municipality,
        kind=ImportJob.Kind.POLICE,
        file_name=Path(file_name).name[:255],
        stored_file=stored_file,
        options={"scope": "all" if all_municipalities else "municipality", "language": language},
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def police_cli_job_create(
    *, municipality: Municipality | None, file_name: str, language: str = ""
) -> ImportJob:
    """Register a file imported by ``brygga import-police``, so that the import is listed with
    the others: under ``municipality`` when the command was limited to it, else under none.
    The command imports in the foreground, so there is no stored file and no task."""
    return ImportJob.objects.create(
        municipality=municipality,
        kind=ImportJob.Kind.POLICE,
        file_name=Path(file_name).name[:255],
        options={
            "scope": "municipality" if municipality is not None else "all",
            "language": language,
            "cli": True,
        },
    )


@transaction.atomic
def police_mapping_update(
    *, actor, mapping: PoliceTypeMapping, category: Category, is_summary: bool
) -> int:
    """Map a police type to a category and re-categorise every police incident of that type
    (one transaction, one audit row). Returns the number of incidents re-categorised."""
    if not resolver_for(actor).can(CHANGE, mapping):
        raise PermissionDenied
    if category.municipality_id is not None or not category.is_active:
        raise ValidationError({"category": _("Choose one of the national categories.")})
    before = {
        "category": mapping.category.code,
        "is_summary": mapping.is_summary,
        "reviewed": mapping.reviewed,
    }
    mapping.category = category
    mapping.is_summary = is_summary
    mapping.reviewed = True
    mapping.save()
    n = Incident.objects.filter(source=Source.POLICE, source_type=mapping.police_type).update(
        category=category, is_summary=is_summary, updated_at=timezone.now()
    )
    log_action(
        event_type="police_type_mapping_changed",
        subject=mapping,
        details={
            "police_type": mapping.police_type,
            "before": before,
            "after": {"category": category.code, "is_summary": is_summary, "reviewed": True},
            "recategorised": n,
        },
    )
    return n


# --- reads for the pages --------------------------------------------------------------------
def police_incidents_for(user, municipality: Municipality):
    """Police events visible to ``user`` in ``municipality`` (its own and its county's)."""
    from .selectors import incidents_for

    return incidents_for(user, municipality).filter(source=Source.POLICE)


def police_type_counts(user, municipality: Municipality, *, year: int | None = None) -> dict:
    """Counts per police type: ``{type: {"municipality": n, "county": n}}``."""
    qs = police_incidents_for(user, municipality)
    if year:
        qs = qs.filter(occurred_from__year=year)
    rows = (
        qs.order_by()
        .values("source_type")
        .annotate(
            n_municipality=Count("pk", filter=Q(municipality=municipality)),
            n_county=Count("pk", filter=Q(municipality__isnull=True)),
        )
    )
    return {
        r["source_type"]: {"municipality": r["n_municipality"], "county": r["n_county"]}
        for r in rows
    }
