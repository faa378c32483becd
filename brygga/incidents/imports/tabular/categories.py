"""Which category a value of the category column means.

A value is matched, in this order, on

1. the mapping's choice for the value (made on the mapping page, or saved in a profile);
2. a category's code or name, as written (case and spaces aside);
3. a category's name in another form: without regard to case or diacritics (å, ä, ö, é …
   are folded for the comparison only; nothing stored changes) and in the plural or the
   definite form (``Skadegörelser``, ``skadegörelsen`` → Skadegörelse; ``Klottret`` →
   Klotter; ``brand`` → Bränder). Only a value that fits exactly one category is matched.

Anything else matches nothing, so its rows are errors. For such a value
:func:`suggest_category` proposes the most similar category name (``difflib``), which the
mapping page shows for the user to confirm; a suggestion is never used unconfirmed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from brygga.core.models import Municipality

from ...models import Category
from ...services import categories_for
from .values import normalise

if TYPE_CHECKING:
    from .mapping import Mapping

SUGGEST_CUTOFF = 0.75  # the least similarity (difflib's ratio) of a suggestion
_MIN_STEM = 3
# Endings of Swedish nouns in the plural and definite forms (folded), longest first; "e" so
# that "skadegörelse" and "skadegörelserna" share the stem "skadegorels".
_ENDINGS = ("erna", "arna", "orna", "na", "er", "ar", "or", "en", "et", "r", "n", "t", "e", "a")
_NOT_WORD = re.compile(r"[\W_]+")
_FOLD = str.maketrans({"æ": "a", "ø": "o", "ß": "ss", "ð": "d", "þ": "th", "ł": "l"})


def fold(value) -> str:
    """A value as it is compared: :func:`normalise`\\ d, diacritics removed, words only."""
    text = unicodedata.normalize("NFKD", normalise(value).translate(_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def stems(word: str) -> frozenset[str]:
    """The word and the stems it may have as a Swedish noun in another form."""
    out = {word}
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            stem = word[: -len(ending)]
            out.add(stem)
            # klotter → klottret, fönster → fönstret: the e before the r falls away
            if len(stem) > _MIN_STEM and stem.endswith("r") and stem[-2] not in "aeiouy":
                out.add(stem[:-1] + "er")
    return frozenset(out)


def _forms(text: str) -> tuple[frozenset[str], ...]:
    return tuple(stems(w) for w in fold(text).split())


def _same_word(a: tuple[frozenset[str], ...], b: tuple[frozenset[str], ...]) -> bool:
    return len(a) == len(b) and all(x & y for x, y in zip(a, b, strict=True))


@dataclass
class CategoryIndex:
    """The categories usable in a municipality, ready for matching."""

    by_code: dict[str, Category] = field(default_factory=dict)
    by_name: dict[str, Category] = field(default_factory=dict)
    # (category, the forms of one of its names), in the order of the categories
    forms: list[tuple[Category, tuple[frozenset[str], ...]]] = field(default_factory=list)
    # folded name → category, for the similarity suggestions
    folded: dict[str, Category] = field(default_factory=dict)
    _inflected: dict[str, Category | None] = field(default_factory=dict)

    def inflected(self, value) -> Category | None:
        """The one category whose name ``value`` is a form of (case, diacritics, plural,
        definite form aside); ``None`` when none or several fit."""
        key = fold(value)
        if key in self._inflected:
            return self._inflected[key]
        found: dict[int, Category] = {}
        if key:
            forms = _forms(key)
            for category, name_forms in self.forms:
                if _same_word(forms, name_forms):
                    found[category.pk] = category
        result = next(iter(found.values())) if len(found) == 1 else None
        self._inflected[key] = result
        return result


def category_index(municipality: Municipality) -> CategoryIndex:
    """Categories usable in ``municipality`` by code, by name and by the forms of the name."""
    index = CategoryIndex()
    for c in categories_for(municipality):
        index.by_code[normalise(c.code)] = c
        for name in (c.name, str(c)):
            index.by_name.setdefault(normalise(name), c)
            index.folded.setdefault(fold(name), c)
            index.forms.append((c, _forms(name)))
    return index


def match_category(value, mapping: Mapping, index: CategoryIndex) -> Category | None:
    """The category ``value`` means (see the module docstring), or ``None``."""
    key = normalise(value)
    code = mapping.categories.get(key)
    if code:
        return index.by_code.get(normalise(code))
    return index.by_code.get(key) or index.by_name.get(key) or index.inflected(value)


def suggest_category(value, index: CategoryIndex) -> Category | None:
    """The category whose name is most like ``value``, if it is similar enough
    (:data:`SUGGEST_CUTOFF`): a proposal for the user to confirm, never a match."""
    key = fold(value)
    if not key:
        return None
    best = difflib.get_close_matches(key, list(index.folded), n=1, cutoff=SUGGEST_CUTOFF)
    return index.folded[best[0]] if best else None
