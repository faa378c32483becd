"""Near repeats: the Knox test (the analysis library's ``knox_test``) for burglary- and
vandalism-type incidents of a scope, stated in Swedish words.

One test per kind (main category ``stold-inbrott`` and ``skadegorelse`` with their
subcategories), over the scope's incidents with a point in the period: pairs within ``avstand``
metres (default 200) and ``dagar`` days (default 14) against the pairs expected when the times
are shuffled among the places (999 Monte Carlo permutations). Each incident is one event here
(a report of three break-ins at one address is one place and one time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.analysis.knox import KnoxResult, knox_test
from brygga.incidents.models import Category

from .points import incidents_in, with_points
from .scope import Scope, ScopeError

DISTANCE_DEFAULT, DISTANCE_MIN, DISTANCE_MAX = 200, 50, 1000
DAYS_DEFAULT, DAYS_MIN, DAYS_MAX = 14, 1, 60
MIN_EVENTS = 20  # fewer events give too few pairs for the test to say anything
PERMUTATIONS = 999
SEED = 0
ALPHA = 0.05

# main category code → what one event of it is called in the sentence
KINDS = {
    "stold-inbrott": gettext_lazy("a burglary or theft"),
    "skadegorelse": gettext_lazy("an act of vandalism"),
}


def _int_param(query, name: str, default: int, lo: int, hi: int, message: str) -> int:
    text = (query.get(name) or "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = lo - 1
    if not lo <= value <= hi:
        raise ScopeError(name, message % {"min": lo, "max": hi})
    return value


def params_from_query(query) -> tuple[int, int]:
    """``avstand`` (metres) and ``dagar`` (days) of the URL, checked."""
    distance = _int_param(
        query,
        "avstand",
        DISTANCE_DEFAULT,
        DISTANCE_MIN,
        DISTANCE_MAX,
        _("“avstand” is a distance in metres, a whole number from %(min)s to %(max)s."),
    )
    days = _int_param(
        query,
        "dagar",
        DAYS_DEFAULT,
        DAYS_MIN,
        DAYS_MAX,
        _("“dagar” is a number of days, a whole number from %(min)s to %(max)s."),
    )
    return distance, days


@dataclass
class NearRepeat:
    code: str
    name: str  # the main category's name
    n_events: int
    distance: int
    days: int
    result: KnoxResult | None  # None: too few events
    sentence: str

    @property
    def ratio(self) -> float | None:
        return None if self.result is None else float(self.result.knox_ratio[0, 0])

    @property
    def p_value(self) -> float | None:
        return None if self.result is None else float(self.result.p_value[0, 0])

    def table(self) -> list[dict]:
        """The Knox table: per space band × time band the observed and expected pairs, the
        ratio and the p-value."""
        r = self.result
        if r is None:
            return []
        out = []
        for i, s in enumerate(r.space_labels):
            for j, t in enumerate(r.time_labels):
                ratio = r.knox_ratio[i, j]
                out.append(
                    {
                        "space": s,
                        "time": t,
                        "observed": int(r.observed[i, j]),
                        "expected": float(r.expected[i, j]),
                        "ratio": None if np.isnan(ratio) else float(ratio),
                        "p": float(r.p_value[i, j]),
                    }
                )
        return out


def _num(v: float, digits: int) -> str:
    return number_format(round(v, digits), digits)


def describe(kind: str, result: KnoxResult | None, n_events: int, distance: int, days: int) -> str:
    """The finding in words (Swedish after translation): the risk ratio and p-value of the
    closest band when there are more near pairs than expected (p ≤ 0.05), else that no
    near-repeat pattern was found, or that there are too few events."""
    event = str(KINDS.get(kind, _("an event")))
    if result is None:
        return _(
            "Too few events for a near-repeat test: %(n)s with a place in the period, at least "
            "%(min)s are needed."
        ) % {"n": n_events, "min": MIN_EVENTS}
    ratio = float(result.knox_ratio[0, 0])
    p = float(result.p_value[0, 0])
    values = {
        "event": event,
        "metres": distance,
        "days": days,
        "ratio": _num(ratio, 1) if np.isfinite(ratio) else "–",
        "p": _num(p, 3 if p < 0.01 else 2),
    }
    if np.isfinite(ratio) and ratio > 1 and p <= ALPHA:
        return (
            _(
                "After %(event)s, the risk of another within %(metres)s m and %(days)s days is "
                "%(ratio)s times the expected (p = %(p)s)."
            )
            % values
        )
    return (
        _(
            "No near-repeat pattern was found: after %(event)s, another within %(metres)s m "
            "and %(days)s days is no more likely than expected (ratio %(ratio)s, p = %(p)s)."
        )
        % values
    )


def points_for(user, scope: Scope, code: str):
    """(x, y, t in days) of the scope's incidents of main category ``code`` with a point."""
    cats = Category.objects.filter(parent__code=code) | Category.objects.filter(code=code)
    ids = set(cats.values_list("pk", flat=True))
    if scope.category_ids is not None:
        ids &= set(scope.category_ids)
    rows = list(
        with_points(incidents_in(user, scope))
        .filter(category_id__in=ids)
        .order_by("pk")
        .values_list("sweref_e", "sweref_n", "occurred_from")
    )
    if not rows:
        return np.empty(0), np.empty(0), np.empty(0)
    x = np.array([r[0] for r in rows], dtype=np.float64)
    y = np.array([r[1] for r in rows], dtype=np.float64)
    t = np.array([r[2].timestamp() / 86400.0 for r in rows], dtype=np.float64)
    return x, y, t


def near_repeats(
    user, scope: Scope, *, distance: int = DISTANCE_DEFAULT, days: int = DAYS_DEFAULT
) -> list[NearRepeat]:
    """One :class:`NearRepeat` per kind the scope's categories include."""
    names = dict(
        Category.objects.filter(code__in=list(KINDS), municipality__isnull=True).values_list(
            "code", "name"
        )
    )
    out = []
    for code in KINDS:
        if scope.category_ids is not None:
            chosen = Category.objects.filter(pk__in=scope.category_ids)
            if (
                not chosen.filter(code=code).exists()
                and not chosen.filter(parent__code=code).exists()
            ):
                continue
        x, y, t = points_for(user, scope, code)
        n = int(x.size)
        result = None
        if n >= MIN_EVENTS:
            result = knox_test(
                x,
                y,
                t,
                space_bands=distance,
                time_bands=days,
                permutations=PERMUTATIONS,
                seed=SEED,
            )
        out.append(
            NearRepeat(
                code=code,
                name=names.get(code, code),
                n_events=n,
                distance=distance,
                days=days,
                result=result,
                sentence=describe(code, result, n, distance, days),
            )
        )
    return out
