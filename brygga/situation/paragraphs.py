"""Factual Swedish paragraphs of the lägesbild generated from its figures by templates (no
language model): the starting point of the analyst's text, section by section.

Every function takes the dashboard (``figures.Dashboard``), and for the audiences without
need-to-know a :class:`Hidden` that names what the protected tables hide, so a paragraph never
states a number that the tables show as "<k".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

TOP = 3


@dataclass(frozen=True)
class Hidden:
    """What the protected tables hide: the headline total, rows of the breakdowns (by key),
    weeks (by their Monday, ISO) and ranked areas (by id)."""

    k: int = 0  # 0: nothing is hidden (need-to-know)
    headline: bool = False
    categories: frozenset = field(default_factory=frozenset)
    areas: frozenset = field(default_factory=frozenset)
    weeks: frozenset = field(default_factory=frozenset)


def number(value: float | int, digits: int = 0) -> str:
    """Swedish number formatting: a space between thousands, a decimal comma."""
    text = f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")
    return text


def _events(n: int) -> str:
    return ngettext("%(n)s event", "%(n)s events", n) % {"n": number(n)}


def extent(d, hidden: Hidden) -> list[str]:
    """How many events, against the previous period and the same period a year earlier."""
    h = d.headline
    title, label = d.scope.title, h.period.label
    if hidden.headline:
        return [
            _("In %(period)s fewer than %(k)s events were reported in %(title)s.")
            % {"period": label, "k": hidden.k, "title": title}
        ]
    out = [
        _("In %(period)s %(events)s were reported in %(title)s.")
        % {"period": label, "events": _events(h.events), "title": title}
    ]
    if h.rate is not None:
        out.append(
            _(
                "That is %(rate)s events per 1,000 inhabitants (95 %% interval %(low)s–%(high)s; "
                "population %(population)s)."
            )
            % {
                "rate": number(h.rate.rate, 1),
                "low": number(h.rate.low, 1),
                "high": number(h.rate.high, 1),
                "population": number(h.rate.population),
            }
        )
    for comparison, what in ((h.previous, _("the previous period")),) + tuple(
        (c, _("the same period a year earlier")) for c in h.earlier[:1]
    ):
        if hidden.k and comparison.events < hidden.k:
            continue
        out.append(
            _("Against %(what)s (%(period)s, %(events)s): %(change)s")
            % {
                "what": what,
                "period": comparison.period.label,
                "events": _events(comparison.events),
                "change": comparison.change.text,
            }
        )
    return [" ".join(out)]


def largest_categories(d, hidden: Hidden) -> list[str]:
    rows = [r for r in d.categories.rows if r.events and r.key not in hidden.categories][:TOP]
    if not rows:
        return []
    parts = [
        _("%(name)s (%(events)s, %(share)s %%)")
        % {"name": r.label, "events": number(r.events), "share": number(r.share or 0, 0)}
        for r in rows
    ]
    return [_("The largest categories were %(list)s.") % {"list": ", ".join(parts)}]


def highest_rates(d, hidden: Hidden) -> list[str]:
    rows = [r for r in d.areas.rows if r.rate is not None and r.key not in hidden.areas]
    rows.sort(key=lambda r: -r.rate.rate)
    rows = rows[:TOP]
    if not rows:
        return []
    parts = [
        _("%(name)s (%(rate)s per 1,000 inhabitants)")
        % {"name": r.label, "rate": number(r.rate.rate, 1)}
        for r in rows
    ]
    return [_("The areas with the highest rates were %(list)s.") % {"list": ", ".join(parts)}]


def flagged_weeks(d, hidden: Hidden) -> list[str]:
    trend = d.trend
    if not trend.weeks:
        return [trend.message] if trend.message else []
    weeks = [w for w in trend.flagged if w.start.isoformat() not in hidden.weeks]
    if not trend.flagged:
        return [_("No week of the period stood out against the seasonal baseline.")]
    out = [
        ngettext(
            "%(n)s week stood out against the seasonal baseline.",
            "%(n)s weeks stood out against the seasonal baseline.",
            len(trend.flagged),
        )
        % {"n": len(trend.flagged)}
    ]
    out += [w.sentence for w in weeks[:5]]
    return [" ".join(out)]


def forecast(d) -> list[str]:
    f = d.forecast
    return [s for s in (f.sentence or f.message,) if s]


def reference(d, hidden: Hidden | None = None) -> list[str]:
    """The comparison with the county, the country and similar municipalities. Its sentence
    states the municipality's police events per 1,000 inhabitants, this period and earlier
    years: with the (public) population that gives the count back, so where the protected
    table hides one of the municipality's counts the sentence is left out."""
    if not d.reference.sentence:
        return []
    if hidden is not None and hidden.k:
        own = [y.rows.get("municipality") for y in d.reference.history]
        if any(r is not None and r.events < hidden.k for r in own):
            return []
    return [d.reference.sentence]


def survey(d) -> list[str]:
    ctx = d.context
    if not ctx.survey_indices:
        return [_("There are no survey indices for these areas and years.")]
    out = []
    for index in ctx.survey_indices:
        shown = [
            (a.name, a.survey[index["code"]]["mean"])
            for a in ctx.areas
            if (a.survey.get(index["code"]) or {}).get("mean") is not None
        ]
        if not shown:
            continue
        shown.sort(key=lambda t: -t[1])
        parts = [f"{name} ({number(mean, 1)})" for name, mean in shown[:TOP]]
        out.append(
            _("Survey %(year)s, %(index)s: highest in %(list)s.")
            % {"year": ctx.survey_year, "index": index["name"], "list": ", ".join(parts)}
        )
    return out


def priorities(ranking) -> list[str]:
    if ranking is None:
        return [_("No areas were ranked: the scope has no layer of areas.")]
    scored = ranking.scored
    if not scored:
        return [_("No area has a score for the period.")]
    out = [
        _("The areas that most need measures, by the weighted ranking:")
        + " "
        + "; ".join(f"{a.rank}. {a.sentence or a.name}" for a in scored[:TOP])
    ]
    return out


def sources(d, k: int) -> list[str]:
    s = d.scope
    streams = ", ".join(r.label for r in d.streams.rows)
    out = [
        _(
            "The figures cover %(period)s (%(start)s–%(end)s) for %(title)s and come from "
            "Brygga's incident counts: %(streams)s. Rejected, deleted and new public tips are "
            "not counted. Rates are events per 1,000 inhabitants in the period with Garwood's "
            "95 %% interval; changes compare events per day."
        )
        % {
            "period": s.period.label,
            "start": s.period.start.isoformat(),
            "end": s.period.end.isoformat(),
            "title": s.title,
            "streams": streams,
        }
    ]
    if k:
        out.append(
            _(
                "Counts under %(k)s are shown as “<%(k)s”, and further cells are hidden where a "
                "hidden count could otherwise be worked out from a total."
            )
            % {"k": k}
        )
    return out


def for_sections(d, ranking, hidden: Hidden) -> dict[str, list[str]]:
    """The generated paragraphs per section key."""
    return {
        "summary": extent(d, hidden) + forecast(d),
        "crime": largest_categories(d, hidden) + highest_rates(d, hidden),
        "insecurity": survey(d),
        "other": [],
        "analysis": flagged_weeks(d, hidden) + reference(d, hidden) + forecast(d),
        "priorities": priorities(ranking),
        "sources": sources(d, hidden.k),
    }
