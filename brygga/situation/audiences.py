"""Small-count protection for the audiences of a published lägesbild.

The partners of a forum have need-to-know and see every count. For the council and the public
every count under ``k`` (``BRYGGA_SITUATION_MIN_COUNT``, default 5) shows as "<5" — the
library's :func:`brygga.analysis.suppress_small_counts` — and so do the rates and shares
computed from it. That alone is not enough where a total is shown: one hidden cell is the
total minus the shown ones. So hiding is completed (complementary suppression, Hundepool et al.
2012, ch. 4): in every line that has a shown total, while exactly one cell is hidden, or the
hidden cells add up to between 1 and ``k - 1`` (their sum could be worked out and is itself
small), the smallest shown cell is hidden as well; a line whose hidden cells still add up to a
small number hides its total. A two-way table (hour × weekday) is protected on its rows and
columns in turn until nothing changes. A remainder of 0 is allowed: it only says that the
hidden cells are all zero, which reveals nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from brygga.analysis import suppress_small_counts

from .models import Audience


def min_count() -> int:
    return max(1, int(getattr(settings, "BRYGGA_SITUATION_MIN_COUNT", 5)))


def need_to_know(audience: str) -> bool:
    """The forum's partners see every count; other audiences see protected tables."""
    return audience == Audience.PARTNERS


def hidden_label(k: int | None = None) -> str:
    return f"<{k or min_count()}"


@dataclass(frozen=True)
class Protected:
    """A protected line or table: ``hidden`` marks the cells shown as "<k";
    ``total_hidden`` whether the line's total is hidden too (1-D), or per margin (2-D)."""

    hidden: np.ndarray
    total_hidden: np.ndarray | bool
    k: int


def complete_line(values: np.ndarray, hidden: np.ndarray, k: int) -> tuple[np.ndarray, bool]:
    """Hide more cells of one line with a shown total until no hidden cell can be worked out
    and the hidden cells do not add up to a small number; returns (hidden, total hidden)."""
    hidden = hidden.copy()
    while True:
        n_hidden = int(hidden.sum())
        if n_hidden == 0:
            return hidden, False
        remainder = int(values[hidden].sum())
        if remainder == 0:
            return hidden, False
        if n_hidden >= 2 and remainder >= k:
            return hidden, False
        shown = np.flatnonzero(~hidden)
        if shown.size == 0:
            # everything is hidden and still adds up to a small number: hide the total
            return hidden, True
        # the smallest shown cell (then the first) joins the hidden ones
        hidden[shown[np.argmin(values[shown])]] = True  # argmin: the first of equals


def protect_line(counts: Sequence[int], k: int | None = None) -> Protected:
    """A line of counts with its total shown (categories, areas, weeks)."""
    k = k or min_count()
    values = np.asarray(counts, dtype=np.int64)
    primary = suppress_small_counts(values, k).suppressed
    hidden, total_hidden = complete_line(values, primary, k)
    if int(values.sum()) < k:
        total_hidden = True
    return Protected(hidden=hidden, total_hidden=total_hidden, k=k)


def protect_table(matrix, k: int | None = None) -> Protected:
    """A two-way table with its row and column totals shown (e.g. weekday × hour):
    ``total_hidden`` is a pair of boolean arrays (row totals, column totals)."""
    k = k or min_count()
    m = np.asarray(matrix, dtype=np.int64)
    hidden = suppress_small_counts(m, k).suppressed.copy()
    rows_hidden = np.zeros(m.shape[0], dtype=bool)
    cols_hidden = np.zeros(m.shape[1], dtype=bool)
    for _round in range(m.size + 1):
        before = hidden.copy()
        for i in range(m.shape[0]):
            if not rows_hidden[i]:
                hidden[i], rows_hidden[i] = complete_line(m[i], hidden[i], k)
        for j in range(m.shape[1]):
            if not cols_hidden[j]:
                hidden[:, j], cols_hidden[j] = complete_line(m[:, j], hidden[:, j], k)
        if (hidden == before).all():
            break
    rows_hidden |= m.sum(axis=1) < k
    cols_hidden |= m.sum(axis=0) < k
    return Protected(hidden=hidden, total_hidden=(rows_hidden, cols_hidden), k=k)


def recoverable_cells(values, hidden, total_shown: bool = True, k: int | None = None) -> list[int]:
    """The hidden cells of a line whose value follows from the shown cells and the shown
    total, or whose hidden neighbours add up to a small number (the tests' independent check
    and a guard before anything is published)."""
    v = np.asarray(values, dtype=np.int64)
    h = np.asarray(hidden, dtype=bool)
    if not total_shown or not h.any():
        return []
    remainder = int(v[h].sum())
    if remainder == 0:
        return []
    idx = np.flatnonzero(h).tolist()
    if len(idx) == 1 or remainder < (k or min_count()):
        return idx
    return []
