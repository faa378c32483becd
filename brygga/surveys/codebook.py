"""Codebooks: a questionnaire as a file a survey vendor can read and write (CSV or XLSX).

The format (the export writes it, the import reads it, so export → import is a round trip)::

    Sheet "Frågor" (in a CSV: the first section)
      kod | fråga | ämne | svarsalternativ                          | saknas | polaritet
      klotter | Hur stort problem … | Problem | 1=Inget problem; 2=…; 9=Vet ej | 9 | högre är sämre

    Sheet "Index" (in a CSV: a row "Index", then its own header row)
      kod | namn | regel | frågor | tröskel | minst_besvarade | beskrivning
      problemindex | Problemindex | medel | nedskrapning, klotter, … | | 4 | …

``svarsalternativ`` lists ``value=label`` pairs separated by ``;`` (or line breaks); ``saknas``
the values that mean "vet ej" / no answer; ``polaritet`` is "högre är sämre" (the default) or
"högre är bättre"; ``regel`` "medel" (mean on 0–10) or "andel" (share, per cent; needs
``tröskel``). Every problem is reported with the file, the sheet or section, the row and the
column; nothing is stored unless the whole codebook is right (the services check it again).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from brygga.core.cells import FORMULA_PREFIXES, escape_cell

from .models import Polarity, SurveyIndex, SurveyWave
from .services.waves import SurveyDefinitionError, check_questionnaire

QUESTION_SHEET = "Frågor"
INDEX_SHEET = "Index"
QUESTION_COLUMNS = ["kod", "fråga", "ämne", "svarsalternativ", "saknas", "polaritet"]
INDEX_COLUMNS = [
    "kod",
    "namn",
    "regel",
    "frågor",
    "tröskel",
    "minst_besvarade",
    "beskrivning",
]
REQUIRED_QUESTION_COLUMNS = ("kod", "fråga", "svarsalternativ")
REQUIRED_INDEX_COLUMNS = ("kod", "namn", "regel", "frågor")
MAX_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS = 50

# Other spellings of the column names (compared without case, accents, spaces, "_" or "-").
ALIASES = {
    "kod": ("kod", "code", "variabel", "variable", "fragekod"),
    "fråga": ("fraga", "question", "text", "fragetext"),
    "ämne": ("amne", "topic", "tema", "omrade"),
    "svarsalternativ": ("svarsalternativ", "skala", "scale", "svar", "varden", "values"),
    "saknas": ("saknas", "missing", "vetej", "bortfall", "saknadevarden"),
    "polaritet": ("polaritet", "polarity", "riktning"),
    "namn": ("namn", "name"),
    "regel": ("regel", "rule", "berakning"),
    "frågor": ("fragor", "questions", "items", "ingaendefragor"),
    "tröskel": ("troskel", "threshold", "grans"),
    "minst_besvarade": ("minstbesvarade", "minanswered", "minstantal"),
    "beskrivning": ("beskrivning", "description"),
}
POLARITY_WORDS = {
    "högre är sämre": Polarity.HIGHER_WORSE,
    "hogre ar samre": Polarity.HIGHER_WORSE,
    "higher_worse": Polarity.HIGHER_WORSE,
    "högre är bättre": Polarity.HIGHER_BETTER,
    "hogre ar battre": Polarity.HIGHER_BETTER,
    "higher_better": Polarity.HIGHER_BETTER,
}
POLARITY_OUT = {Polarity.HIGHER_WORSE: "högre är sämre", Polarity.HIGHER_BETTER: "högre är bättre"}
RULE_WORDS = {
    "medel": SurveyIndex.Rule.MEAN,
    "medelvärde": SurveyIndex.Rule.MEAN,
    "mean": SurveyIndex.Rule.MEAN,
    "andel": SurveyIndex.Rule.SHARE,
    "share": SurveyIndex.Rule.SHARE,
}
RULE_OUT = {SurveyIndex.Rule.MEAN: "medel", SurveyIndex.Rule.SHARE: "andel"}
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


class CodebookError(SurveyDefinitionError):
    """A codebook that cannot be read; ``problems`` name the file, row and column."""


def _key(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[\s_\-]+", "", text.lower())


COLUMN_BY_KEY = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


def _number(text) -> float | None:
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    text = str(text or "").strip().replace(",", ".").replace("\u2212", "-")
    try:
        return float(text)
    except ValueError:
        return None


def _cell(value) -> str:
    """A cell as text, with the export's formula guard taken off."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_PREFIXES:
        text = text[1:]
    return text


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{float(value):g}"


# --- reading ------------------------------------------------------------------------------
@dataclass
class _Table:
    """One section of a codebook: its rows (row number in the file, cells by column name)."""

    name: str
    header_row: int = 0
    columns: dict[str, int] = field(default_factory=dict)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


