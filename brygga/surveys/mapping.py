"""The column mapping of a response file and the check of every row (no database: the
services hand in the wave's questions, areas and postcodes as plain dicts).

A mapping is ``{column name: target}``, where the target is ``"q:<question code>"``, one of the
roles in :data:`ROLES` or ``""`` (ignored). :func:`suggest_mapping` proposes one from the column
names; :func:`check_rows` reads every row against it and returns the respondents ready for
``wave_responses_replace`` — or the problems, each naming file, row and column. Nothing is
written while any problem remains."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.core.area_codes import code_municipality, normalise_code

from .readers import ParsedFile, column_letter, format_cell
from .services.waves import Respondent

QUESTION = "q:"
IGNORE = ""
ID, AREA_CODE, AREA_NAME, POSTCODE = "id", "area_code", "area_name", "postcode"
AGE, GENDER, WEIGHT, MUNICIPALITY, YEAR = "age_group", "gender", "weight", "municipality", "year"
ROLES = {
    ID: gettext_lazy("Respondent id"),
    AREA_CODE: gettext_lazy("Area code (DeSO, RegSO or the area's own code)"),
    AREA_NAME: gettext_lazy("Area name"),
    POSTCODE: gettext_lazy("Postcode"),
    AGE: gettext_lazy("Age group"),
    GENDER: gettext_lazy("Gender"),
    WEIGHT: gettext_lazy("Design weight"),
    MUNICIPALITY: gettext_lazy("Municipality code"),
    YEAR: gettext_lazy("Year"),
}
AREA_ROLES = (AREA_CODE, AREA_NAME, POSTCODE)
# Column names (folded: lower case, å/ä → a, ö → o, no spaces or punctuation) of each role.
ROLE_NAMES = {
    ID: ("lopnr", "id", "respondent", "respondentid", "respid", "lopnummer", "idnr"),
    AREA_CODE: ("deso", "regso", "desokod", "regsokod", "omradeskod", "omradekod", "areacode"),
    AREA_NAME: ("omrade", "omradesnamn", "omradenamn", "stadsdel", "area"),
    POSTCODE: ("postnr", "postnummer", "postkod", "postcode"),
    AGE: ("alder", "aldersgrupp", "aldersklass", "agegroup", "age"),
    GENDER: ("kon", "gender", "sex"),
    WEIGHT: ("vikt", "weight", "designvikt", "vikter", "wt"),
    MUNICIPALITY: ("kommun", "kommunkod", "kommunnr", "kn"),
    YEAR: ("ar", "year", "undersokningsar", "matar"),
}
# Answers written as words that mean "no answer" (besides the question's own missing values).
MISSING_WORDS = {
    "vet ej",
    "vet inte",
    "ingen uppgift",
    "uppgift saknas",
    "ej svar",
    "inget svar",
    "vill ej svara",
    "vill inte svara",
    "ej aktuellt",
    "-",
    ".",
    "..",
}
SHOWN_ROWS = 10


def fold(text) -> str:
    text = str(text or "").strip().casefold()
    text = text.replace("å", "a").replace("ä", "a").replace("ö", "o").replace("é", "e")
    return re.sub(r"[^a-z0-9]", "", text)


def fold_label(text) -> str:
    return re.sub(r"\s+", " ", str(text or "").strip().casefold())


def parse_number(value) -> float:
    """A number as files write it (decimal comma or point, spaces as thousands separators);
    raises ValueError for anything else."""
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError(text)
    return float(text)


def whole(value) -> str:
    """A code cell as text: 2281.0 → "2281"."""
    return format_cell(value).strip()


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    values: frozenset[float]
    missing: frozenset[float]
    labels: dict  # folded label → value

    @classmethod
    def of(cls, question) -> QuestionSpec:
        return cls(
            code=question.code,
            values=frozenset(question.values),
            missing=frozenset(float(v) for v in question.missing or []),
            labels={fold_label(o["label"]): float(o["value"]) for o in question.scale},
        )

    def allowed(self) -> str:
        return ", ".join(format_cell(v) for v in sorted(self.values - self.missing))


@dataclass
class CheckContext:
    """What the rows are checked against (built by ``services.imports.check_context``)."""

    municipality_code: str
    municipality_name: str
    year: int
    questions: dict[str, QuestionSpec]
    areas_by_code: dict[str, int] = field(default_factory=dict)
    areas_by_name: dict[str, int] = field(default_factory=dict)  # folded name → id
    postcodes: dict[str, int] = field(default_factory=dict)
    area_names: dict[int, str] = field(default_factory=dict)  # the layer's areas
    layer_name: str = ""


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return _("%(file)s, column %(column)s: %(message)s") % {
                "file": self.file,
                "column": self.column,
                "message": self.message,
            }
        return _("%(file)s, row %(row)s, column %(column)s: %(message)s") % {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Checked:
    respondents: list[Respondent] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    per_area: Counter = field(default_factory=Counter)  # area id (None: not placed) → n
    questions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- the mapping ----------------------------------------------------------------------------
def suggest_mapping(columns: list[str], question_codes: list[str]) -> dict[str, str]:
    """Column name == question code (case and punctuation aside) → that question; a common
    name of a role → the role (the first such column); anything else ignored."""
    codes = {fold(c): c for c in question_codes}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        key = fold(column)
        target = IGNORE
        if column in question_codes:
            target = QUESTION + column
        elif key in codes:
            target = QUESTION + codes[key]
        else:
            for role, names in ROLE_NAMES.items():
                if key in names and role not in taken:
                    target = role
                    break
        if target and target in taken:
            target = IGNORE
        if target:
            taken.add(target)
            if target in AREA_ROLES:
                taken.update(AREA_ROLES)
        mapping[column] = target
    return mapping


def parse_target(text: str, question_codes: list[str]) -> str | None:
    """``--map col=TARGET`` and form values: a role, a question code (with or without
    ``q:``), or ``ignore``/``-``/empty. ``None`` when unknown."""
    text = str(text or "").strip()
    if text in ("", "-", "ignore", "ignorera"):
        return IGNORE
    if text in ROLES:
        return text
    code = text.removeprefix(QUESTION)
    if code in question_codes:
        return QUESTION + code
    return None


def mapping_problems(parsed: ParsedFile, mapping: dict[str, str]) -> list[Problem]:
    """Problems of the mapping as a whole (before any row is read)."""
    problems = []
    counts = Counter(t for t in mapping.values() if t)
    if not any(t.startswith(QUESTION) for t in counts):
        problems.append(
            Problem(
                parsed.file_name,
                None,
                "–",
                _("no column is mapped to a question of the wave, so there is nothing to import."),
            )
        )
    for target, n in counts.items():
        if n > 1:
            problems.append(
                Problem(
                    parsed.file_name,
                    None,
                    ", ".join(c for c, t in mapping.items() if t == target),
                    _("%(target)s is chosen for more than one column.")
                    % {"target": target_label(target)},
                )
            )
    areas = [c for c, t in mapping.items() if t in AREA_ROLES]
    if len(areas) > 1:
        problems.append(
            Problem(
                parsed.file_name,
                None,
                ", ".join(areas),
                _("choose one column for the respondent's area (code, name or postcode)."),
            )
        )
    return problems


def target_label(target: str) -> str:
    if target.startswith(QUESTION):
        return _("question %(code)s") % {"code": target.removeprefix(QUESTION)}
    return str(ROLES.get(target, target))


# --- the rows -------------------------------------------------------------------------------
def _col(parsed: ParsedFile, index: int) -> str:
    name = parsed.columns[index]
    letter = column_letter(index)
    return f"{letter} ({name})" if parsed.kind != "sav" and name != letter else name


def _cell(row: list, index: int):
    return row[index] if index < len(row) else None


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS])
    return shown + (" …" if len(rows) > SHOWN_ROWS else "")


def _file_level(parsed, index, ctx, *, role) -> Problem | None:
    """One message for a file of another municipality or another year."""
    wrong: dict[str, int] = {}
    for n, row in enumerate(parsed.rows, start=2):
        value = whole(_cell(row, index))
        if not value:
            continue
        if role == MUNICIPALITY:
            ok = value.zfill(4) == ctx.municipality_code
        else:
            ok = value == str(ctx.year)
        if not ok:
            wrong.setdefault(value, n)
    if not wrong:
        return None
    found = ", ".join(sorted(wrong))
    first = min(wrong.values())
    if role == MUNICIPALITY:
        message = _(
            "the file is for municipality %(found)s, not for %(name)s (%(code)s). Choose the "
            "right file or the right municipality."
        ) % {"found": found, "name": ctx.municipality_name, "code": ctx.municipality_code}
    else:
        message = _(
            "the file is for %(found)s, not for the survey of %(year)s. Choose the right file "
            "or the wave of that year."
        ) % {"found": found, "year": ctx.year}
    return Problem(parsed.file_name, first, _col(parsed, index), message)


def answer_value(value, spec: QuestionSpec, parsed: ParsedFile, column: str):
    """(value or None for a missing answer, error message or None)."""
    if value is None or value == "":
        return None, None
    try:
        number = parse_number(value)
    except ValueError:
        key = fold_label(value)
        file_labels = {fold_label(v): k for k, v in parsed.value_labels.get(column, {}).items()}
        if key in spec.labels:
            number = spec.labels[key]
        elif key in file_labels:
            number = file_labels[key]
        elif key in MISSING_WORDS:
            return None, None
        else:
            return None, _(
                "“%(value)s” is neither an answer code nor an answer label of question "
                "%(code)s (codes: %(allowed)s)."
            ) % {"value": value, "code": spec.code, "allowed": spec.allowed()}
    if parsed.is_missing(column, number) or number in spec.missing:
        return None, None
    if number not in spec.values:
        return None, _(
            "the answer %(value)s is not on the scale of question %(code)s (codes: %(allowed)s)."
        ) % {"value": format_cell(number), "code": spec.code, "allowed": spec.allowed()}
    return number, None


def _label(parsed: ParsedFile, column: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value in parsed.value_labels.get(column, {}):
        return parsed.value_labels[column][value]
    return format_cell(value).strip()


def _area(ctx: CheckContext, role: str, value) -> int | None:
    if role == AREA_CODE:
        return ctx.areas_by_code.get(normalise_code(whole(value)))
    if role == AREA_NAME:
        return ctx.areas_by_name.get(fold_label(value))
    return ctx.postcodes.get(re.sub(r"\s", "", whole(value)))


def check_rows(parsed: ParsedFile, mapping: dict[str, str], ctx: CheckContext) -> Checked:
    """Every row read against the mapping: the respondents, or the problems."""
    result = Checked()
    result.problems = mapping_problems(parsed, mapping)
    index = {c: i for i, c in enumerate(parsed.columns)}
    roles = {t: index[c] for c, t in mapping.items() if t and c in index}
    questions = [
        (index[c], ctx.questions[t.removeprefix(QUESTION)])
        for c, t in mapping.items()
        if t.startswith(QUESTION) and c in index and t.removeprefix(QUESTION) in ctx.questions
    ]
    result.questions = [spec.code for _, spec in questions]
    for column, target in mapping.items():
        code = target.removeprefix(QUESTION)
        if target.startswith(QUESTION) and code not in ctx.questions:
            result.problems.append(
                Problem(
                    parsed.file_name,
                    None,
                    column,
                    _("the wave has no question %(code)s.") % {"code": code},
                )
            )
        elif column not in index and target:
            result.problems.append(
                Problem(parsed.file_name, None, column, _("the file has no such column."))
            )
    if result.problems:
        return result
    for role in (MUNICIPALITY, YEAR):
        if role in roles and (p := _file_level(parsed, roles[role], ctx, role=role)):
            result.problems.append(p)
    if result.problems:
        return result
    area_role = next((r for r in AREA_ROLES if r in roles), None)
    seen_ids: dict[str, int] = {}
    unknown: dict[str, list[int]] = defaultdict(list)
    for n, row in enumerate(parsed.rows, start=2):
        if all(v in (None, "") for v in row):
            continue
        problems: list[Problem] = []
        if ID in roles and (rid := whole(_cell(row, roles[ID]))):
            if rid in seen_ids:
                problems.append(
                    Problem(
                        parsed.file_name,
                        n,
                        _col(parsed, roles[ID]),
                        _("the same respondent id is in row %(first)s too.")
                        % {"first": seen_ids[rid]},
                    )
                )
            else:
                seen_ids[rid] = n
        area_id = None
        if area_role and (raw := _cell(row, roles[area_role])) not in (None, ""):
            area_id = _area(ctx, area_role, raw)
            if area_id is None:
                unknown[whole(raw)].append(n)
        weight = 1.0
        if WEIGHT in roles:
            weight, message = _weight(_cell(row, roles[WEIGHT]))
            if message:
                problems.append(Problem(parsed.file_name, n, _col(parsed, roles[WEIGHT]), message))
        answers = {}
        for i, spec in questions:
            value, message = answer_value(_cell(row, i), spec, parsed, parsed.columns[i])
            if message:
                problems.append(Problem(parsed.file_name, n, _col(parsed, i), message))
            elif value is not None:
                answers[spec.code] = value
        if problems or result.problems:
            result.problems.extend(problems)
            continue
        result.respondents.append(
            Respondent(
                answers=answers,
                area_id=area_id,
                age_group=_label(parsed, parsed.columns[roles[AGE]], _cell(row, roles[AGE]))
                if AGE in roles
                else "",
                gender=_label(parsed, parsed.columns[roles[GENDER]], _cell(row, roles[GENDER]))
                if GENDER in roles
                else "",
                weight=weight,
            )
        )
        result.per_area[area_id] += 1
    for value, rows in unknown.items():
        result.problems.append(_unknown_area(parsed, roles[area_role], area_role, value, rows, ctx))
    if not result.problems:
        result.warnings = _warnings(result, ctx, area_role)
    return result


def _weight(value) -> tuple[float, str | None]:
    if value is None or value == "":
        return 1.0, _("the design weight is missing.")
    try:
        weight = parse_number(value)
    except ValueError:
        return 1.0, _("the design weight “%(value)s” is not a number.") % {"value": value}
    if not weight > 0:
        return 1.0, _("the design weight must be greater than 0 (it is %(value)s).") % {
            "value": format_cell(weight)
        }
    return weight, None


def _unknown_area(parsed, index, role, value, rows, ctx) -> Problem:
    where = _("rows %(rows)s") % {"rows": _rows_text(rows)}
    owner = code_municipality(value) if role == AREA_CODE else None
    if owner and owner != ctx.municipality_code:
        message = _(
            "the area code %(value)s (%(where)s) belongs to municipality %(owner)s, not to "
            "%(name)s (%(code)s)."
        )
    elif role == POSTCODE:
        message = _(
            "the postcode %(value)s (%(where)s) is not in the postcode table of the layer "
            "“%(layer)s”. Add it to the table, or correct the file."
        )
    else:
        message = _(
            "“%(value)s” (%(where)s) is not an area of the layer “%(layer)s” of %(name)s. "
            "Correct the file or add the area; Brygga does not guess."
        )
    text = message % {
        "value": value,
        "where": where,
        "owner": owner,
        "name": ctx.municipality_name,
        "code": ctx.municipality_code,
        "layer": ctx.layer_name,
    }
    return Problem(parsed.file_name, rows[0], _col(parsed, index), text)


def _warnings(result: Checked, ctx: CheckContext, area_role: str | None) -> list[str]:
    warnings = []
    if area_role is None:
        warnings.append(
            _("No column gives the respondent's area: results will be for the whole municipality.")
        )
    elif result.per_area.get(None):
        warnings.append(
            _("%(n)s respondents have no area in the file; they count for the whole municipality.")
            % {"n": result.per_area[None]}
        )
    if area_role is not None:
        empty = sorted(name for pk, name in ctx.area_names.items() if not result.per_area.get(pk))
        for name in empty:
            warnings.append(_("The area %(name)s has no responses in the file.") % {"name": name})
    return warnings
