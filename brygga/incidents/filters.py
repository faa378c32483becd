"""One filter set for the incident list, the map, the exports and the API.

The same query string means the same rows everywhere: the list page's "Export" links pass the
current query string on, and ``/api/v1/incidents/`` accepts the same parameters (plus
``municipality`` and ``bbox``). The base queryset always comes from the resolver (``visible_to``
or ``selectors.incidents_for``); the filters only narrow it further.

Parameters
    ``area``        an area id (incidents placed in that area)
    ``forum``       a forum id: incidents in the forum's areas (a forum without areas: incidents
                    reported by its member organisations)
    ``category``    a category id; a main category includes its sub-categories
    ``date_from``   ``YYYY-MM-DD``, incidents from the start of that day (Swedish time)
    ``date_to``     ``YYYY-MM-DD``, up to the end of that day
    ``source``, ``status``  one of the model's choices
    ``q``           free text: the category's name, the place, the police's type of event, and
                    the description only of incidents whose text the user may read
                    (``access.personal_text_readable``)
    ``bbox``        ``minlon,minlat,maxlon,maxlat`` (WGS84; incidents with a point inside)
    ``municipality``  a kommunkod (API only; the web pages take it from the URL); includes the
                    county-level police events of the municipality's county

A ``date_from`` after ``date_to`` is an error of the form (the API answers 400), not an empty
selection: the dates are then left out and the page says why.
"""

from __future__ import annotations

import datetime as dt
import math

import django_filters as df
from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from brygga.core.access import VIEW, resolver_for
from brygga.core.models import Area, Forum, Municipality

from .access import personal_text_readable
from .models import Category, Incident, Source, Status
from .selectors import in_areas, in_forum, municipality_scope