class _Reader:
    def __init__(self, file_name: str):
        self.file_name = file_name
        self.problems: list[str] = []

    def problem(self, section: str, row: int | None, column: str | None, text: str) -> None:
        if row is None:
            where = _("%(file)s, %(sheet)s") % {"file": self.file_name, "sheet": section}
        elif column is None:
            where = _("%(file)s, %(sheet)s, row %(row)s") % {
                "file": self.file_name,
                "sheet": section,
                "row": row,
            }
        else:
            where = _("%(file)s, %(sheet)s, row %(row)s, column %(column)s") % {
                "file": self.file_name,
                "sheet": section,
                "row": row,
                "column": column,
            }
        self.problems.append(f"{where}: {text}")

    # -- the sections ----------------------------------------------------------------------
    def table(self, name: str, rows: list[tuple[int, list]], required) -> _Table | None:
        table = _Table(name)
        rows = [(n, [_cell(v) for v in cells]) for n, cells in rows]
        rows = [(n, cells) for n, cells in rows if any(cells)]
        if not rows:
            self.problem(name, None, None, _("the sheet is empty."))
            return None
        header_row, header = rows[0]
        table.header_row = header_row
        for i, title in enumerate(header):
            column = COLUMN_BY_KEY.get(_key(title))
            if column and column not in table.columns:
                table.columns[column] = i
        missing = [c for c in required if c not in table.columns]
        if missing:
            self.problem(
                name,
                header_row,
                None,
                _("the columns %(columns)s are missing (the first row names the columns).")
                % {"columns": ", ".join(missing)},
            )
            return None
        for n, cells in rows[1:]:
            table.rows.append(
                (n, {c: cells[i] if i < len(cells) else "" for c, i in table.columns.items()})
            )
        return table

    def questions(self, table: _Table) -> list[dict]:
        out: list[dict] = []
        seen: dict[str, int] = {}
        for n, cells in table.rows:
            code = cells["kod"]
            if not code:
                self.problem(table.name, n, "kod", _("the question has no code."))
                continue
            if not CODE_RE.match(code):
                self.problem(
                    table.name,
                    n,
                    "kod",
                    _("the code %(code)s may hold only letters a–z, digits, - and _.")
                    % {"code": code},
                )
            if code in seen:
                self.problem(
                    table.name,
                    n,
                    "kod",
                    _("the code %(code)s is already used on row %(row)s.")
                    % {"code": code, "row": seen[code]},
                )
                continue
            seen[code] = n
            scale = self.scale(table.name, n, cells["svarsalternativ"])
            values = {o["value"] for o in scale}
            missing = []
            for part in re.split(r"[;,\s]+", cells.get("saknas", "")):
                if not part:
                    continue
                value = _number(part)
                if value is None:
                    self.problem(
                        table.name,
                        n,
                        "saknas",
                        _("%(value)s is not a number.") % {"value": part},
                    )
                elif scale and value not in values:
                    self.problem(
                        table.name,
                        n,
                        "saknas",
                        _("%(value)s is not one of the answers in svarsalternativ.")
                        % {"value": part},
                    )
                else:
                    missing.append(value)
            polarity_text = cells.get("polaritet", "").strip().lower()
            polarity = POLARITY_WORDS.get(polarity_text) if polarity_text else None
            if polarity_text and polarity is None:
                self.problem(
                    table.name,
                    n,
                    "polaritet",
                    _("%(value)s is not a polarity; write “högre är sämre” or “högre är bättre”.")
                    % {"value": cells["polaritet"]},
                )
            if scale and len([v for v in values if v not in missing]) < 2:
                self.problem(
                    table.name,
                    n,
                    "svarsalternativ",
                    _("the question needs at least two answers that are not missing."),
                )
            out.append(
                {
                    "code": code,
                    "text": cells["fråga"] or code,
                    "topic": cells.get("ämne", ""),
                    "scale": scale,
                    "missing": missing,
                    "polarity": str(polarity or Polarity.HIGHER_WORSE),
                    "position": len(out) + 1,
                }
            )
        if not out and not self.problems:
            self.problem(table.name, None, None, _("the codebook has no questions."))
        return out

    def scale(self, section: str, row: int, text: str) -> list[dict]:
        parts = [p.strip() for p in re.split(r"[;\n|]+", text) if p.strip()]
        if not parts:
            self.problem(section, row, "svarsalternativ", _("the question has no answers."))
            return []
        scale, seen = [], set()
        for part in parts:
            value_text, sep, label = part.partition("=")
            value = _number(value_text) if sep else None
            if value is None:
                self.problem(
                    section,
                    row,
                    "svarsalternativ",
                    _("“%(part)s” has no numeric value (write e.g. 1=Inget problem).")
                    % {"part": part},
                )
                continue
            if value in seen:
                self.problem(
                    section,
                    row,
                    "svarsalternativ",
                    _("the value %(value)s occurs twice.") % {"value": _fmt(value)},
                )
                continue
            seen.add(value)
            scale.append({"value": value, "label": label.strip() or _fmt(value)})
        return scale

    def indices(self, table: _Table, question_codes: set[str]) -> list[dict]:
        out: list[dict] = []
        seen: dict[str, int] = {}
        for n, cells in table.rows:
            code = cells["kod"]
            if not code:
                self.problem(table.name, n, "kod", _("the index has no code."))
                continue
            if code in seen:
                self.problem(
                    table.name,
                    n,
                    "kod",
                    _("the code %(code)s is already used on row %(row)s.")
                    % {"code": code, "row": seen[code]},
                )
                continue
            seen[code] = n
            rule = RULE_WORDS.get(cells["regel"].strip().lower())
            if rule is None:
                self.problem(
                    table.name,
                    n,
                    "regel",
                    _("%(value)s is not a rule; write “medel” or “andel”.")
                    % {"value": cells["regel"] or "–"},
                )
            members = [c for c in re.split(r"[,;\s]+", cells["frågor"]) if c]
            if not members:
                self.problem(table.name, n, "frågor", _("the index names no questions."))
            unknown = [c for c in members if c not in question_codes]
            if unknown:
                self.problem(
                    table.name,
                    n,
                    "frågor",
                    _("no question has the code %(codes)s.") % {"codes": ", ".join(unknown)},
                )
            threshold = None
            if cells.get("tröskel", ""):
                threshold = _number(cells["tröskel"])
                if threshold is None:
                    self.problem(
                        table.name,
                        n,
                        "tröskel",
                        _("%(value)s is not a number.") % {"value": cells["tröskel"]},
                    )
            elif rule == SurveyIndex.Rule.SHARE:
                self.problem(
                    table.name, n, "tröskel", _("a share (andel) needs a threshold (tröskel).")
                )
            min_answered = 1
            if cells.get("minst_besvarade", ""):
                number = _number(cells["minst_besvarade"])
                if number is None or not number.is_integer() or number < 1:
                    self.problem(
                        table.name,
                        n,
                        "minst_besvarade",
                        _("%(value)s is not a whole number of at least 1.")
                        % {"value": cells["minst_besvarade"]},
                    )
                elif members and number > len(members):
                    self.problem(
                        table.name,
                        n,
                        "minst_besvarade",
                        _("%(value)s is more than the index's %(count)s questions.")
                        % {"value": int(number), "count": len(members)},
                    )
                else:
                    min_answered = int(number)
            out.append(
                {
                    "code": code,
                    "name": cells["namn"] or code,
                    "description": cells.get("beskrivning", ""),
                    "rule": str(rule or ""),
                    "question_codes": members,
                    "threshold": threshold,
                    "min_answered": min_answered,
                    "position": len(out) + 1,
                }
            )
        return out


