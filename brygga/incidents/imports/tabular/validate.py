"""Validation: every row of a table is checked before anything is written, streaming.

Each row goes through the same steps, in this order (a row may get an error from each):

1. **when** — times in Swedish formats (ISO dates, ``5.3.2024``, ``05/03/2024``,
   ``20240305``, "kl." times, Excel serial dates); a date without a time covers the whole
   day; times are Swedish time and may not lie more than a day in the future;
2. **category** — a mapped source value, or a category's code or name, also in another
   form (:mod:`.categories`);
3. **where** — WGS84 or SWEREF 99 TM coordinates (decimal comma accepted), or an area by name
   or official code; the points of a batch are then checked together
   (:class:`~.locate.Locator`);
4. **count** — a whole number of at least 1;
5. **texts and id** — the lengths of place and id; ids are remembered for the repeat check.

Ids repeated within the file are found after the pass from two 64-bit hashes per id (24 bytes
a row with its row number), so memory stays flat: each later row is an error naming the first
row. Valid rows are spooled to a temporary file in batches, as the incident services take them
(:data:`ROW_COLUMNS`); the job keeps at most :data:`MAX_STORED_ERRORS` errors and counts all.
"""

from __future__ import annotations

import itertools
import pickle
import time
from array import array
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import IO

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from brygga.core.models import Area, Municipality

from ...models import Incident
from ...services import FUTURE_SLACK, check_when
from .categories import category_index, match_category
from .locate import AREA_ONLY, NOWHERE, SKIP, SWEREF, WGS, Locator
from .mapping import Mapping
from .read import Table
from .report import ImportResult, RowError, TabularError
from .values import (
    STOCKHOLM,
    _blank,
    _short,
    _text,
    aware,
    normalise,
    parse_number,
    parse_time_of_day,
    parse_when,
)

