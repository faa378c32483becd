"""The column mapping: which column of the file holds which field of an incident, and which
category each value of the category column means. A mapping can be saved as an
:class:`~brygga.incidents.models.ImportProfile` (JSON, ``version: 1``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .read import Table
from .report import TabularError
from .values import normalise

FIELDS: dict[str, Any] = {
    "occurred_at": gettext_lazy("Date and time (in one column)"),
    "date": gettext_lazy("Date (the whole day, unless a time of day is chosen)"),
    "time_of_day": gettext_lazy("Time of day (with the date)"),
    "category": gettext_lazy("Category (name or code)"),
    "lat": gettext_lazy("Latitude (WGS84)"),
    "lon": gettext_lazy("Longitude (WGS84)"),
    "sweref_e": gettext_lazy("Easting E (SWEREF 99 TM)"),
    "sweref_n": gettext_lazy("Northing N (SWEREF 99 TM)"),
    "area": gettext_lazy("Area (name or official code, e.g. DeSO)"),
    "municipality": gettext_lazy("Municipality (name or municipality code)"),
    "count": gettext_lazy("Number of events"),
    "description": gettext_lazy("Description"),
    "place": gettext_lazy("Place"),
    "source_id": gettext_lazy("Id in the source system"),
}


@dataclass
class Mapping:
    """Which column holds which field, and which category each source value means.

    ``columns``: field → column id; ``categories``: normalised source value → category code;
    ``register``: the register the file's ids belong to (ids are unique per register, so two
    registers may both have an id "1"; empty: the register of imports without one).
    Stored as JSON in :class:`ImportProfile.mapping`."""

    columns: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    has_header: bool = True
    register: str = ""

    def to_json(self) -> dict:
        out = {
            "version": 1,
            "columns": dict(self.columns),
            "categories": dict(self.categories),
            "has_header": self.has_header,
        }
        if self.register:
            out["register"] = self.register
        return out

    @classmethod
    def from_json(cls, data: dict | None) -> Mapping:
        data = data or {}
        columns = {k: str(v) for k, v in (data.get("columns") or {}).items() if k in FIELDS and v}
        categories = {normalise(k): str(v) for k, v in (data.get("categories") or {}).items() if v}
        return cls(
            columns=columns,
            categories=categories,
            has_header=data.get("has_header", True),
            register=str(data.get("register") or "")[:100],
        )

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
