"""Column guesses for the mapping step: which column of a new file holds which field, ranked by
the column's name **and** by its first values.

Every (field, column) pair gets a score: a header that is one of the field's names scores
:data:`HEADER_EXACT`, a header that contains one as a word :data:`HEADER_WORD`; values that
suit the field add :data:`VALUES_FIT`, values that cannot be the field rule the pair out. Values
decide what a column of times is, whatever its name: a column whose sampled values all parse
as times of day (``21:15``) is a time-of-day column, one whose values carry a date and a time
is the combined time column, one of dates only is a date column.

The time of an incident then comes from one of these choices:

1. a column of dates *with* times → the combined field (``occurred_at``);
2. a date column and a time-of-day column → the two fields, combined per row;

whichever scores higher (the pair by the mean of its two scores); only when neither is there,
3. a date column alone → the whole day.

Within a choice the best scoring columns win. The other fields are given greedily, best score
first, one column per field.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from .mapping import Mapping
from .read import Table
from .values import _blank, parse_number, parse_time_of_day, parse_when

SAMPLE_ROWS = 200
MOSTLY = 0.5  # the share of a column's values that decides what it holds (at least half)
HEADER_EXACT = 10
HEADER_WORD = 6
VALUES_FIT = 8
VALUES_ONLY = 4  # coordinates recognised by their values alone (a file without names)

# Header names (case-insensitive) of each field, best first.
NAMES: dict[str, tuple[str, ...]] = {
    "occurred_at": (
        "tidpunkt",
        "datum och tid",
        "datum/tid",
        "datum tid",
        "händelsetid",
        "datetime",
        "occurred",
        "occurred_at",
        "timestamp",
        "tid",
        "time",
    ),
    "date": ("datum", "date", "dag", "händelsedatum", "brottsdatum"),
    "time_of_day": (
        "klockslag",
        "kl",
        "kl.",
        "tid på dygnet",
        "time of day",
        "tid",
        "time",
        "klocka",
    ),
    "category": (
        "kategori",
        "händelsetyp",
        "typ",
        "category",
        "type",
        "kategorikod",
        "kod",
        "brottskod",
    ),
    "lat": ("lat", "latitud", "latitude", "wgs84 lat"),
    "lon": ("lon", "long", "lng", "longitud", "longitude", "wgs84 lon"),
    "sweref_e": ("e", "easting", "östlig", "e (sweref)", "sweref_e", "sweref e", "öst"),
    "sweref_n": ("n", "northing", "nordlig", "n (sweref)", "sweref_n", "sweref n", "nord"),
    "area": (
        "område",
        "omrade",
        "area",
        "deso",
        "desokod",
        "deso-kod",
        "deso.område",
        "deso-område",
        "regso",
        "stadsdel",
    ),
    "municipality": ("kommun", "kommunnamn", "kommunkod", "kommun-kod", "municipality"),
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
_WHEN = ("occurred_at", "date", "time_of_day")
# Value ranges of coordinates in Sweden (with a margin).
_RANGES = {
    "lat": (55.0, 69.5),
    "lon": (10.0, 24.5),
    "sweref_e": (200_000.0, 1_000_000.0),
    "sweref_n": (6_100_000.0, 7_700_000.0),
}
_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?$")
_WORDS = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*")

# What the sampled values of a column are.
EMPTY, DATETIME, DATE, MIXED, TIME, OTHER = "empty", "datetime", "date", "mixed", "time", "other"


@dataclass
class Column:
    """What the first rows of one column hold. A few odd values (a typo, an impossible date)
    do not change what a column is: ``kind`` is the kind of at least :data:`MOSTLY` of its
    values; ``clean`` says that all of them are."""

    name: str
    index: int
    kind: str = EMPTY  # of its values as times: EMPTY, DATETIME, DATE, MIXED, TIME or OTHER
    clean: bool = True
    values: int = 0  # non-blank sampled values
    numbers: list[float] = field(default_factory=list)  # those that are numbers

    @property
    def numeric(self) -> bool:
        """Mostly numbers (every one of them, for a small sample)."""
        return self.values > 0 and len(self.numbers) >= MOSTLY * self.values

    def share(self, test) -> float:
        """The share of the numbers that pass ``test``."""
        return sum(1 for x in self.numbers if test(x)) / len(self.numbers) if self.numbers else 0


def _time_kind(v) -> str:
    """One value: ``datetime`` (a date with a time), ``date``, ``time`` or ``other``."""
    if isinstance(v, time):
        return TIME
    if isinstance(v, datetime):
        return DATE if v.time() == time(0) and v.tzinfo is None else DATETIME
    if isinstance(v, date):
        return DATE
    if isinstance(v, str):
        s = v.strip()
        # "21:15" is a time; "2130" or "21.15" could as well be a number or an id
        if _CLOCK.match(s):
            try:
                parse_time_of_day(s)
                return TIME
            except ValueError:
                return OTHER
        if any(c.isalpha() for c in s.replace("T", "").replace("kl", "")):
            return OTHER
        if len(s) < 8:  # shorter than 20240305 / 5.3.2024 is no date
            return OTHER
        try:
            when = parse_when(s)
        except ValueError:
            return OTHER
        return DATE if when is not None and when[1] is not None else DATETIME
    return OTHER  # numbers (Excel serial dates only count in a date-formatted cell)


def _kind(kinds: Counter) -> tuple[str, bool]:
    """The kind of a column from the kinds of its values, and whether all values are of it.
    Values that are no time at all (typos, impossible dates) do not decide what the others
    are, as long as they are not the majority."""
    total = sum(kinds.values())
    if not total:
        return EMPTY, True
    times, dates = kinds[TIME], kinds[DATETIME] + kinds[DATE]
    if max(times, dates) < MOSTLY * total:
        return OTHER, False
    if times > dates:
        return TIME, times == total
    kind = DATETIME if not kinds[DATE] else DATE if not kinds[DATETIME] else MIXED
    return kind, dates == total


def sample(table: Table, rows: int = SAMPLE_ROWS) -> list[Column]:
    """Profiles of the columns of ``table`` from its first ``rows`` data rows."""
    columns = [Column(name=c, index=i) for i, c in enumerate(table.columns)]
    kinds = [Counter() for _c in columns]
    for _rownum, cells in itertools.islice(table.rows([]), rows):
        for col in columns:
            v = cells[col.index] if col.index < len(cells) else None
            if _blank(v):
                continue
            col.values += 1
            kinds[col.index][_time_kind(v)] += 1
            try:
                x = parse_number(v)
            except ValueError:
                continue
            if x is not None:
                col.numbers.append(x)
    for col in columns:
        col.kind, col.clean = _kind(kinds[col.index])
    return columns


def header_score(key: str, header: str) -> int:
    """How well the column name ``header`` names the field ``key`` (0 when it does not)."""
    h = " ".join(header.split()).casefold()
    names = NAMES[key]
    if h in names:
        # the earlier a name is listed, the more it means this field (ties broken by order)
        return HEADER_EXACT * 10 - names.index(h)
    words = set(_WORDS.findall(h))
    for i, name in enumerate(names):
        if len(name) > 2 and (name in words or (" " in name and name in h)):
            return HEADER_WORD * 10 - i
    return 0


def _in_range(col: Column, key: str) -> float:
    lo, hi = _RANGES[key]
    return col.share(lambda x: lo <= x <= hi)


def value_score(key: str, col: Column) -> int | None:
    """How well the sampled values suit the field ``key``: ``None`` when they cannot be it."""
    if col.values == 0:
        return 0  # nothing to judge by: the name alone decides
    if key == "occurred_at":
        return {DATETIME: VALUES_FIT, MIXED: VALUES_FIT - 1, DATE: 1}.get(col.kind)
    if key == "date":
        return {DATE: VALUES_FIT, MIXED: 1}.get(col.kind)
    if key == "time_of_day":
        if col.kind == TIME:
            return VALUES_FIT
        # times written without a colon ("2130", "21.15") can be a time column by name only
        return 0 if col.numeric and col.share(lambda x: 0 <= x < 2400) >= MOSTLY else None
    if key in _RANGES:
        # coordinates outside Sweden are not these coordinates (another pair, or no place)
        return VALUES_FIT if col.numeric and _in_range(col, key) >= MOSTLY else None
    if key == "count":
        whole = col.share(lambda x: x >= 1 and x.is_integer())
        return 1 if col.numeric and whole >= MOSTLY else None
    if key == "category" and col.kind in (DATETIME, DATE, MIXED, TIME):
        return None
    return 0


def score(key: str, col: Column) -> int | None:
    """The rank of ``col`` for the field ``key`` (×10 scale); ``None`` when it cannot be.
    Without a name for the field, only values that leave no doubt count: all of them times
    (or dates), or coordinates with decimals all within Sweden."""
    values = value_score(key, col)
    if values is None:
        return None
    named = header_score(key, col.name)
    if named:
        return named + values * 10
    if key in _WHEN and values >= VALUES_FIT - 1 and col.clean:
        return values * 10  # a column of times is a time column whatever its name
    if (
        key in _RANGES
        and values == VALUES_FIT
        and len(col.numbers) == col.values
        and _in_range(col, key) == 1
        and any(not x.is_integer() for x in col.numbers)
    ):
        return VALUES_ONLY * 10
    return None


def ranking(columns: list[Column]) -> dict[str, list[tuple[str, int]]]:
    """Field → ``[(column, score)]``, best first: the candidates of every field."""
    out: dict[str, list[tuple[str, int]]] = {}
    for key in NAMES:
        scored = [(c.name, s) for c in columns if (s := score(key, c)) is not None]
        out[key] = sorted(scored, key=lambda cs: -cs[1])
    return out


def _best(ranked: list[tuple[str, int]], taken: set[str]) -> tuple[str, int] | None:
    return next(((c, s) for c, s in ranked if c not in taken), None)


def _when(columns: list[Column], ranked: dict) -> dict[str, str]:
    by_name = {c.name: c for c in columns}
    combined = [
        (c, s) for c, s in ranked["occurred_at"] if by_name[c].kind in (DATETIME, MIXED, EMPTY)
    ]
    dates = [(c, s) for c, s in ranked["date"] if by_name[c].kind in (DATE, EMPTY)]
    times = [(c, s) for c, s in ranked["time_of_day"] if by_name[c].kind != EMPTY]
    with_time = [(c, s) for c, s in combined if by_name[c].kind in (DATETIME, MIXED)]
    options: list[tuple[float, dict[str, str]]] = []
    if with_time:
        options.append((with_time[0][1], {"occurred_at": with_time[0][0]}))
    date_pick = _best(dates, set())
    if date_pick:
        time_pick = _best(times, {date_pick[0]})
        if time_pick:
            pair = {"date": date_pick[0], "time_of_day": time_pick[0]}
            options.append(((date_pick[1] + time_pick[1]) / 2, pair))
    if options:
        return max(options, key=lambda o: o[0])[1]
    # nothing to judge by (no rows): the names decide
    if combined and (not date_pick or combined[0][1] > date_pick[1]):
        return {"occurred_at": combined[0][0]}
    if date_pick:
        return {"date": date_pick[0]}
    return {}


def guess_columns(columns: list[Column]) -> dict[str, str]:
    """Field → column: the time fields as one choice (see the module docstring), then every
    other field greedily, best score first; a column serves one field."""
    ranked = ranking(columns)
    chosen = _when(columns, ranked)
    taken = set(chosen.values())
    pairs = sorted(
        ((s, key, c) for key, cands in ranked.items() if key not in _WHEN for c, s in cands),
        key=lambda t: -t[0],
    )
    for _s, key, column in pairs:
        if key in chosen or column in taken:
            continue
        chosen[key] = column
        taken.add(column)
    # a coordinate pair is both columns or neither
    for a, b in (("lat", "lon"), ("sweref_e", "sweref_n")):
        if bool(chosen.get(a)) != bool(chosen.get(b)):
            chosen.pop(a, None)
            chosen.pop(b, None)
    return chosen


def suggest_mapping(table: Table) -> Mapping:
    """A first guess from the column names and the first rows' values."""
    columns = guess_columns(sample(table))
    return Mapping(
        columns={k: columns[k] for k in NAMES if k in columns},
        has_header=table.detected.has_header,
    )


__all__ = ["NAMES", "guess_columns", "ranking", "sample", "score", "suggest_mapping"]
