"""ISO weeks as Brygga's URLs and forms write them: ``2026-V48`` (Swedish *vecka*);
``2026-W48`` is read as well. One place for the week arithmetic the weekly reporting round,
the EST weekly picture, its digest and the lägesbild's periods share."""

from __future__ import annotations

import datetime as dt
import re

WEEK_PATTERN = r"(\d{4})-[VvWw](\d{1,2})"


def monday_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def week_param(day: dt.date) -> str:
    """``day``'s ISO week as the URLs write it: ``2026-V48``."""
    iso = day.isocalendar()
    return f"{iso.year}-V{iso.week:02d}"


def iso_monday(year: int, week: int) -> dt.date | None:
    """The Monday of ISO week ``week`` of ``year``; ``None`` if the year has no such week."""
    try:
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError:  # week 0, or week 53 in a year that has 52
        return None


def parse_week(value: str) -> dt.date | None:
    """The Monday of ``2026-V48`` / ``2026-W48``; ``None`` when ``value`` is not a week."""
    m = re.fullmatch(WEEK_PATTERN, (value or "").strip())
    return iso_monday(int(m[1]), int(m[2])) if m else None