MAX_STORED_ERRORS = 10_000
BATCH_SIZE = 5_000
# the fields of a spooled row, in order (the incident services' attribute names)
ROW_COLUMNS = (
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


class _Bad(Exception):
    """Internal: a step found the row wrong (its error is recorded)."""


class RowValidator:
    """Check every row of ``table`` against ``mapping`` and spool the valid rows; the counts go
    to ``result``, the errors to :attr:`errors`. :meth:`run` returns the rows left out after
    the pass (later rows with an id seen before)."""

    def __init__(
        self,
        *,
        table: Table,
        municipality: Municipality,
        mapping: Mapping,
        result: ImportResult,
        progress: ProgressFn,
        batch_size: int = BATCH_SIZE,
        now: datetime,
    ):
        self.table = table
        self.file_name = table.file_name
        self.municipality = municipality
        self.mapping = mapping
        self.result = result
        self.progress = progress
        self.batch_size = batch_size
        self.now = now
        self.errors: list[RowError] = []
        self.limit = (now + FUTURE_SLACK).astimezone(UTC).replace(tzinfo=None)
        self._columns()
        self.categories = category_index(municipality)
        self._category_ids: dict = {}
        self.areas = self._area_index()
        self.locator = Locator(municipality)
        self.adapt = _time_adapter()
        self.batch: list[tuple] = []
        self.bad_positions: set[int] = set()
        self.valid_rows: list[np.ndarray] = []
        # ids as two independent 64-bit hashes (128 bits) and the row: 24 bytes a row
        self.h1, self.h2, self.h_rows = array("q"), array("q"), array("q")

    def _columns(self) -> None:
        idx = self.mapping.indices(self.table)
        labels = self.table.labels
        self.col = col = {k: labels[i] for k, i in idx.items()}
        self.date_only = "occurred_at" not in idx
        self.i_time = idx["date"] if self.date_only else idx["occurred_at"]
        self.i_tod = idx.get("time_of_day")
        self.i_cat = idx["category"]
        self.i_lat, self.i_lon = idx.get("lat"), idx.get("lon")
        self.i_e, self.i_n = idx.get("sweref_e"), idx.get("sweref_n")
        self.i_area, self.i_count = idx.get("area"), idx.get("count")
        self.i_desc, self.i_place, self.i_sid = (
            idx.get("description"),
            idx.get("place"),
            idx.get("source_id"),
        )
        self.when_col = col.get("occurred_at") or col.get("date")
        self.point_cols = {
            WGS: ", ".join(col[k] for k in ("lat", "lon") if k in col),
            SWEREF: ", ".join(col[k] for k in ("sweref_e", "sweref_n") if k in col),
        }
        self.where_col = ", ".join(
            col[k] for k in ("lat", "lon", "sweref_e", "sweref_n", "area") if k in col
        )

    def _area_index(self) -> dict[str, int]:
        """Areas by official code, then by name (normalised; the first area wins)."""
        by_key: dict[str, int] = {}
        areas = list(Area.objects.filter(municipality=self.municipality).order_by("pk"))
        for a in areas:
            if a.official_code:
                by_key.setdefault(normalise(a.official_code), a.pk)
        for a in areas:
            by_key.setdefault(normalise(a.name), a.pk)
        return by_key

    # errors ---------------------------------------------------------------------------------
    def error(self, row: int | None, column: str, message: str) -> None:
        self.result.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(RowError(row, column, message))

    # the pass -------------------------------------------------------------------------------
    def run(self, spool: IO[bytes]) -> set[int]:
        table = self.table
        row_errors: list[RowError] = []
        last_report = 0.0
        total = 0
        for rownum, cells in table.rows(row_errors):
            if row_errors:
                for err in row_errors:
                    self.error(err.row, err.column, err.message)
                row_errors.clear()
            total += 1
            self._check_row(rownum, cells)
            if len(self.batch) >= self.batch_size:
                self._flush(spool)
                t = time.monotonic()
                if t - last_report > 0.5:
                    last_report = t
                    self.progress("validate", total, table.fraction)
        for err in row_errors:
            self.error(err.row, err.column, err.message)
        self._flush(spool)
        self.result.total_rows = total + table.skipped
        excluded = self._repeated_ids()
        if self.result.total_rows == 0 and not self.result.error_count:
            raise TabularError(_("“%(file)s” has no data rows.") % {"file": self.file_name})
        self.progress("validate", total, 1.0)
        return excluded

    def _check_row(self, rownum: int, cells: list) -> None:
        self.bad = False
        start, end = self._when(rownum, cells)
        category_id = self._category(rownum, cells)
        kind, lat, lon, e, n, area_id = self._where(rownum, cells)
        count = self._count(rownum, cells)
        description, place, source_id = self._texts(rownum, cells)
        if self.bad:
            self.bad_positions.add(len(self.batch))
            if kind not in (WGS, SWEREF):
                kind = SKIP
        source_type = _text(cells[self.i_cat])[:_TYPE_MAX]
        self.batch.append(
            (
                rownum,
                start,
                end,
                lat,
                lon,
                e,
                n,
                area_id,
                category_id,
                count,
                description,
                place,
                source_id,
                source_type,
                kind,
            )
        )

    def _fail(self, rownum: int, column: str, message: str) -> None:
        self.error(rownum, column, message)
        self.bad = True

    # the steps ------------------------------------------------------------------------------
    def _when(self, rownum: int, cells: list) -> tuple:
        """(from, to) as aware UTC datetimes (``to`` only for an interval)."""
        try:
            when = self._parse_when(rownum, cells)
        except _Bad:
            return None, None
        utc_from, start = self.adapt(when[0])
        end = None
        utc_to = utc_from
        if when[1] is not None:
            utc_to, end = self.adapt(when[1])
        if utc_to > self.limit:
            try:
                check_when(
                    aware(when[0]),
                    aware(when[1]) if when[1] is not None else None,
                    now=self.now,
                )
            except ValidationError as exc:
                self._fail(rownum, self.when_col, " ".join(exc.messages))
        return start, end

    def _parse_when(self, rownum: int, cells: list) -> tuple[datetime, datetime | None]:
        try:
            when = parse_when(cells[self.i_time], date_only=self.date_only)
        except ValueError as exc:
            self._fail(rownum, self.when_col, str(exc))
            raise _Bad from None
        if when is None:
            self._fail(rownum, self.when_col, _("The date is missing."))
            raise _Bad
        if self.i_tod is not None:
            try:
                tod = parse_time_of_day(cells[self.i_tod])
            except ValueError as exc:
                self._fail(rownum, self.col["time_of_day"], str(exc))
                raise _Bad from None
            if tod is not None:
                when = (datetime.combine(when[0].date(), tod), None)
        return when

    def _category(self, rownum: int, cells: list) -> int | None:
        v = cells[self.i_cat]
        category_id = self._category_ids.get(v)
        if category_id is not None:
            return category_id
        if _blank(v):
            self._fail(rownum, self.col["category"], _("The category is missing."))
            return None
        category = match_category(v, self.mapping, self.categories)
        if category is None:
            self._fail(
                rownum,
                self.col["category"],
                _(
                    "Unknown category “%(value)s”. Choose a category for this value in the "
                    "mapping step."
                )
                % {"value": _short(v)},
            )
            return None
        self._category_ids[v] = category.pk
        return category.pk

    def _where(self, rownum: int, cells: list) -> tuple:
        """(kind, lat, lon, sweref_e, sweref_n, area id) as given."""
        lat = lon = e = n = None
        area_id = None
        kind = NOWHERE
        i_lat, i_e, i_area = self.i_lat, self.i_e, self.i_area
        try:
            if i_lat is not None and not (_blank(cells[i_lat]) and _blank(cells[self.i_lon])):
                kind = WGS
                lat, lon = parse_number(cells[i_lat]), parse_number(cells[self.i_lon])
            elif i_e is not None and not (_blank(cells[i_e]) and _blank(cells[self.i_n])):
                kind = SWEREF
                e, n = parse_number(cells[i_e]), parse_number(cells[self.i_n])
        except ValueError as exc:
            self._fail(rownum, self.point_cols[kind], str(exc))
            kind = SKIP
        if i_area is not None and not _blank(cells[i_area]):
            area_id = self.areas.get(normalise(cells[i_area]))
            if area_id is None:
                self._fail(
                    rownum,
                    self.col["area"],
                    _(
                        "Unknown area “%(value)s”: no area of %(municipality)s has this name "
                        "or official code."
                    )
                    % {"value": _short(cells[i_area]), "municipality": self.municipality.name},
                )
            elif kind == NOWHERE:
                kind = AREA_ONLY
        if kind == NOWHERE and not self.bad:
            self._fail(
                rownum,
                self.where_col,
                _("Say where it happened: a point on the map, coordinates or an area."),
            )
        return kind, lat, lon, e, n, area_id

    def _count(self, rownum: int, cells: list) -> int:
        if self.i_count is None:
            return 1
        try:
            c = parse_number(cells[self.i_count])
        except ValueError as exc:
            self._fail(rownum, self.col["count"], str(exc))
            return 1
        if c is None:
            return 1
        if c < 1 or not c.is_integer() or c > _COUNT_MAX:
            self._fail(
                rownum,
                self.col["count"],
                _("The number of events must be a whole number of at least 1."),
            )
            return 1
        return int(c)

    def _texts(self, rownum: int, cells: list) -> tuple[str, str, str]:
        """(description, place, id); a valid id is remembered for the repeat check."""
        description = _text(cells[self.i_desc]) if self.i_desc is not None else ""
        place = _text(cells[self.i_place]) if self.i_place is not None else ""
        if len(place) > _PLACE_MAX:
            self._fail(
                rownum,
                self.col["place"],
                _("The place is longer than %(max)s characters.") % {"max": _PLACE_MAX},
            )
        sid = ""
        if self.i_sid is not None:
            sid = _text(cells[self.i_sid])
            if len(sid) > _SID_MAX:
                self._fail(
                    rownum,
                    self.col["source_id"],
                    _("The id is longer than %(max)s characters.") % {"max": _SID_MAX},
                )
            elif sid:
                self.h1.append(hash(sid))
                self.h2.append(hash("\x1f" + sid))
                self.h_rows.append(rownum)
        return description, place, sid

    # a batch --------------------------------------------------------------------------------
    def _flush(self, spool: IO[bytes]) -> None:
        """Check the points of the batch together and spool its valid rows."""
        batch = self.batch
        if not batch:
            return
        (rows, *columns, kind) = zip(*batch, strict=True)
        _start, _end, lat, lon, e, n, *_rest = columns
        point_cols = self.point_cols

        def report(i: int, k: int, message: str) -> None:
            self.error(rows[i], point_cols[k], message)

        bad = self.locator.check(kind, lat, lon, e, n, report) | self.bad_positions
        if bad:
            keep = [i not in bad for i in range(len(rows))]
            rows = list(itertools.compress(rows, keep))
            columns = [list(itertools.compress(c, keep)) for c in columns]
        if rows:
            out = list(zip(*columns, strict=True))
            pickle.dump((list(rows), out), spool, protocol=pickle.HIGHEST_PROTOCOL)
            self.valid_rows.append(np.asarray(rows, dtype=np.int64))
        batch.clear()
        self.bad_positions.clear()

    # after the pass -------------------------------------------------------------------------
    def _repeated_ids(self) -> set[int]:
        """Ids repeated in the file: every later row is an error naming the first row. Returns
        the rows that passed every other check but are left out for it."""
        excluded: set[int] = set()
        h1, h2, h_rows = self.h1, self.h2, self.h_rows
        valid = np.concatenate(self.valid_rows) if self.valid_rows else np.empty(0, np.int64)
        column = self.col.get("source_id", "")
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
                    self.error(
                        row,
                        column,
                        _(
                            "The same id is on row %(first)s and row %(row)s. Each id may appear "
                            "only once in the file."
                        )
                        % {"first": first, "row": row},
                    )
                excluded = set(dup_rows[np.isin(dup_rows, valid)].tolist())
        self.result.valid_rows = int(len(valid)) - len(excluded)
        self.result.invalid_rows = max(0, self.result.total_rows - self.result.valid_rows)
        return excluded


def _time_adapter():
    """Parsed time → (naive UTC for comparison, aware UTC for the database). UTC offsets of
    Europe/Stockholm are cached per hour: the conversion is the costliest part of a row."""
    offsets: dict[int, timedelta] = {}

    def adapt(dt: datetime):
        if dt.tzinfo is None:
            key = dt.toordinal() * 24 + dt.hour
            off = offsets.get(key)
            if off is None:
                off = offsets[key] = dt.replace(tzinfo=STOCKHOLM).utcoffset()
            utc = dt - off
        else:
            utc = dt.astimezone(UTC).replace(tzinfo=None)
        return utc, utc.replace(tzinfo=UTC)

    return adapt
