"""Pagination whose cost does not grow with the table.

Django's ``Paginator`` counts every matching row (``SELECT COUNT(*)``) to number the pages, which
reads the whole selection: a municipality with a million incidents pays for a million rows on
every page view. ``CappedPaginator`` counts at most ``cap + 1`` rows (``SELECT COUNT(*) FROM
(... LIMIT cap + 1)``); beyond the cap the page says "more than 10,000" and offers the pages up
to the cap — narrowing the filter, the export or the API (cursor pagination) reach the rest.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

DEFAULT_CAP = 10_000


def capped_count(qs, cap: int = DEFAULT_CAP) -> tuple[int, bool]:
    """``(n, capped)``: the number of rows up to ``cap``, and whether there are more."""
    n = qs[: cap + 1].count()
    return min(n, cap), n > cap


class CappedPaginator(Paginator):
    def __init__(
        self,
        object_list,
        per_page,
        *,
        cap: int = DEFAULT_CAP,
        counted: tuple[int, bool] | None = None,
        **kwargs,
    ):
        """``counted``: ``(n, capped)`` when the caller has counted already (as
        :func:`capped_count` does), so the page does not count again."""
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        if counted is not None:
            self.__dict__["_counted"] = counted

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        return capped_count(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:
        return self._counted[0]

    @property
    def capped(self) -> bool:
        """True when more rows match than were counted (the count shows the cap)."""
        return self._counted[1]
