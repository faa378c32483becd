"""Trends of the lägesbild: each week of the period against the seasonal baseline, with the
CUSUM and EWMA alarms and the flagged weeks named in words, and a forecast for the coming quarter.

Weekly counts are events per ISO week (Monday to Sunday, local days) read with
:func:`brygga.situation.counts.daily`, so they go through the resolver like every other figure.
The weeks of the period are those that touch it (the first and last may reach outside it).

**Baseline.** :func:`brygga.analysis.seasonal_baseline` compares each week with the same week
±:data:`WINDOW` in the :data:`YEARS_BACK` years before it (negative binomial method, 95 %
interval). Its training data are the weeks before the period, back to the first week the scope
has any counted event (weeks before that are unknown, not zero). Sources are compared only where
Brygga holds them all (:func:`coverage`): a source with no event from the period's start on (a
police feed that stopped) is left out and named, and the history starts on the latest first day
of the sources kept (partners' reports that began last spring are not a rise against the police
events of earlier years). A week gets a baseline when at
least ``min_baseline`` (3) earlier weeks qualify, which takes one earlier year: the history must
reach :data:`WEEKS_NEEDED` weeks before the week. Without it the trend says how many weeks there
are and how many are needed.

Only weeks that are over are judged (a week still running would look like a drop).

**Alarms.** :func:`~brygga.analysis.poisson_cusum` (a rise to 1.5 × the expected, threshold 5)
and :func:`~brygga.analysis.ewma_alert` (λ 0.3, 3 standard deviations) run over the period's
weeks with the baseline's expectation; weeks without a baseline leave them unchanged. A week is
flagged when either alarms or its count is outside the baseline's interval.

**Forecast.** The coming quarter is the first calendar quarter that starts after the period's
end, so a lägesbild of 2025 forecasts the first quarter of 2026. Each month's expectation and
interval is the seasonal baseline of that month from the whole months up to the period's end
(same month ±1 in up to five earlier years); the quarter's total comes from the same baseline on
three-month totals (each three consecutive months of the history, compared with the three
months starting at the same month ±1 earlier years). Months between the period's end and the
quarter are left out, not counted as zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from django.db.models import Max, Min
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from brygga.analysis import ewma_alert, poisson_cusum, seasonal_baseline
from brygga.incidents.models import Stream
from brygga.incidents.services.rollups import local_day

from . import counts
from .scope import Period, Scope, _add_months

YEARS_BACK = 5  # earlier years the baseline uses at most
WINDOW = 1  # same week (month) plus/minus this many
MIN_BASELINE = 3  # baseline periods a comparison needs (the library's default)
WEEKS_NEEDED = 52 + WINDOW  # weeks of history a week needs for MIN_BASELINE earlier weeks
CUSUM = {"shift": 1.5, "threshold": 5.0}
EWMA = {"lam": 0.3, "width": 3.0}
FAR_PAST = dt.date(1970, 1, 1)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Coverage:
    """What a trend or forecast compares: ``scope`` narrowed to the sources held both before
    and from ``since`` on, ``first`` the first day all of them have data (the history starts
    there), ``stopped`` the sources with data only before ``since`` (with their last day) and
    ``new`` those with data only from ``since`` on (with their first day): a feed that stopped
    or started is not a change in crime."""

    scope: Scope
    first: dt.date | None
    stopped: list[tuple[str, dt.date]] = field(default_factory=list)
    new: list[tuple[str, dt.date]] = field(default_factory=list)
    limited_by: str | None = None  # the kept source that started last, if others go further


def coverage(user, scope: Scope, since: dt.date, before: dt.date) -> Coverage:
    """The sources (streams) the scope's trend can compare up to ``before``: those with
    counted events both before ``since`` and on or after it (if none is, those on or after
    it; if none is either, every source); the history starts at the latest of their first
    days (earlier weeks would hold only some of the sources and make the later ones look like
    a rise)."""
    spans = {
        r["stream"]: (r["first"], r["last"])
        for r in counts.rows_for(user, scope, period=Period(FAR_PAST, before))
        .values("stream")
        .annotate(first=Min("day"), last=Max("day"))
        .order_by()
    }
    present = {s: f for s, (f, last) in spans.items() if last >= since}
    if not present:  # nothing from ``since`` on: compare everything the history holds
        return Coverage(scope, min((f for f, _last in spans.values()), default=None))
    # the sources held before the period too; if none is, those of the period
    kept = {s: f for s, f in present.items() if f < since} or present
    stopped = sorted((s, last) for s, (_f, last) in spans.items() if last < since)
    new = sorted((s, f) for s, f in present.items() if s not in kept)
    if stopped or new:
        scope = Scope(**{**scope.__dict__, "streams": sorted(kept)})
    first = max(kept.values())
    limited_by = None
    if len(kept) > 1 and min(kept.values()) < first:
        limited_by = max(kept, key=lambda s: kept[s])
    return Coverage(scope, first, stopped, new, limited_by)


def _left_out_sentence(cover: Coverage) -> str:
    def names(pairs, text):
        return ", ".join(
            text % {"source": str(Stream(s).label).lower(), "day": date_format(day, "j F Y")}
            for s, day in pairs
        )

    out = []
    if cover.stopped:
        out.append(
            _("Left out of the comparison, since the period has none of them: %(sources)s.")
            % {"sources": names(cover.stopped, _("%(source)s (the last on %(day)s)"))}
        )
    if cover.new:
        out.append(
            _("Left out of the comparison, since Brygga holds none of them before: %(sources)s.")
            % {"sources": names(cover.new, _("%(source)s (from %(day)s)"))}
        )
    if out:
        out.append(_("A source that stopped or started is not a change in crime."))
    if cover.limited_by:
        out.append(
            _(
                "The comparison starts on %(day)s, when Brygga began to hold %(source)s; choose "
                "fewer sources for a longer history."
            )
            % {
                "day": date_format(cover.first, "j F Y"),
                "source": str(Stream(cover.limited_by).label).lower(),
            }
        )
    return " ".join(out)


def history_span(scope: Scope) -> Period:
    """Every day the trend and the forecast of ``scope`` read at most (their history reaches
    :data:`YEARS_BACK` years before the period; the trend's last week may end after it), and
    the month profile's earlier years too: the span the dashboard reads once for all three
    (:func:`brygga.situation.counts.shared_daily`)."""
    period = scope.period
    earliest = monday(Period(period.start, period.start).shifted_years(YEARS_BACK).start)
    months_back = _add_months(period.start.replace(day=1), -12 * YEARS_BACK)
    return Period(min(earliest, months_back), monday(period.end) + dt.timedelta(days=6))


def weekly_series(user, scope: Scope, start: dt.date, end: dt.date):
    """Events per ISO week from the week of ``start`` to the week of ``end``:
    ``(mondays, counts, iso_years, iso_weeks)``."""
    first, last = monday(start), monday(end) + dt.timedelta(days=6)
    days = counts.daily(user, scope, first, last)
    weekly = days.reshape(-1, 7).sum(axis=1)
    mondays = [first + dt.timedelta(weeks=i) for i in range(weekly.size)]
    iso = [m.isocalendar() for m in mondays]
    years = np.array([i.year for i in iso], dtype=np.int64)
    weeks = np.array([i.week for i in iso], dtype=np.int64)
    return mondays, weekly, years, weeks


def _num(value: float) -> str:
    return f"{value:.0f}"


def week_dates(start: dt.date) -> str:
    """ "16–22 mars 2025" (in the active language)."""
    end = start + dt.timedelta(days=6)
    if start.month == end.month:
        first = date_format(start, "j")
    elif start.year == end.year:
        first = date_format(start, "j F")
    else:
        first = date_format(start, "j F Y")
    return f"{first}–{date_format(end, 'j F Y')}"


@dataclass
class Week:
    """One ISO week of the period."""

    start: dt.date  # Monday
    year: int  # ISO week-year
    week: int
    observed: int
    expected: float | None  # None: no baseline for this week
    lower: float | None
    upper: float | None
    above: bool  # above the baseline's interval
    below: bool
    cusum: bool
    ewma: bool
    sentence: str = ""

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def flagged(self) -> bool:
        return self.above or self.below or self.cusum or self.ewma

    @property
    def label(self) -> str:
        return _("Week %(week)s") % {"week": self.week}

    @property
    def dates(self) -> str:
        return week_dates(self.start)


@dataclass
class Trend:
    """The period's weeks against the baseline. ``enough`` is False when no week of the period
    has a baseline; ``message`` then says why (weeks of history there are against needed)."""

    scope: Scope
    weeks: list[Week]
    history_weeks: int  # whole weeks of data before the period's first week
    weeks_needed: int
    first_day: dt.date | None
    message: str = ""
    level: float = 0.95
    left_out: str = ""  # the sources left out of the comparison, in words

    @property
    def enough(self) -> bool:
        return any(w.expected is not None for w in self.weeks)

    @property
    def flagged(self) -> list[Week]:
        return [w for w in self.weeks if w.flagged]

    @property
    def sentences(self) -> list[str]:
        return [w.sentence for w in self.flagged]

    @property
    def total(self) -> int:
        return int(sum(w.observed for w in self.weeks))

    @cached_property
    def chart(self):
        from .charts_trend import TrendChart

        return TrendChart(self)


def _week_sentence(w: Week) -> str:
    head = ngettext(
        "%(label)s (%(dates)s): %(observed)s event",
        "%(label)s (%(dates)s): %(observed)s events",
        w.observed,
    ) % {"label": w.label, "dates": w.dates, "observed": w.observed}
    if w.expected is not None:
        head += _(", expected %(expected)s (%(lower)s–%(upper)s)") % {
            "expected": _num(w.expected),
            "lower": _num(w.lower),
            "upper": _num(w.upper),
        }
    signals = []
    if w.above:
        signals.append(_("above the expected range"))
    if w.below:
        signals.append(_("below the expected range"))
    if w.cusum:
        signals.append(_("CUSUM alarm"))
    if w.ewma:
        signals.append(_("EWMA alarm"))
    if w.below and not (w.cusum or w.ewma):
        verdict = _("Clearly fewer than normal (%(signals)s).")
    else:
        verdict = _("Clearly more than normal (%(signals)s).")
    return f"{head}. " + verdict % {"signals": ", ".join(signals)}


def _too_little(history: int, needed: int, first: dt.date | None) -> str:
    if first is None:
        return _("There are no counted events for this selection, so there is no baseline.")
    return ngettext(
        "Too little history for a seasonal baseline: Brygga holds %(have)s week before the "
        "period (from %(first)s), the baseline needs at least %(need)s (the same weeks a year "
        "earlier).",
        "Too little history for a seasonal baseline: Brygga holds %(have)s weeks before the "
        "period (from %(first)s), the baseline needs at least %(need)s (the same weeks a year "
        "earlier).",
        history,
    ) % {"have": history, "need": needed, "first": date_format(first, "j F Y")}


def today_local() -> dt.date:
    return local_day(dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class _Base:
    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    flag: np.ndarray
    level: float


def _baseline(weekly, weeks, years, skip: int) -> _Base:
    """``seasonal_baseline`` of the weeks from index ``skip`` on, the weeks before it without
    a baseline (NaN, flag 0)."""
    base = seasonal_baseline(
        weekly[skip:],
        weeks[skip:],
        years[skip:],
        window=WINDOW,
        years_back=YEARS_BACK,
        min_baseline=MIN_BASELINE,
    )

    def pad(values, fill):
        return np.concatenate([np.full(skip, fill, dtype=float), np.asarray(values, float)])

    return _Base(
        pad(base.expected, np.nan),
        pad(base.lower, np.nan),
        pad(base.upper, np.nan),
        pad(base.flag, 0),
        base.level,
    )


def weekly_trend(user, scope: Scope, *, today: dt.date | None = None) -> Trend:
    """The scope's weeks of the period against the seasonal baseline, with alarms (see the
    module docstring). Only weeks that are over by ``today`` (default: today, local) are judged:
    a week still running would look like a drop. Reads only what ``user`` may read."""
    period = scope.period
    first_week = monday(period.start)
    last_week = min(monday(period.end), monday(today or today_local()) - dt.timedelta(weeks=1))
    if last_week < first_week:
        return Trend(
            scope=scope,
            weeks=[],
            history_weeks=0,
            weeks_needed=WEEKS_NEEDED,
            first_day=None,
            message=_("The period has no whole week that is over yet."),
        )
    cover = coverage(user, scope, period.start, last_week + dt.timedelta(days=6))
    first = cover.first
    earliest = monday(Period(period.start, period.start).shifted_years(YEARS_BACK).start)
    start = first_week if first is None else min(first_week, max(monday(first), earliest))
    mondays, weekly, years, weeks = weekly_series(user, cover.scope, start, last_week)
    n_hist = (first_week - start).days // 7
    # weeks of the period before the sources' first day are unknown, not zero: the baseline
    # learns from the weeks from that day's week on, and the weeks before get none
    skip = 0 if first is None else max(0, (monday(first) - start).days // 7)
    base = _baseline(weekly, weeks, years, skip)
    obs = weekly[n_hist:]
    exp = base.expected[n_hist:]
    cusum = poisson_cusum(obs, exp, **CUSUM).alarm
    ewma = ewma_alert(obs, exp, **EWMA).alarm
    out = []
    for i, m in enumerate(mondays[n_hist:]):
        j = n_hist + i
        has = not np.isnan(base.expected[j])
        w = Week(
            start=m,
            year=int(years[j]),
            week=int(weeks[j]),
            observed=int(weekly[j]),
            expected=float(base.expected[j]) if has else None,
            lower=float(base.lower[j]) if has else None,
            upper=float(base.upper[j]) if has else None,
            above=bool(base.flag[j] > 0),
            below=bool(base.flag[j] < 0),
            cusum=bool(cusum[i]),
            ewma=bool(ewma[i]),
        )
        if w.flagged:
            w.sentence = _week_sentence(w)
        out.append(w)
    trend = Trend(
        scope=scope,
        weeks=out,
        history_weeks=n_hist if first is not None else 0,
        weeks_needed=WEEKS_NEEDED,
        first_day=first,
        level=base.level,
        left_out=_left_out_sentence(cover),
    )
    if not trend.enough:
        trend.message = _too_little(trend.history_weeks, WEEKS_NEEDED, first)
    return trend


# --- forecast -------------------------------------------------------------------------------
@dataclass
class Month:
    start: dt.date
    expected: float | None
    lower: float | None
    upper: float | None

    @property
    def label(self) -> str:
        return date_format(self.start, "F Y")


@dataclass
class Forecast:
    """Expected events in the quarter after the scope's period (``quarter``), per month and in
    total, with prediction intervals; ``enough`` False (and ``message``) without history."""

    scope: Scope
    quarter: Period
    months: list[Month]
    expected: float | None
    lower: float | None
    upper: float | None
    history_months: int
    sentence: str = ""
    message: str = ""
    level: float = 0.95
    history: list[tuple[dt.date, int]] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return self.expected is not None


def next_quarter(day: dt.date) -> Period:
    """The first calendar quarter that starts after ``day``."""
    start = _add_months(day.replace(day=1), 3 - (day.month - 1) % 3)
    return Period(start, _add_months(start, 3) - dt.timedelta(days=1), "quarter")


def monthly_history(
    user, scope: Scope, *, today: dt.date | None = None
) -> list[tuple[dt.date, int]]:
    """Events per whole month, from the first month with a counted event to the last month
    that ends within the period and before ``today`` (at most ``YEARS_BACK`` years)."""
    end = min(scope.period.end, (today or today_local()) - dt.timedelta(days=1))
    last = end.replace(day=1)
    if (end + dt.timedelta(days=1)).day != 1:  # the period's last month is not whole
        last = _add_months(last, -1)
    cover = coverage(user, scope, scope.period.start, end)
    first = cover.first
    if first is None or first.replace(day=1) > last:
        return []
    start = max(first.replace(day=1), _add_months(last, -12 * YEARS_BACK + 1))
    stop = _add_months(last, 1) - dt.timedelta(days=1)
    days = counts.daily(user, cover.scope, start, stop)
    out, i, month = [], 0, start
    while month <= last:
        n = (_add_months(month, 1) - month).days
        out.append((month, int(days[i : i + n].sum())))
        i += n
        month = _add_months(month, 1)
    return out


def projection(history: list[tuple[dt.date, int]], targets: list[dt.date], *, span: int = 1):
    """The seasonal baseline of each ``targets`` month (of ``span``-month totals starting that
    month) from the history: ``(expected, lower, upper)`` arrays (NaN: too little history)."""
    values = np.array([n for _m, n in history], dtype=np.float64)
    if span > 1:
        values = np.convolve(values, np.ones(span), mode="valid") if values.size >= span else []
    starts = [m for m, _n in history][: len(values)]
    exp, low, up = [], [], []
    for target in targets:
        series = np.append(np.asarray(values, dtype=np.float64), 0.0)
        season = np.array([m.month for m in starts] + [target.month], dtype=np.int64)
        year = np.array([m.year for m in starts] + [target.year], dtype=np.int64)
        b = seasonal_baseline(
            series,
            season,
            year,
            n_seasons=12,
            window=WINDOW,
            years_back=YEARS_BACK,
            min_baseline=MIN_BASELINE,
        )
        exp.append(b.expected[-1])
        low.append(b.lower[-1])
        up.append(b.upper[-1])
    return np.array(exp), np.array(low), np.array(up)


def _opt(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


def forecast(user, scope: Scope, *, today: dt.date | None = None) -> Forecast:
    """Expected events of the scope in the quarter after its period (see the module docstring),
    from the whole months that are over by ``today``. Reads only what ``user`` may read."""
    quarter = next_quarter(scope.period.end)
    history = monthly_history(user, scope, today=today)
    targets = [_add_months(quarter.start, k) for k in range(3)]
    if history:
        m_exp, m_low, m_up = projection(history, targets)
        t_exp, t_low, t_up = projection(history, [quarter.start], span=3)
    else:
        m_exp = m_low = m_up = np.full(3, np.nan)
        t_exp = t_low = t_up = np.full(1, np.nan)
    months = [
        Month(t, _opt(m_exp[k]), _opt(m_low[k]), _opt(m_up[k])) for k, t in enumerate(targets)
    ]
    result = Forecast(
        scope=scope,
        quarter=quarter,
        months=months,
        expected=_opt(t_exp[0]),
        lower=_opt(t_low[0]),
        upper=_opt(t_up[0]),
        history_months=len(history),
        history=history,
    )
    if result.enough:
        result.sentence = _(
            "In %(quarter)s, %(expected)s events are expected (%(lower)s–%(upper)s) if the "
            "pattern of earlier years holds."
        ) % {
            "quarter": quarter.label,
            "expected": _num(result.expected),
            "lower": _num(result.lower),
            "upper": _num(result.upper),
        }
    else:
        result.message = ngettext(
            "Too little history for a forecast: Brygga holds %(have)s whole month up to the "
            "period's end; the forecast needs the quarter's months (±1 month) in at least one "
            "earlier year.",
            "Too little history for a forecast: Brygga holds %(have)s whole months up to the "
            "period's end; the forecast needs the quarter's months (±1 month) in at least one "
            "earlier year.",
            len(history),
        ) % {"have": len(history)}
    return result
