"""Cell values of the CSV/Excel import: numbers in Swedish or international notation, dates and
times in the formats Swedish spreadsheets use, text. Each parser returns ``None`` for an empty
cell and raises ``ValueError`` with a message for the user otherwise."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

STOCKHOLM = ZoneInfo("Europe/Stockholm")


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
