"""From a police event to an incident: the checks of one record and the placement and time
rules (see :mod:`brygga.incidents.imports.police`), and the police type → category mapping.

* **Place**: ``location.name`` is matched to a municipality or a county by name
  (:class:`PlaceIndex`); a county-level event whose title ends in a municipality of that
  county is attached to that municipality (``placed_from_name``). No point is stored.
* **Time**: :func:`event_time`, from the start of the title in Swedish time, else
  ``datetime``.
* **Category**: from ``PoliceTypeMapping``; a type without a row is imported as "övrigt"
  (:func:`fallback_category`) and gets an unreviewed row; a type beginning with
  "Sammanfattning" is a summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from brygga.core.models import County, Municipality

from ...models import Category, PoliceTypeMapping
from ...reference import FALLBACK_CATEGORY, load_default_categories
from .read import Problem, _NotARecord

POLICE_BASE_URL = "https://polisen.se"
# the only hosts an event's link may point to (the police's own website)
POLICE_HOSTS = frozenset({"polisen.se", "www.polisen.se"})
POLICE_TZ = ZoneInfo("Europe/Stockholm")
NAME_TIME_WINDOW = timedelta(days=45)
FIELDS = ("id", "datetime", "name", "summary", "url", "type", "location")
SUMMARY_PREFIX = "sammanfattning"
_MONTH_NAMES = (
    "januari februari mars april maj juni juli augusti september oktober november december"
)
MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES.split(" "), start=1)}
NAME_TIME = re.compile(r"^\s*(\d{1,2})\s+([^\W\d_]+)\s+(\d{1,2})[:.](\d{2})(?!\d)")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z")


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


def police_url(value: str) -> str | None:
    """An event's link as stored: a path of the police API ("/aktuellt/handelser/…") on
    https://polisen.se, or an https address on the police's own website; "" for no link;
    ``None`` for anything else (another host, another scheme, a user name or port in the
    address, white space or control characters)."""
    url = value.strip()
    if not url:
        return ""
    if url.startswith("/") and not url.startswith("//"):
        url = POLICE_BASE_URL + url
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != "https" or parts.netloc.lower() not in POLICE_HOSTS:
        return None
    return url


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
    url = police_url(rec["url"]) if isinstance(rec.get("url"), str) else ""
    if url is None:
        problems.append(
            problem(
                "url",
                _("The link must lead to the police's own website (https://polisen.se/…)."),
            )
        )
    elif len(url) > 300:
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


def fallback_category() -> Category:
    cat = Category.objects.filter(municipality__isnull=True, code=FALLBACK_CATEGORY).first()
    if cat is None:  # the national defaults are missing (e.g. a flushed database)
        load_default_categories(Category, PoliceTypeMapping)
        cat = Category.objects.get(municipality__isnull=True, code=FALLBACK_CATEGORY)
    return cat
