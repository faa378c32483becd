"""Comparison with reference data, as Brå defines a lägesbild ("how the situation compares with
reference data and how it has developed over time"): the municipality's police events per 1,000
inhabitants against its county, the whole country and municipalities of similar size, for the
period and the same period of the earlier years.

**What is compared.** Police events (stream ``police``) from the rollup's municipality totals
(``IncidentDayCount`` rows without a layer), so the same incidents as every other figure
(``COUNTED``: no county-level events, no summaries); the scope's categories apply, its areas and
streams do not (a comparison between municipalities is of whole municipalities). Population is
``Municipality.population`` (SCB, the shipped year) for every period. Rates and their exact 95 %
intervals are :func:`brygga.analysis.garwood_interval` on the events of the group divided by the
group's population; a group's rate is its total events over its total population.

**Which municipalities.** "The country" and "the county" are the municipalities with at least
one police event in Brygga in the period (Brygga holds police events only for the
municipalities whose feed is imported), and the sentence says how many. "Similar size" is the
:data:`SIMILAR` municipalities nearest in population among those, the municipality itself left
out; the same group is followed over the earlier years.

**Access.** The user must be able to view the scope's municipality (else ``PermissionDenied``).
The other municipalities' figures are public aggregates (the police publish their events), so
they are read with Brygga's own resolver scope (:data:`READER`, a ``SystemActor``) — the rollup
restricted through the resolver like any read — but only as sums per municipality of the police
stream: no incident and no rollup row of another municipality leaves this module, only totals
per group and the names of the similar municipalities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from brygga.analysis import garwood_interval
from brygga.core.access import VIEW, SystemActor, resolver_for
from brygga.core.models import Municipality
from brygga.incidents.models import IncidentDayCount, Stream

from .scope import Period, Scope

READER = SystemActor("brygga situation reference")
SIMILAR = 10  # municipalities of similar size
YEARS = 3  # the period and the same period of the two years before
PER = 1000.0


@dataclass
class RateRow:
    """One group's police events per 1,000 inhabitants, with the Garwood 95 % interval."""

    key: str  # municipality | county | similar | country
    label: str
    events: int
    population: int
    municipalities: int
    rate: float | None
    lower: float | None
    upper: float | None


@dataclass
class YearRates:
    period: Period
    rows: dict[str, RateRow]

    @property
    def label(self) -> str:
        return self.period.label


@dataclass
class Comparison:
    """The reference comparison of a scope: ``rows`` for the period (municipality, county,
    similar, country), ``history`` for the same period of each earlier year (oldest first, the
    period last), ``similar`` the names of the similar municipalities, and the ``sentence``."""

    scope: Scope
    period: Period
    rows: list[RateRow]
    history: list[YearRates]
    similar: list[str]
    country_municipalities: int
    county_municipalities: int
    county_total: int  # municipalities of the county
    sentences: list[str] = field(default_factory=list)

    @property
    def by_key(self) -> dict[str, RateRow]:
        return {r.key: r for r in self.rows}

    @property
    def sentence(self) -> str:
        return " ".join(self.sentences)

    @property
    def chart(self):
        from .charts_trend import RateChart

        return RateChart(self.rows)


def police_totals(period: Period, category_ids: list[int] | None = None) -> dict[int, int]:
    """Police events per municipality in the period (municipalities with at least one), read
    with Brygga's own resolver scope; sums only (see the module docstring)."""
    qs = (
        resolver_for(READER)
        .restrict(IncidentDayCount.objects.all(), VIEW)
        .filter(
            stream=Stream.POLICE,
            layer__isnull=True,
            day__gte=period.start,
            day__lte=period.end,
        )
    )
    if category_ids is not None:
        qs = qs.filter(category_id__in=category_ids)
    out = {}
    for r in qs.values("municipality_id").annotate(n=Sum("events")).order_by():
        if r["n"]:
            out[r["municipality_id"]] = int(r["n"])
    return out


def rate_row(key: str, label: str, events: int, population: int, municipalities: int) -> RateRow:
    if population <= 0:
        return RateRow(key, label, events, population, municipalities, None, None, None)
    lo, hi = garwood_interval([events])
    f = PER / population
    return RateRow(
        key,
        label,
        events,
        population,
        municipalities,
        events * f,
        float(lo[0]) * f,
        float(hi[0]) * f,
    )


def similar_municipalities(
    municipality: Municipality, candidates: list[Municipality], n: int | None = None
) -> list[Municipality]:
    """The ``n`` candidates nearest in population (absolute difference, then code), the
    municipality itself left out."""
    target = municipality.population or 0
    others = [m for m in candidates if m.pk != municipality.pk and m.population]
    return sorted(others, key=lambda m: (abs(m.population - target), m.code))[: n or SIMILAR]


def _group(key, label, ids, totals, pops) -> RateRow:
    ids = [i for i in ids if pops.get(i)]
    return rate_row(
        key, label, sum(totals.get(i, 0) for i in ids), sum(pops[i] for i in ids), len(ids)
    )


