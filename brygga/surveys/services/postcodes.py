"""The postcode table of an area layer (the one writer of ``PostcodeArea``): which area each
postcode lies in, for response files that give the respondent's postcode instead of an area.

The table is uploaded as a two-column CSV — ``postnummer;område`` — where the area is given by
its official code (DeSO, RegSO or the area's own code) or its name. The whole table of the layer
is replaced at once, after every row is checked; a postcode in two rows or an unknown area is a
problem naming file, row and column, and nothing is written."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import resolver_for
from brygga.core.area_codes import normalise_code
from brygga.core.models import Area, AreaLayer, Municipality

from ..mapping import fold, fold_label
from ..models import PostcodeArea
from ..readers import SurveyReadError, read_csv
from .imports import SurveyImportError

POSTCODE = re.compile(r"^\d{5}$")
HEADER_WORDS = {"postnr", "postnummer", "postkod", "postcode"}


def _require(actor, municipality) -> None:
    if not resolver_for(actor).can_create_in(PostcodeArea, municipality):
        raise PermissionDenied


def parse_postcode_table(
    *, content: bytes, file_name: str, layer: AreaLayer
) -> tuple[dict[str, int], list[str]]:
    """``{postcode: area id}`` and the problems of the file (Swedish)."""
    try:
        parsed = read_csv(content, file_name)
    except SurveyReadError as exc:
        return {}, [str(exc)]
    rows = [parsed.columns, *parsed.rows]
    first = 1
    if rows and fold(rows[0][0] if rows[0] else "") in HEADER_WORDS:
        rows, first = rows[1:], 2
    by_code: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for pk, name, code in Area.objects.filter(
        municipality_id=layer.municipality_id, layer=layer
    ).values_list("pk", "name", "official_code"):
        if code:
            by_code.setdefault(normalise_code(code), pk)
        by_name.setdefault(fold_label(name), pk)
    table: dict[str, int] = {}
    seen: dict[str, int] = {}
    problems: list[str] = []
    for n, row in enumerate(rows, start=first):
        cells = [str(c or "").strip() for c in row]
        if not any(cells):
            continue
        place = {"file": file_name, "row": n}
        if len(cells) < 2:
            problems.append(
                _("%(file)s, row %(row)s: give the postcode and the area, separated by ;") % place
            )
            continue
        postcode = re.sub(r"\s", "", cells[0])
        area = by_code.get(normalise_code(cells[1])) or by_name.get(fold_label(cells[1]))
        if not POSTCODE.match(postcode):
            problems.append(
                _("%(file)s, row %(row)s, column A: “%(value)s” is not a postcode (five digits).")
                % {**place, "value": cells[0]}
            )
        elif postcode in seen:
            problems.append(
                _(
                    "%(file)s, row %(row)s, column A: the postcode %(value)s is in row %(first)s too."
                )
                % {**place, "value": postcode, "first": seen[postcode]}
            )
        if area is None:
            problems.append(
                _(
                    "%(file)s, row %(row)s, column B: “%(value)s” is not an area of the layer "
                    "“%(layer)s” (give its code or its name)."
                )
                % {**place, "value": cells[1], "layer": layer.name}
            )
        seen.setdefault(postcode, n)
        if area is not None and POSTCODE.match(postcode):
            table[postcode] = area
    if not table and not problems:
        problems.append(_("%(file)s has no postcodes.") % {"file": file_name})
    return table, problems


@transaction.atomic
def postcode_table_replace(
    *, actor, municipality: Municipality, layer: AreaLayer, content: bytes, file_name: str
) -> int:
    """Replace the postcode table of ``layer`` by the file's; returns the number of postcodes.
    Raises ``SurveyImportError`` with the problems (nothing written)."""
    _require(actor, municipality)
    if layer.municipality_id != municipality.pk:
        raise PermissionDenied
    table, problems = parse_postcode_table(content=content, file_name=file_name, layer=layer)
    if problems:
        raise SurveyImportError(problems)
    existing = PostcodeArea.objects.filter(municipality=municipality, layer=layer)
    replaced = existing.count()
    existing.delete()
    PostcodeArea.objects.bulk_create(
        PostcodeArea(municipality=municipality, layer=layer, postcode=code, area_id=area)
        for code, area in sorted(table.items())
    )
    log_action(
        event_type="survey_postcodes_replaced",
        subject=layer,
        details={"postcodes": len(table), "replaced": replaced},
        municipality_id=municipality.pk,
    )
    return len(table)
