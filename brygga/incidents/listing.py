"""The incident list page's own controls: the sort order (``?ordning=``) and the quick date
choices. The filters the list shares with the map, the exports and the API are in
``filters.py``; these two only concern the list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .models import Status

ORDER_PARAM = "ordning"


@dataclass(frozen=True)
class Column:
    key: str  # the value of ?ordning= (descending: with a leading "-")
    label: object  # the column's header
    default_descending: bool  # the order of the column's first click


COLUMNS = (
    Column("nar", _("When"), True),
    Column("kategori", _("What"), False),
    Column("omrade", _("Where"), False),
    Column("status", _("Status"), False),
)
DEFAULT_ORDER = "-nar"
_COLUMN_KEYS = {c.key for c in COLUMNS}

# Status in the order of the review: new, reviewed, rejected (not the codes' alphabet).
_STATUS_RANK = Case(
    When(status=Status.NEW, then=Value(0)),
    When(status=Status.REVIEWED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def parse_order(value: str | None) -> str:
    """The ``?ordning=`` value if it is one of the whitelisted orders, else the default
    (newest first)."""
    value = (value or "").strip()
    return value if value.lstrip("-") in _COLUMN_KEYS and value.count("-") <= 1 else DEFAULT_ORDER


def apply_order(qs: QuerySet, order: str) -> QuerySet:
    """``qs`` in the ``order`` (from :func:`parse_order`), newest first within equal values.

    The default order walks the list index; sorting by category or area joins their names
    (only then, and only for the page's rows does the database read beyond the index)."""
    key = order.lstrip("-")
    desc = order.startswith("-")
    newest = ("-occurred_from", "-id")
    if key == "nar":
        return qs.order_by(*newest) if desc else qs.order_by("occurred_from", "id")
    if key == "kategori":
        expr = F("category__name")
    elif key == "omrade":
        expr = F("area__name")
    else:
        expr = _STATUS_RANK
    first = expr.desc(nulls_last=True) if desc else expr.asc(nulls_last=True)
    return qs.order_by(first, *newest)


def sort_headers(query: QueryDict, order: str) -> list[dict]:
    """For each sortable column: its label, the link that sorts by it (the other filters
    kept, back to the first page), and its ``aria-sort`` when the list is sorted by it."""
    out = []
    current, desc = order.lstrip("-"), order.startswith("-")
    for column in COLUMNS:
        if column.key == current:
            next_desc = not desc
            aria = "descending" if desc else "ascending"
        else:
            next_desc = column.default_descending
            aria = ""
        q = query.copy()
        q.pop("sida", None)
        q[ORDER_PARAM] = f"-{column.key}" if next_desc else column.key
        out.append({"key": column.key, "label": column.label, "query": q.urlencode(), "aria": aria})
    return out


def order_caption(order: str) -> str:
    """The table's caption, which says how it is sorted."""
    if order == DEFAULT_ORDER:
        return str(_("Incidents, newest first"))
    column = next(c for c in COLUMNS if c.key == order.lstrip("-"))
    if order.startswith("-"):
        return str(_("Incidents by “%(column)s”, descending") % {"column": column.label})
    return str(_("Incidents by “%(column)s”, ascending") % {"column": column.label})


def _quick_ranges(today: dt.date) -> list[tuple[object, dt.date, dt.date]]:
    return [
        (_("Last 7 days"), today - dt.timedelta(days=6), today),
        (_("Last 30 days"), today - dt.timedelta(days=29), today),
        (_("This year"), dt.date(today.year, 1, 1), today),
        (_("Last year"), dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
    ]


def quick_dates(query: QueryDict, today: dt.date) -> list[dict]:
    """Links that fill ``date_from`` and ``date_to`` (the other filters and the order kept),
    with ``current`` for the one the query already has."""
    out = []
    for label, start, end in _quick_ranges(today):
        q = query.copy()
        q.pop("sida", None)
        q["date_from"], q["date_to"] = start.isoformat(), end.isoformat()
        current = (
            query.get("date_from") == start.isoformat() and query.get("date_to") == end.isoformat()
        )
        out.append({"label": label, "query": q.urlencode(), "current": current})
    return out