def _fmt(value: float | None) -> str:
    return "–" if value is None else number_format(value, 1)


def _relation(own: RateRow, other: RateRow) -> str:
    """ "more than the county (35,0)" — more or fewer when the group's rate is outside the
    municipality's interval, else about as many."""
    values = {"rate": _fmt(other.rate)}
    names = {
        "county": (
            _("more than the county (%(rate)s)"),
            _("fewer than the county (%(rate)s)"),
            _("about as many as the county (%(rate)s)"),
        ),
        "country": (
            _("more than the country (%(rate)s)"),
            _("fewer than the country (%(rate)s)"),
            _("about as many as the country (%(rate)s)"),
        ),
        "similar": (
            _("more than municipalities of similar size (%(rate)s)"),
            _("fewer than municipalities of similar size (%(rate)s)"),
            _("about as many as municipalities of similar size (%(rate)s)"),
        ),
    }[other.key]
    if other.rate < own.lower:
        return names[0] % values
    if other.rate > own.upper:
        return names[1] % values
    return names[2] % values


def _sentences(c: Comparison) -> list[str]:
    own = c.by_key["municipality"]
    name = c.scope.municipality.name
    if own.rate is None:
        return [_("Brygga has no population figure for %(name)s.") % {"name": name}]
    if c.country_municipalities == 0:
        return [
            _("Brygga holds no police events for %(period)s, so there is nothing to compare.")
            % {"period": c.period.label}
        ]
    parts = [_relation(own, r) for r in c.rows if r.key != "municipality" and r.rate is not None]
    out = [
        _(
            "%(name)s had %(rate)s police events per 1,000 inhabitants in %(period)s "
            "(95 %% interval %(lower)s–%(upper)s)"
        )
        % {
            "name": name,
            "rate": _fmt(own.rate),
            "period": c.period.label,
            "lower": _fmt(own.lower),
            "upper": _fmt(own.upper),
        }
        + (", " + ", ".join(parts) if parts else "")
        + "."
    ]
    earlier = [y for y in c.history[:-1] if y.rows["municipality"].rate is not None]
    if earlier:
        out.append(
            _("The same period earlier years: %(years)s.")
            % {
                "years": ", ".join(
                    f"{y.label} {_fmt(y.rows['municipality'].rate)}" for y in earlier
                )
            }
        )
    out.append(
        ngettext(
            "The country figure covers the %(n)s municipality with police events in Brygga, "
            "the county figure %(county)s of the county's %(total)s.",
            "The country figure covers the %(n)s municipalities with police events in Brygga, "
            "the county figure %(county)s of the county's %(total)s.",
            c.country_municipalities,
        )
        % {
            "n": c.country_municipalities,
            "county": c.county_municipalities,
            "total": c.county_total,
        }
    )
    return out


def _shifted(period: Period, years: int) -> Period:
    return period if years == 0 else period.shifted_years(years)


def reference_comparison(user, scope: Scope) -> Comparison:
    """The scope's municipality against its county, the country and municipalities of similar
    size (see the module docstring); ``PermissionDenied`` if ``user`` cannot view the
    municipality."""
    muni = scope.municipality
    if not resolver_for(user).restrict(Municipality.objects.filter(pk=muni.pk), VIEW).exists():
        raise PermissionDenied
    rows_all = list(
        resolver_for(READER)
        .restrict(Municipality.objects.all(), VIEW)
        .only("pk", "code", "name", "county_id", "population")
    )
    pops = {m.pk: m.population or 0 for m in rows_all}
    county_ids = [m.pk for m in rows_all if m.county_id == muni.county_id]
    county_name = muni.county.name if muni.county_id else _("the county")
    periods = [_shifted(scope.period, k) for k in range(YEARS - 1, -1, -1)]
    totals = {p: police_totals(p, scope.category_ids) for p in periods}
    now = totals[scope.period]
    with_data = [m for m in rows_all if m.pk in now]
    similar = similar_municipalities(muni, with_data)
    similar_ids = [m.pk for m in similar]

    def rows_for(t: dict[int, int]) -> dict[str, RateRow]:
        own = rate_row("municipality", muni.name, t.get(muni.pk, 0), pops.get(muni.pk, 0), 1)
        return {
            "municipality": own,
            "county": _group("county", county_name, [i for i in county_ids if i in t], t, pops),
            "similar": _group("similar", _("Similar size"), similar_ids, t, pops),
            "country": _group("country", _("The country"), list(t), t, pops),
        }

    history = [YearRates(p, rows_for(totals[p])) for p in periods]
    current = history[-1].rows
    rows = [current["municipality"], current["county"]]
    if similar:
        rows.append(current["similar"])
    rows.append(current["country"])
    comparison = Comparison(
        scope=scope,
        period=scope.period,
        rows=rows,
        history=history,
        similar=[m.name for m in similar],
        country_municipalities=len(now),
        county_municipalities=len([i for i in county_ids if i in now]),
        county_total=len(county_ids),
    )
    comparison.sentences = _sentences(comparison)
    return comparison