class BBoxField(forms.CharField):
    """``minlon,minlat,maxlon,maxlat`` in WGS84 degrees → a tuple of four floats."""

    default_error_messages = {
        "invalid": _(
            "Give the box as minlon,minlat,maxlon,maxlat in WGS84 degrees, "
            "e.g. 17.2,62.3,17.4,62.5."
        ),
        "order": _("The box's minimum must not be larger than its maximum."),
        "range": _("Longitude must lie within ±180 and latitude within ±90."),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        parts = value.split(",")
        if len(parts) != 4:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not all(math.isfinite(v) for v in nums):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        minlon, minlat, maxlon, maxlat = nums
        if max(abs(minlon), abs(maxlon)) > 180 or max(abs(minlat), abs(maxlat)) > 90:
            raise ValidationError(self.error_messages["range"], code="range")
        if minlon > maxlon or minlat > maxlat:
            raise ValidationError(self.error_messages["order"], code="order")
        return (minlon, minlat, maxlon, maxlat)


@extend_schema_field(OpenApiTypes.STR)
class BBoxFilter(df.Filter):
    field_class = BBoxField

    # On SQLite a box that holds many points is filtered without the (lat, lon) index: SQLite
    # keeps no range statistics, so it would take every row in the box from that index and
    # sort them all by time (a town-centre box of a million incidents: about a second) instead
    # of walking the time index and stopping after one page. A small box keeps the index.
    dense = 2_000

    def filter(self, qs, value):
        if not value:
            return qs
        minlon, minlat, maxlon, maxlat = value
        box = {"lon__gte": minlon, "lon__lte": maxlon, "lat__gte": minlat, "lat__lte": maxlat}
        if connections[qs.db].vendor == "sqlite" and self._is_dense(qs, box):
            qs = qs.alias(
                lat_noindex=ExpressionWrapper(F("lat") + 0.0, output_field=FloatField()),
                lon_noindex=ExpressionWrapper(F("lon") + 0.0, output_field=FloatField()),
            )
            box = {k.replace("__", "_noindex__", 1): v for k, v in box.items()}
        return qs.filter(**box)

    def _is_dense(self, qs, box: dict) -> bool:
        # Only chooses the query plan: the rows counted here are never shown.
        sample = qs.model._base_manager.using(qs.db).filter(**box).order_by()[: self.dense]
        return sample.count() >= self.dense


@extend_schema_field(OpenApiTypes.INT)
class IdChoiceFilter(df.ModelChoiceFilter):
    """A related row by id (typed as an integer in the OpenAPI schema)."""


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _user(request):
    return getattr(request, "user", None)


def _areas(request):
    return Area.objects.visible_to(_user(request), VIEW).order_by("name")


def _forums(request):
    return Forum.objects.visible_to(_user(request), VIEW).order_by("name")


def _categories(request):
    return Category.objects.visible_to(_user(request), VIEW).select_related("parent")


SEARCH_MAX_LENGTH = 100
SEARCH_LOGGED = "[search]"  # what the export log says for the search words


class IncidentFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            data.pop("date_from", None)
            self.add_error(
                "date_to",
                ValidationError(
                    _("“To” (%(end)s) is before “From” (%(start)s). Choose a later “To” date."),
                    code="date_order",
                    params={"start": start.isoformat(), "end": end.isoformat()},
                ),
            )
        return data


class IncidentFilter(df.FilterSet):
    q = df.CharFilter(
        label=_("Search"),
        method="filter_q",
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("Words in the category, the place or the description."),
    )
    area = IdChoiceFilter(
        label=_("Area"), queryset=_areas, method="filter_area", empty_label=_("All areas")
    )
    forum = IdChoiceFilter(
        label=_("Forum"), queryset=_forums, method="filter_forum", empty_label=_("All forums")
    )
    category = IdChoiceFilter(
        label=_("Category"),
        queryset=_categories,
        method="filter_category",
        empty_label=_("All categories"),
    )
    date_from = df.DateFilter(
        label=_("From (date)"),
        method="filter_date_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = df.DateFilter(
        label=_("To (date)"),
        method="filter_date_to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    source = df.ChoiceFilter(
        label=_("Source"), choices=Source.choices, empty_label=_("All sources")
    )
    status = df.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("All statuses")
    )
    bbox = BBoxFilter(
        label=_("Box (minlon,minlat,maxlon,maxlat)"),
        help_text=_("WGS84 bounding box: minlon,minlat,maxlon,maxlat"),
    )

    class Meta:
        model = Incident
        fields: list[str] = []
        form = IncidentFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, municipality=None, **kw):
        super().__init__(data, queryset, request=request, **kw)
        self.municipality = municipality
        if municipality is not None:
            # Web pages: choices from the municipality in the URL only; no bbox field in the form.
            self.filters.pop("bbox", None)
            user = _user(request)
            self.filters["area"].queryset = (
                Area.objects.visible_to(user, VIEW)
                .filter(municipality=municipality)
                .order_by("name")
            )
            self.filters["forum"].queryset = (
                Forum.objects.visible_to(user, VIEW)
                .filter(municipality=municipality)
                .order_by("name")
            )
            from .services import categories_for

            self.filters["category"].queryset = categories_for(municipality).filter(
                parent__isnull=True
            )

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        words = value.split()[:10]
        if not words:
            return qs
        readable = personal_text_readable(resolver_for(_user(self.request)))
        for word in words:
            # category names as ids (no join in the list's query); the categories searched are
            # those the user can see
            categories = Category.objects.visible_to(_user(self.request), VIEW).filter(
                Q(name__icontains=word) | Q(parent__name__icontains=word)
            )
            qs = qs.filter(
                Q(place_description__icontains=word)
                | Q(source_type__icontains=word)
                | Q(category_id__in=list(categories.values_list("pk", flat=True)))
                | (Q(description__icontains=word) & readable)
            )
        return qs

    def filter_area(self, qs: QuerySet, name: str, area: Area) -> QuerySet:
        # the incidents placed in the area, whatever its layer (not only their one ``area``)
        return in_areas(qs, area.municipality_id, [area.pk])

    def filter_forum(self, qs: QuerySet, name: str, forum: Forum) -> QuerySet:
        return in_forum(qs, forum)

    def filter_category(self, qs: QuerySet, name: str, category: Category) -> QuerySet:
        # ids rather than a join on the parent: the ids are in the list index, a join is not
        ids = [category.pk, *Category.objects.filter(parent=category).values_list("pk", flat=True)]
        return qs.filter(category_id__in=ids)

    # Dates far outside any incident are clamped so that no time-zone arithmetic overflows.
    def filter_date_from(self, qs: QuerySet, name: str, day: dt.date) -> QuerySet:
        if day.year < 1900:
            return qs
        if day.year > 9000:
            return qs.none()
        return qs.filter(occurred_from__gte=_day_start(day))

    def filter_date_to(self, qs: QuerySet, name: str, day: dt.date) -> QuerySet:
        if day.year < 1900:
            return qs.none()
        if day.year > 9000:
            return qs
        return qs.filter(occurred_from__lt=_day_start(day + dt.timedelta(days=1)))

    def active(self) -> dict[str, str]:
        """The filters in use (valid ones), for export logging. The search words are left
        out (a search may name a person, and personal data stays out of the audit details);
        that there was a search is kept."""
        if not self.is_bound or not self.is_valid():
            return {}
        out = {
            k: str(getattr(v, "pk", v))
            for k, v in self.form.cleaned_data.items()
            if v not in (None, "", [])
        }
        if "q" in out:
            out["q"] = SEARCH_LOGGED
        return out


class ApiIncidentFilter(IncidentFilter):
    municipality = df.CharFilter(
        label=_("Municipality code"),
        method="filter_municipality",
        help_text=_("Kommunkod, e.g. 2281; includes the county-level police events of its county."),
    )

    def filter_municipality(self, qs: QuerySet, name: str, code: str) -> QuerySet:
        if not (len(code) == 4 and code.isascii() and code.isdigit()):
            return qs.none()
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:
            return qs.none()
        return municipality_scope(qs, municipality)
