"""Which municipality and area a row of a register extract belongs to.

A police register extract locates each offence only by a municipality and a DeSO code
(``2281C1010``: the first four digits are the kommunkod). The municipality column may hold a
name ("Sundsvall", "Sundsvalls kommun") or a kommunkod ("2281"; "180" from a spreadsheet that
dropped the leading zero is read as 0180). Each municipality of an import has its own
:class:`Place`: its categories, its areas by official code and name, and the point checks
(made only when a row of it has a point)."""

from __future__ import annotations

from dataclasses import dataclass, field

from brygga.core.area_codes import normalise_code, statistical_kind
from brygga.core.models import Area, Municipality

from .categories import CategoryIndex, category_index
from .locate import Locator
from .values import _text, normalise


def area_code(value) -> str | None:
    """``value`` as a DeSO or RegSO code (upper case), or ``None`` when it is not one."""
    code = normalise_code(_text(value))
    return code if statistical_kind(code) else None


class MunicipalityIndex:
    """Municipalities by kommunkod and by name, with or without "kommun"."""

    def __init__(self):
        self.by_key: dict[str, Municipality] = {}
        for m in Municipality.objects.order_by("code"):
            self.by_key[m.code] = m
            for name in (m.name, f"{m.name} kommun", f"{m.name}s kommun", f"{m.name} stad"):
                self.by_key.setdefault(normalise(name), m)
        self._cache: dict[object, Municipality | None] = {}

    def find(self, value) -> Municipality | None:
        if value in self._cache:
            return self._cache[value]
        text = normalise(value)
        if text.isdigit() and len(text) < 4:
            text = text.zfill(4)
        found = self.by_key.get(text)
        self._cache[value] = found
        return found


@dataclass
class Place:
    """What the rows of one municipality are checked against."""

    municipality: Municipality
    categories: CategoryIndex
    areas: dict[str, int]
    category_ids: dict = field(default_factory=dict)
    _locator: Locator | None = None

    @classmethod
    def of(cls, municipality: Municipality) -> Place:
        return cls(municipality, category_index(municipality), area_index(municipality))

    @property
    def locator(self) -> Locator:
        if self._locator is None:
            self._locator = Locator(self.municipality)
        return self._locator


def area_index(municipality: Municipality) -> dict[str, int]:
    """Areas by official code, then by name (normalised; the first area wins)."""
    by_key: dict[str, int] = {}
    areas = list(Area.objects.filter(municipality=municipality).order_by("pk"))
    for a in areas:
        if a.official_code:
            by_key.setdefault(normalise(a.official_code), a.pk)
    for a in areas:
        by_key.setdefault(normalise(a.name), a.pk)
    return by_key
