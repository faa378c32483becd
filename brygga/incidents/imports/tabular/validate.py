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
5. **texts and id** — the lengths of place and id; ids are remembered for the repeat check;
   the columns no field was chosen for are kept as the incident's ``attributes``.

With a municipality column (:mod:`.places`), a row of another municipality than the one
imported into is counted and skipped without an error; an import into every municipality
(``municipality=None``) checks each row against its own municipality. An area column's empty
cell places the row at municipality level (no area); a DeSO/RegSO code of the row's
municipality that no area has yet is spooled as the code (a ``str`` in ``area_id``), for the
writer to create the area in the import's transaction.

Ids repeated within the file are found after the pass from two 64-bit hashes per id (24 bytes
a row with its row number), so memory stays flat: each later row is an error naming the first
row. Valid rows are spooled to a temporary file in batches, as the incident services take them
(:data:`ROW_COLUMNS`); the job keeps at most :data:`MAX_STORED_ERRORS` errors and counts all.
"""

from __future__ import annotations

import itertools
import json
import pickle
import time
from array import array
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import IO

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from brygga.core.area_codes import wrong_municipality_message
from brygga.core.models import Municipality

from ...models import Incident
from ...services import FUTURE_SLACK, check_when
from .categories import match_category
from .locate import AREA_ONLY, NOWHERE, SKIP, SWEREF, WGS
from .mapping import FIELDS, Mapping
from .places import MunicipalityIndex, Place, area_code
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
    "municipality_id",
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
    "attributes",
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
    the pass (later rows with an id seen before). ``municipality=None``: every row goes to the
    municipality of its municipality column."""

    def __init__(
        self,
        *,
        table: Table,
        municipality: Municipality | None,
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
        self.places: dict[int, Place] = {}
        self.place = self._place(municipality) if municipality is not None else None
        self.municipalities = MunicipalityIndex() if self.i_muni is not None else None
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
        self.i_muni = idx.get("municipality")
        if self.i_muni is None and self.municipality is None:
            raise TabularError(
                _(
                    "Choose the column with the municipality: an import into every "
                    "municipality puts each row in the municipality it names."
                ),
                column=str(FIELDS["municipality"]),
            )
        mapped = set(idx.values())
        self.attr_cols = [(i, lab) for i, lab in enumerate(labels) if i not in mapped and lab]
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

    def _place(self, municipality: Municipality) -> Place:
        place = self.places.get(municipality.pk)
        if place is None:
            place = self.places[municipality.pk] = Place.of(municipality)
        return place

    def _row_place(self, rownum: int, cells: list) -> Place | None:
        """The row's municipality; ``None`` when it is another municipality's row (counted)
        or the cell is wrong (an error)."""
        if self.i_muni is None:
            return self.place
        value = cells[self.i_muni]
        column = self.col["municipality"]
        if _blank(value):
            self._fail(rownum, column, _("The municipality is missing."))
            return None
        m = self.municipalities.find(value)
        if m is None:
            self._fail(
                rownum,
                column,
                _("Unknown municipality “%(value)s”: give its name or its municipality code.")
                % {"value": _short(value)},
            )
            return None
        if self.municipality is not None and m.pk != self.municipality.pk:
            self.result.other_municipality_rows += 1
            return None
        return self._place(m)

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
        ctx = self.ctx = self._row_place(rownum, cells)
        if ctx is None:
            if self.bad:  # kept in the batch only to be left out with the other bad rows
                self.bad_positions.add(len(self.batch))
                self.batch.append((rownum, None, *([None] * (len(ROW_COLUMNS) - 1)), SKIP))
            return
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
        attributes = {}
        for i, label in self.attr_cols:
            value = _text(cells[i])
            if value:
                attributes[label] = value
        self.batch.append(
            (
                rownum,
                ctx.municipality.pk,
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
                json.dumps(attributes, ensure_ascii=False),
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
        category_ids = self.ctx.category_ids
        category_id = category_ids.get(v)
        if category_id is not None:
            return category_id
        if _blank(v):
            self._fail(rownum, self.col["category"], _("The category is missing."))
            return None
        category = match_category(v, self.mapping, self.ctx.categories)
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
        category_ids[v] = category.pk
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
            area_id = self._area(rownum, cells[i_area])
            if area_id is not None and kind == NOWHERE:
                kind = AREA_ONLY
        elif i_area is not None and kind == NOWHERE:
            kind = AREA_ONLY  # no area code: placed at municipality level, counted
        if kind == NOWHERE and not self.bad:
            self._fail(
                rownum,
                self.where_col,
                _("Say where it happened: a point on the map, coordinates or an area."),
            )
        return kind, lat, lon, e, n, area_id

    def _area(self, rownum: int, value) -> int | str | None:
        """The area's id; a DeSO/RegSO code of the row's municipality without an area yet is
        returned as the code (the writer creates the area)."""
        municipality = self.ctx.municipality
        area_id = self.ctx.areas.get(normalise(value))
        if area_id is not None:
            return area_id
        code = area_code(value)
        if code is not None and code[:4] == municipality.code:
            return code
        if code is not None:
            self._fail(rownum, self.col["area"], wrong_municipality_message(code, municipality))
            return None
        self._fail(
            rownum,
            self.col["area"],
            _(
                "Unknown area “%(value)s”: no area of %(municipality)s has this name "
                "or official code."
            )
            % {"value": _short(value), "municipality": municipality.name},
        )
        return None

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
                key = f"{self.ctx.municipality.pk}\x1e{sid}"  # ids are per municipality
                self.h1.append(hash(key))
                self.h2.append(hash("\x1f" + key))
                self.h_rows.append(rownum)
        return description, place, sid

    # a batch --------------------------------------------------------------------------------
    def _flush(self, spool: IO[bytes]) -> None:
        """Check the points of the batch together and spool its valid rows."""
        batch = self.batch
        if not batch:
            return
        (rows, *columns, kind) = zip(*batch, strict=True)
        mids, _start, _end, lat, lon, e, n, area, *_rest = columns
        bad = self._check_points(rows, mids, kind, lat, lon, e, n) | self.bad_positions
        if bad:
            keep = [i not in bad for i in range(len(rows))]
            rows = list(itertools.compress(rows, keep))
            columns = [list(itertools.compress(c, keep)) for c in columns]
        if rows:
            out = list(zip(*columns, strict=True))
            lat, e, area = (ROW_COLUMNS.index(c) for c in ("lat", "sweref_e", "area_id"))
            self.result.municipality_level += sum(
                1 for t in out if t[area] is None and t[lat] is None and t[e] is None
            )
            pickle.dump((list(rows), out), spool, protocol=pickle.HIGHEST_PROTOCOL)
            self.valid_rows.append(np.asarray(rows, dtype=np.int64))
        batch.clear()
        self.bad_positions.clear()

    def _check_points(self, rows, mids, kind, lat, lon, e, n) -> set[int]:
        """The positions of the batch whose point is wrong, each municipality's rows checked
        against its own boundary."""
        groups: dict[int, list[int]] = {}
        for i, (mid, k) in enumerate(zip(mids, kind, strict=True)):
            if k in (WGS, SWEREF):
                groups.setdefault(mid, []).append(i)
        bad: set[int] = set()
        for mid, at in groups.items():

            def report(j: int, k: int, message: str, at=at) -> None:
                self.error(rows[at[j]], self.point_cols[k], message)

            found = self.places[mid].locator.check(
                [kind[i] for i in at],
                [lat[i] for i in at],
                [lon[i] for i in at],
                [e[i] for i in at],
                [n[i] for i in at],
                report,
            )
            bad.update(at[j] for j in found)
        return bad

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
        self.result.invalid_rows = max(
            0,
            self.result.total_rows - self.result.valid_rows - self.result.other_municipality_rows,
        )
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
