"""SCB's statistical area codes (DeSO and RegSO) and the municipality code they carry.

A DeSO code is the four-digit kommunkod, a letter for the kind of area (A: mostly rural,
B: a smaller locality, C: a central locality) and four digits, e.g. ``2281C1010`` (Sundsvall).
A RegSO code is the kommunkod, ``R`` and three digits, e.g. ``2281R010``. Both tell which
municipality an area belongs to, so a code of another municipality is refused, not guessed.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DESO_CODE = re.compile(r"^(\d{4})[ABC]\d{4}$")
REGSO_CODE = re.compile(r"^(\d{4})R\d{3}$")
_PATTERNS = {"deso": DESO_CODE, "regso": REGSO_CODE}
_EXAMPLES = {"deso": "2281C1010", "regso": "2281R010"}


def normalise_code(code) -> str:
    """A code as files write it: surrounding space removed; a DeSO/RegSO code in capitals."""
    code = str(code or "").strip()
    upper = code.upper()
    return upper if any(p.match(upper) for p in (DESO_CODE, REGSO_CODE)) else code


def statistical_kind(code: str) -> str | None:
    """``"deso"``, ``"regso"`` or ``None`` for a code of neither shape."""
    code = normalise_code(code)
    for kind, pattern in _PATTERNS.items():
        if pattern.match(code):
            return kind
    return None


def code_municipality(code: str) -> str | None:
    """The kommunkod a DeSO/RegSO code carries (``None`` for other codes)."""
    code = normalise_code(code)
    for pattern in _PATTERNS.values():
        if m := pattern.match(code):
            return m.group(1)
    return None


def check_area_code(code: str, *, layer_kind: str, municipality) -> None:
    """Raise a ValidationError (field ``official_code``) when ``code`` cannot be an area's code
    in a layer of ``layer_kind`` of ``municipality``: a statistical layer needs a code of its
    kind, and a DeSO/RegSO code in any layer must carry the municipality's own kommunkod."""
    code = normalise_code(code)
    pattern = _PATTERNS.get(layer_kind)
    if pattern is not None and not pattern.match(code):
        raise ValidationError(
            {
                "official_code": _(
                    "“%(code)s” is not a %(kind)s code (for example %(example)s: the "
                    "municipality code, then the area's own part)."
                )
                % {
                    "code": code or _("(empty)"),
                    "kind": layer_kind.upper().replace("DESO", "DeSO").replace("REGSO", "RegSO"),
                    "example": _EXAMPLES[layer_kind],
                }
            }
        )
    owner = code_municipality(code)
    if owner is not None and owner != municipality.code:
        raise ValidationError({"official_code": wrong_municipality_message(code, municipality)})


def wrong_municipality_message(code: str, municipality) -> str:
    """“The code 1480C2590 belongs to Göteborg (1480), not to Sundsvall (2281).”"""
    from .models import Municipality

    owner = code_municipality(code) or ""
    owner_name = Municipality.objects.filter(code=owner).values_list(
        "name", flat=True
    ).first() or _("an unknown municipality")
    return _("The code %(code)s belongs to %(owner)s (%(kod)s), not to %(name)s (%(own)s).") % {
        "code": code,
        "owner": owner_name,
        "kod": owner,
        "name": municipality.name,
        "own": municipality.code,
    }
