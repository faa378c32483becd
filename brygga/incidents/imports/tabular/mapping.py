"""The column mapping: which column of the file holds which field of an incident, and which
category each value of the category column means. A mapping can be saved as an
:class:`~brygga.incidents.models.ImportProfile` (JSON, ``version: 1``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.core.models import Municipality

from ...models import Category
from ...services import categories_for
from .read import Table
from .report import TabularError
from .values import normalise

FIELDS: dict[str, Any] = {
    "occurred_at": gettext_lazy("Time (date and time)"),
    "date": gettext_lazy("Date only (the whole day)"),
    "time_of_day": gettext_lazy("Time of day (with the date)"),
    "category": gettext_lazy("Category (name or code)"),
    "lat": gettext_lazy("Latitude (WGS84)"),
    "lon": gettext_lazy("Longitude (WGS84)"),
    "sweref_e": gettext_lazy("Easting E (SWEREF 99 TM)"),
    "sweref_n": gettext_lazy("Northing N (SWEREF 99 TM)"),
    "area": gettext_lazy("Area (name or official code, e.g. DeSO)"),
    "count": gettext_lazy("Number of events"),
    "description": gettext_lazy("Description"),
    "place": gettext_lazy("Place"),
    "source_id": gettext_lazy("Id in the source system"),
}

# Header names (case-insensitive) that suggest a field when no profile is used.
_SUGGEST = {
    "occurred_at": (
        "tidpunkt",
        "datum och tid",
        "händelsetid",
        "tid",
        "time",
        "datetime",
        "occurred",
        "occurred_at",
        "timestamp",
        "datum/tid",
    ),
    "date": ("datum", "date", "dag", "händelsedatum"),
    "time_of_day": ("klockslag", "kl", "kl.", "tid på dygnet", "time of day"),
    "category": ("kategori", "händelsetyp", "typ", "category", "type", "kategorikod", "kod"),
    "lat": ("lat", "latitud", "latitude", "wgs84 lat"),
    "lon": ("lon", "long", "lng", "longitud", "longitude", "wgs84 lon"),
    "sweref_e": ("e", "easting", "östlig", "e (sweref)", "sweref_e", "sweref e", "öst"),
    "sweref_n": ("n", "northing", "nordlig", "n (sweref)", "sweref_n", "sweref n", "nord"),
    "area": ("område", "omrade", "area", "deso", "desokod", "deso-kod", "regso", "stadsdel"),
    "count": ("antal", "count", "number", "antal händelser"),
    "description": ("beskrivning", "description", "text", "händelse", "kommentar"),
    "place": ("plats", "adress", "place", "address", "platsbeskrivning"),
    "source_id": (
        "id",
        "löpnummer",
        "ärendenummer",
        "source_id",
        "referens",
        "händelse-id",
        "rapport-id",
    ),
}


@dataclass
class Mapping:
    """Which column holds which field, and which category each source value means.

    ``columns``: field → column id; ``categories``: normalised source value → category code.
    Stored as JSON in :class:`ImportProfile.mapping`."""

    columns: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    has_header: bool = True

    def to_json(self) -> dict:
        return {
            "version": 1,
            "columns": dict(self.columns),
            "categories": dict(self.categories),
            "has_header": self.has_header,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> Mapping:
        data = data or {}
        columns = {k: str(v) for k, v in (data.get("columns") or {}).items() if k in FIELDS and v}
        categories = {normalise(k): str(v) for k, v in (data.get("categories") or {}).items() if v}
        return cls(columns=columns, categories=categories, has_header=data.get("has_header", True))

    def problems(self) -> list[str]:
        """What is missing or inconsistent in the mapping itself."""
        c = self.columns
        out = []
        if not (c.get("occurred_at") or c.get("date")):
            out.append(_("Choose the column with the time or the date."))
        if c.get("occurred_at") and c.get("date"):
            out.append(_("Choose either a time column or a date column, not both."))
        if c.get("time_of_day") and not c.get("date"):
            out.append(_("A time-of-day column needs a date column."))
        if not c.get("category"):
            out.append(_("Choose the column with the category."))
        for a, b in (("lat", "lon"), ("sweref_e", "sweref_n")):
            if bool(c.get(a)) != bool(c.get(b)):
                out.append(_("Choose both “%(a)s” and “%(b)s”.") % {"a": FIELDS[a], "b": FIELDS[b]})
        if not (
            (c.get("lat") and c.get("lon"))
            or (c.get("sweref_e") and c.get("sweref_n"))
            or c.get("area")
        ):
            out.append(
                _("Choose where it happened: WGS84 or SWEREF 99 TM coordinates, or an area.")
            )
        used = Counter(v for v in c.values() if v)
        for column, n in used.items():
            if n > 1:
                out.append(
                    _("The column “%(column)s” is chosen for more than one field.")
                    % {"column": column}
                )
        return out

    def indices(self, table: Table) -> dict[str, int]:
        """Field → column index in ``table``; a missing column is an error naming the field."""
        out, missing = {}, []
        by_id = {cid: i for i, cid in enumerate(table.columns)}
        by_fold = {cid.casefold(): i for i, cid in reversed(list(enumerate(table.columns)))}
        for key, cid in self.columns.items():
            i = by_id.get(cid, by_fold.get(cid.casefold()))
            if i is None:
                missing.append((key, cid))
            else:
                out[key] = i
        if missing:
            raise TabularError(
                _("“%(file)s” has no column %(columns)s.")
                % {
                    "file": table.file_name,
                    "columns": ", ".join(
                        _("“%(column)s” (for %(field)s)") % {"column": cid, "field": FIELDS[k]}
                        for k, cid in missing
                    ),
                },
                column=", ".join(cid for _k, cid in missing),
            )
        return out


def suggest_mapping(table: Table) -> Mapping:
    """A first guess from the column names."""
    columns: dict[str, str] = {}
    folded = [c.casefold() for c in table.columns]
    for key, names in _SUGGEST.items():
        for name in names:
            if name in folded and table.columns[folded.index(name)] not in columns.values():
                columns[key] = table.columns[folded.index(name)]
                break
    if columns.get("occurred_at") and columns.get("date"):
        columns.pop("date")
    return Mapping(columns=columns, has_header=table.detected.has_header)


def category_index(municipality: Municipality) -> tuple[dict[str, Category], dict[str, Category]]:
    """Categories usable in ``municipality`` by code and by name (normalised)."""
    by_code, by_name = {}, {}
    for c in categories_for(municipality):
        by_code[normalise(c.code)] = c
        by_name.setdefault(normalise(c.name), c)
        by_name.setdefault(normalise(str(c)), c)
    return by_code, by_name


def match_category(value, mapping: Mapping, index) -> Category | None:
    by_code, by_name = index
    key = normalise(value)
    code = mapping.categories.get(key)
    if code:
        return by_code.get(normalise(code))
    return by_code.get(key) or by_name.get(key)