def _csv_rows(content: bytes) -> list[tuple[int, list]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, line = [], 1
    for cells in reader:
        rows.append((line, cells))
        line = reader.line_num + 1
    return rows


def _split_sections(rows: list[tuple[int, list]]) -> dict[str, list[tuple[int, list]]]:
    """A one-sheet codebook: the questions, then a row "Index" and the indices (a row
    "Frågor" before the questions is allowed)."""
    sections: dict[str, list] = {QUESTION_SHEET: [], INDEX_SHEET: []}
    current = QUESTION_SHEET
    for n, cells in rows:
        filled = [_cell(c) for c in cells if _cell(c)]
        if len(filled) == 1 and _key(filled[0]) in ("index", "[index]", "indices"):
            current = INDEX_SHEET
            continue
        if len(filled) == 1 and _key(filled[0]) in ("fragor", "[fragor]", "questions"):
            current = QUESTION_SHEET
            continue
        sections[current].append((n, list(cells)))
    return sections


def _xlsx_sections(content: bytes, reader: _Reader) -> dict[str, list[tuple[int, list]]] | None:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook gets the same message
        reader.problems.append(
            _("%(file)s cannot be read as an Excel workbook (.xlsx).") % {"file": reader.file_name}
        )
        return None
    sheets = {_key(ws.title): ws for ws in book.worksheets}

    def rows(ws):
        return [(n, list(r)) for n, r in enumerate(ws.iter_rows(values_only=True), start=1)]

    questions = sheets.get("fragor") or sheets.get("questions")
    if questions is None:
        return _split_sections(rows(book.worksheets[0]))
    indices = sheets.get("index") or sheets.get("indices")
    return {QUESTION_SHEET: rows(questions), INDEX_SHEET: rows(indices) if indices else []}


def read_codebook(content: bytes, file_name: str) -> dict:
    """The questionnaire (the dict ``check_questionnaire`` takes) a codebook file describes.
    Raises :class:`CodebookError` with every problem found."""
    reader = _Reader(file_name)
    if not content:
        raise CodebookError([_("%(file)s is empty.") % {"file": file_name}])
    if len(content) > MAX_BYTES:
        raise CodebookError(
            [_("%(file)s is larger than %(limit)s MB.") % {"file": file_name, "limit": 5}]
        )
    if file_name.lower().endswith(".xlsx"):
        sections = _xlsx_sections(content, reader)
        if sections is None:
            raise CodebookError(reader.problems)
    elif file_name.lower().endswith((".csv", ".txt")):
        sections = _split_sections(_csv_rows(content))
    else:
        raise CodebookError(
            [_("%(file)s: choose a codebook as .xlsx or .csv.") % {"file": file_name}]
        )
    question_table = reader.table(
        QUESTION_SHEET, sections[QUESTION_SHEET], REQUIRED_QUESTION_COLUMNS
    )
    questions = reader.questions(question_table) if question_table else []
    indices: list[dict] = []
    if any(any(_cell(c) for c in cells) for _n, cells in sections[INDEX_SHEET]):
        index_table = reader.table(INDEX_SHEET, sections[INDEX_SHEET], REQUIRED_INDEX_COLUMNS)
        if index_table:
            indices = reader.indices(index_table, {q["code"] for q in questions})
    questionnaire = {"questions": questions, "indices": indices}
    if not reader.problems:
        reader.problems.extend(f"{file_name}: {p}" for p in check_questionnaire(questionnaire))
    if reader.problems:
        problems = reader.problems[:MAX_PROBLEMS]
        if len(reader.problems) > MAX_PROBLEMS:
            problems.append(
                _("… and %(count)s more problems.") % {"count": len(reader.problems) - MAX_PROBLEMS}
            )
        raise CodebookError(problems)
    return questionnaire


# --- writing ------------------------------------------------------------------------------
def wave_questionnaire(wave: SurveyWave) -> dict:
    """The questionnaire of a stored wave, in the shape the services and codebooks use."""
    mid = wave.municipality_id
    return {
        "questions": [
            {
                "code": q.code,
                "text": q.text,
                "topic": q.topic,
                "scale": q.scale,
                "missing": q.missing,
                "polarity": q.polarity,
                "position": q.position,
            }
            for q in wave.questions.filter(municipality_id=mid)
        ],
        "indices": [
            {
                "code": i.code,
                "name": i.name,
                "description": i.description,
                "rule": i.rule,
                "question_codes": list(i.question_codes),
                "threshold": i.threshold,
                "min_answered": i.min_answered,
                "position": i.position,
            }
            for i in wave.indices.filter(municipality_id=mid)
        ],
    }


def codebook_rows(questionnaire: dict) -> tuple[list[list[str]], list[list[str]]]:
    """The rows of the two sheets (headers first), texts guarded against formulas."""
    questions = [list(QUESTION_COLUMNS)]
    for q in questionnaire.get("questions") or []:
        questions.append(
            [
                escape_cell(q["code"]),
                escape_cell(q.get("text") or ""),
                escape_cell(q.get("topic") or ""),
                "; ".join(f"{_fmt(o['value'])}={o['label']}" for o in q.get("scale") or []),
                ", ".join(_fmt(v) for v in q.get("missing") or []),
                POLARITY_OUT.get(q.get("polarity"), POLARITY_OUT[Polarity.HIGHER_WORSE]),
            ]
        )
    indices = [list(INDEX_COLUMNS)]
    for i in questionnaire.get("indices") or []:
        indices.append(
            [
                escape_cell(i["code"]),
                escape_cell(i.get("name") or ""),
                RULE_OUT.get(i.get("rule"), i.get("rule") or ""),
                ", ".join(i.get("question_codes") or []),
                _fmt(i.get("threshold")),
                str(int(i.get("min_answered") or 1)),
                escape_cell(i.get("description") or ""),
            ]
        )
    return questions, indices


def codebook_csv(questionnaire: dict) -> bytes:
    """UTF-8 with BOM and ``;``, as Swedish Excel opens it: the questions, an empty row, a row
    "Index" and the indices."""
    questions, indices = codebook_rows(questionnaire)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(questions)
    writer.writerow([])
    writer.writerow([INDEX_SHEET])
    writer.writerows(indices)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def codebook_xlsx(questionnaire: dict) -> bytes:
    from openpyxl import Workbook

    questions, indices = codebook_rows(questionnaire)
    book = Workbook(write_only=True)
    for title, rows in ((QUESTION_SHEET, questions), (INDEX_SHEET, indices)):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
