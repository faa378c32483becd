"""What a lägesbild is about: a municipality, or one of its forums or a set of its areas, over a
period, for some categories and streams — parsed from the URL so that a view can be shared.

The URL's parameters (all optional):

* ``period``: ``2025`` (a year), ``2025-K2`` (a quarter), ``2025-03`` (a month), ``2025-V12``
  (an ISO week), ``2025-01-01..2025-03-31`` (from and to, both included). Default: the twelve
  whole months before the current one.
* ``forum``: a forum's id (its areas, see :attr:`Scope.layer`); ``omrade`` (repeated): area
  ids; ``lager``: the layer whose areas the figures are broken down by.
* ``kategori`` (repeated): category codes (a main category includes its subcategories);
  ``kalla`` (repeated): streams (``partner``, ``police``, ``register``, ``public``).

A wrong value gets a Swedish message naming the parameter (:class:`ScopeError`), not a 500.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from brygga.core.access import VIEW
from brygga.core.models import Area, AreaLayer, Forum, LayerKind, Municipality
from brygga.core.selectors import forums_for
from brygga.core.weeks import WEEK_PATTERN, week_param
from brygga.incidents.models import Category, Stream
from brygga.incidents.services import categories_for
from brygga.incidents.services.rollups import local_day

MONTHS = 12  # the default period: the whole months before the current one


class ScopeError(ValueError):
    """A parameter of the URL that cannot be used; ``param`` names it."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included; ``kind`` is year, quarter, month, week or
    custom (the comparisons follow it: the previous quarter of a quarter)."""

    start: dt.date
    end: dt.date
    kind: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    # --- parsing and writing back ---------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> Period:
        t = text.strip().upper()
        try:
            if m := re.fullmatch(r"(\d{4})", t):
                y = int(m[1])
                return cls(dt.date(y, 1, 1), dt.date(y, 12, 31), "year")
            if m := re.fullmatch(r"(\d{4})-[KQ]([1-4])", t):
                y, q = int(m[1]), int(m[2])
                start = dt.date(y, 3 * q - 2, 1)
                return cls(start, _add_months(start, 3) - dt.timedelta(days=1), "quarter")
            if m := re.fullmatch(r"(\d{4})-(\d{1,2})", t):
                start = dt.date(int(m[1]), int(m[2]), 1)
                return cls(start, _add_months(start, 1) - dt.timedelta(days=1), "month")
            if m := re.fullmatch(WEEK_PATTERN, t):
                start = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
                return cls(start, start + dt.timedelta(days=6), "week")
            if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})", t):
                start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
                if end < start:
                    raise ScopeError(
                        "period",
                        _("The period ends (%(end)s) before it starts (%(start)s).")
                        % {"start": start.isoformat(), "end": end.isoformat()},
                    )
                return cls(start, end, "custom")
        except ValueError as exc:
            if isinstance(exc, ScopeError):
                raise
        raise ScopeError(
            "period",
            _(
                "The period “%(value)s” is not one Brygga knows. Write a year (2025), a quarter "
                "(2025-K2), a month (2025-03), a week (2025-V12) or two dates "
                "(2025-01-01..2025-03-31)."
            )
            % {"value": text},
        )

    @classmethod
    def default(cls, today: dt.date) -> Period:
        end = today.replace(day=1) - dt.timedelta(days=1)
        return cls(_add_months(end.replace(day=1), 1 - MONTHS), end, "custom")

    def param(self) -> str:
        """The value of ``?period=`` that gives this period back."""
        s = self.start
        if self.kind == "year":
            return str(s.year)
        if self.kind == "quarter":
            return f"{s.year}-K{(s.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{s.year}-{s.month:02d}"
        if self.kind == "week":
            return week_param(s)
        return f"{s.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        s = self.start
        if self.kind == "year":
            return str(s.year)
        if self.kind == "quarter":
            return _("quarter %(q)s %(year)s") % {"q": (s.month - 1) // 3 + 1, "year": s.year}
        if self.kind == "month":
            return date_format(s, "F Y")
        if self.kind == "week":
            iso = s.isocalendar()
            return _("week %(week)s %(year)s") % {"week": iso.week, "year": iso.year}
        return _("%(start)s–%(end)s") % {
            "start": date_format(self.start, "j M Y"),
            "end": date_format(self.end, "j M Y"),
        }

    # --- comparisons ------------------------------------------------------------------------
    def shifted_years(self, years: int) -> Period:
        """The same days ``years`` earlier (negative: later); 29 February becomes the 28th."""

        def shift(d: dt.date) -> dt.date:
            try:
                return d.replace(year=d.year - years)
            except ValueError:
                return d.replace(year=d.year - years, day=28)

        if self.kind == "week":
            iso = self.start.isocalendar()
            try:
                start = dt.date.fromisocalendar(iso.year - years, iso.week, 1)
            except ValueError:
                start = dt.date.fromisocalendar(iso.year - years, 52, 1)
            return Period(start, start + dt.timedelta(days=6), "week")
        return Period(shift(self.start), shift(self.end), self.kind)

    def previous(self) -> Period:
        """The period just before: the previous year, quarter, month or week, or as many days
        just before a custom period."""
        if self.kind in ("year", "quarter", "month"):
            months = {"year": 12, "quarter": 3, "month": 1}[self.kind]
            start = _add_months(self.start, -months)
            return Period(start, self.start - dt.timedelta(days=1), self.kind)
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end, self.kind)

    def earlier_years(self, n: int = 3) -> list[Period]:
        return [self.shifted_years(k) for k in range(1, n + 1)]


STREAMS = tuple(Stream.values)


@dataclass
class Scope:
    """A lägesbild's subject. ``areas`` empty: the whole municipality. ``layer``: the layer the
    figures are broken down by (and, with areas, the layer whose areas are counted: a scope
    counts in one layer at a time, so nested areas of two layers are never added up)."""

    municipality: Municipality
    period: Period
    forum: Forum | None = None
    areas: list[Area] = field(default_factory=list)
    layer: AreaLayer | None = None
    layers: list[AreaLayer] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)  # as chosen (main or sub)
    category_ids: list[int] | None = None  # every category counted; None: all
    streams: list[str] = field(default_factory=list)  # empty: all
    explicit: dict = field(default_factory=dict)  # the URL parameters as given

    @property
    def area_ids(self) -> list[int]:
        return [a.pk for a in self.areas]

    @property
    def title(self) -> str:
        if self.forum is not None:
            return self.forum.name
        if self.areas:
            return ", ".join(a.name for a in self.areas)
        return self.municipality.name

    def query(self, **changes) -> str:
        """The URL's query string for this scope, with ``changes`` (``None`` removes one)."""
        params = {**self.explicit, **changes}
        pairs = []
        for k, v in params.items():
            if v is None or v == "" or v == []:
                continue
            for one in v if isinstance(v, list | tuple) else [v]:
                pairs.append((k, one))
        return urlencode(pairs)

    def with_period(self, period: Period) -> Scope:
        return Scope(
            municipality=self.municipality,
            period=period,
            forum=self.forum,
            areas=self.areas,
            layer=self.layer,
            layers=self.layers,
            categories=self.categories,
            category_ids=self.category_ids,
            streams=self.streams,
            explicit={**self.explicit, "period": period.param()},
        )


def _ids(values: list[str], param: str) -> list[int]:
    try:
        return [int(v) for v in values if v.strip()]
    except ValueError:
        raise ScopeError(
            param, _("“%(param)s” takes ids (whole numbers).") % {"param": param}
        ) from None


def one_layer(
    areas: list[Area], layers: list[AreaLayer], layer: AreaLayer | None = None
) -> tuple[AreaLayer, list[Area]]:
    """The areas a scope counts, from one layer (nested areas of two layers are never added
    up): ``layer`` if it holds some of ``areas``, else the layer holding most of them (then the
    first of ``layers``, which are ordered by name); with that layer's areas by name."""
    in_layers: dict[int, list[Area]] = {}
    for a in areas:
        in_layers.setdefault(a.layer_id, []).append(a)
    if layer is None or layer.pk not in in_layers:
        order = {la.pk: i for i, la in enumerate(layers)}
        best = max(in_layers, key=lambda k: (len(in_layers[k]), -order.get(k, len(order))))
        layer = next((la for la in layers if la.pk == best), None) or in_layers[best][0].layer
    return layer, sorted(in_layers[layer.pk], key=lambda a: a.name)


def scope_from_query(user, municipality: Municipality, query, *, today: dt.date | None = None):
    """The :class:`Scope` the query (``request.GET``) describes, checked against what ``user``
    may see: a forum or area the user cannot see is refused like one that does not exist."""
    today = today or local_day(dt.datetime.now(dt.UTC))
    explicit: dict = {}
    text = (query.get("period") or "").strip()
    if text:
        period = Period.parse(text)
        explicit["period"] = period.param()
    else:
        period = Period.default(today)

    layers = list(AreaLayer.objects.filter(municipality=municipality).order_by("name"))
    by_layer = {la.pk: la for la in layers}
    forum = None
    areas: list[Area] = []
    if (value := (query.get("forum") or "").strip()) != "":
        (fid,) = _ids([value], "forum")
        forum = forums_for(user, municipality, VIEW).filter(pk=fid).first()
        if forum is None:
            raise ScopeError("forum", _("There is no forum %(id)s that you can see.") % {"id": fid})
        explicit["forum"] = fid
        areas = list(forum.areas.filter(municipality=municipality).defer("geometry"))
    if wanted := _ids(query.getlist("omrade"), "omrade"):
        found = list(
            Area.objects.filter(municipality=municipality, pk__in=wanted).defer("geometry")
        )
        if len(found) != len(set(wanted)):
            raise ScopeError("omrade", _("One of the areas is not an area of the municipality."))
        areas = found if forum is None else [a for a in areas if a.pk in set(wanted)]
        explicit["omrade"] = sorted(set(wanted))

    layer = None
    if (value := (query.get("lager") or "").strip()) != "":
        (lid,) = _ids([value], "lager")
        layer = by_layer.get(lid)
        if layer is None:
            raise ScopeError("lager", _("The municipality has no area layer %(id)s.") % {"id": lid})
        explicit["lager"] = lid
    if areas:
        layer, areas = one_layer(areas, layers, layer)
    elif layer is None and layers:
        # the municipality's own areas first (as an incident's own area prefers them)
        layer = next((la for la in layers if la.kind == LayerKind.OWN), layers[0])

    categories: list[Category] = []
    category_ids = None
    if codes := [c for c in query.getlist("kategori") if c.strip()]:
        usable = {c.code: c for c in categories_for(municipality)}
        unknown = [c for c in codes if c not in usable]
        if unknown:
            raise ScopeError(
                "kategori",
                _("The municipality has no category “%(code)s”.") % {"code": unknown[0]},
            )
        categories = [usable[c] for c in dict.fromkeys(codes)]
        chosen = {c.pk for c in categories}
        category_ids = sorted(
            Category.objects.filter(Q(pk__in=chosen) | Q(parent_id__in=chosen)).values_list(
                "pk", flat=True
            )
        )
        explicit["kategori"] = [c.code for c in categories]

    streams = [s for s in query.getlist("kalla") if s.strip()]
    if bad := [s for s in streams if s not in STREAMS]:
        raise ScopeError(
            "kalla",
            _("“%(value)s” is not a source. Choose among: %(choices)s.")
            % {"value": bad[0], "choices": ", ".join(STREAMS)},
        )
    if streams:
        streams = list(dict.fromkeys(streams))
        explicit["kalla"] = streams
    return Scope(
        municipality=municipality,
        period=period,
        forum=forum,
        areas=areas,
        layer=layer,
        layers=layers,
        categories=categories,
        category_ids=category_ids,
        streams=streams,
        explicit=explicit,
    )
