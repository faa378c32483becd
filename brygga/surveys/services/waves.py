"""Survey waves, their questionnaire and their respondents.

A questionnaire is a dict (the shape of ``data/national_template.json``)::

    {"questions": [{"code", "text", "topic", "scale": [{"value", "label"}], "missing": [..],
                    "polarity", "position"}],
     "indices": [{"code", "name", "description", "rule", "question_codes", "threshold",
                  "min_answered", "position"}]}

It is checked as a whole (``check_questionnaire``) before anything is written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import resolver_for
from brygga.core.models import AreaLayer, Municipality

from ..models import (
    Polarity,
    SurveyImport,
    SurveyIndex,
    SurveyQuestion,
    SurveyResponse,
    SurveyWave,
)

NATIONAL_TEMPLATE = Path(__file__).resolve().parent.parent / "data" / "national_template.json"
BATCH = 1000
WAVE_FIELDS = (
    "name",
    "method",
    "vendor",
    "sample_size",
    "period_start",
    "period_end",
    "layer",
    "description",
)


class SurveyDefinitionError(Exception):
    """A questionnaire or wave that cannot be stored; ``problems`` are Swedish sentences."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Respondent:
    """One respondent as the import hands it over: answers by question code (missing answers
    left out), area (``None``: not placed), optional age group / gender, design weight."""

    answers: dict[str, float]
    area_id: int | None = None
    age_group: str = ""
    gender: str = ""
    weight: float = 1.0


@dataclass
class ReplaceSummary:
    responses: int = 0
    replaced: int = 0
    per_area: dict = field(default_factory=dict)


@cache
def _template_text() -> str:
    return NATIONAL_TEMPLATE.read_text(encoding="utf-8")


def load_template() -> dict:
    """The national questionnaire shipped with Brygga (a fresh copy each call)."""
    return json.loads(_template_text())


def _require(actor, municipality: Municipality) -> None:
    if not resolver_for(actor).can_create_in(SurveyWave, municipality):
        raise PermissionDenied


def check_questionnaire(questionnaire: dict) -> list[str]:
    """The problems of a questionnaire (empty when it can be stored)."""
    problems: list[str] = []
    questions = questionnaire.get("questions") or []
    if not questions:
        problems.append(_("The questionnaire has no questions."))
    codes: dict[str, dict] = {}
    for q in questions:
        code = str(q.get("code", "")).strip()
        if not code:
            problems.append(_("A question has no code."))
            continue
        if code in codes:
            problems.append(_("The question code %(code)s occurs twice.") % {"code": code})
        codes[code] = q
        values = []
        for option in q.get("scale") or []:
            try:
                values.append(float(option["value"]))
            except (KeyError, TypeError, ValueError):
                problems.append(
                    _("Question %(code)s: every answer needs a numeric value.") % {"code": code}
                )
        if len(set(values)) != len(values):
            problems.append(_("Question %(code)s: an answer value occurs twice.") % {"code": code})
        missing = {float(v) for v in q.get("missing") or []}
        if len([v for v in values if v not in missing]) < 2:
            problems.append(
                _("Question %(code)s needs at least two answers that are not missing.")
                % {"code": code}
            )
        if q.get("polarity", Polarity.HIGHER_WORSE) not in Polarity.values:
            problems.append(_("Question %(code)s: unknown polarity.") % {"code": code})
    index_codes: set[str] = set()
    for index in questionnaire.get("indices") or []:
        code = str(index.get("code", "")).strip()
        if not code or code in index_codes:
            problems.append(_("Every index needs a code of its own (%(code)s).") % {"code": code})
        index_codes.add(code)
        if index.get("rule") not in SurveyIndex.Rule.values:
            problems.append(_("Index %(code)s: unknown scoring rule.") % {"code": code})
        members = index.get("question_codes") or []
        unknown = [c for c in members if c not in codes]
        if not members:
            problems.append(_("Index %(code)s has no questions.") % {"code": code})
        if unknown:
            problems.append(
                _("Index %(code)s names questions that do not exist: %(unknown)s")
                % {"code": code, "unknown": ", ".join(unknown)}
            )
        if index.get("rule") == SurveyIndex.Rule.SHARE and index.get("threshold") is None:
            problems.append(_("Index %(code)s (a share) needs a threshold.") % {"code": code})
        if int(index.get("min_answered") or 1) > len(members):
            problems.append(
                _("Index %(code)s asks for more answered questions than it has.") % {"code": code}
            )
    return problems


def _write_questionnaire(wave: SurveyWave, questionnaire: dict) -> None:
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(
            municipality_id=wave.municipality_id,
            wave=wave,
            code=str(q["code"]).strip(),
            text=str(q.get("text") or q["code"])[:500],
            topic=str(q.get("topic") or "")[:100],
            scale=[{"value": float(o["value"]), "label": str(o["label"])} for o in q["scale"]],
            missing=[float(v) for v in q.get("missing") or []],
            polarity=q.get("polarity") or Polarity.HIGHER_WORSE,
            position=int(q.get("position") or n),
        )
        for n, q in enumerate(questionnaire["questions"], start=1)
    )
    SurveyIndex.objects.bulk_create(
        SurveyIndex(
            municipality_id=wave.municipality_id,
            wave=wave,
            code=str(i["code"]).strip(),
            name=str(i.get("name") or i["code"])[:200],
            description=str(i.get("description") or ""),
            rule=i["rule"],
            question_codes=list(i["question_codes"]),
            threshold=i.get("threshold"),
            min_answered=int(i.get("min_answered") or 1),
            position=int(i.get("position") or n),
        )
        for n, i in enumerate(questionnaire.get("indices") or [], start=1)
    )


@transaction.atomic
def wave_create(
    *,
    actor,
    municipality: Municipality,
    year: int,
    name: str = "",
    method: str = SurveyWave.Method.POSTAL,
    questionnaire: dict | None = None,
    layer: AreaLayer | None = None,
    **fields,
) -> SurveyWave:
    """A new wave with its questionnaire (the national template unless ``questionnaire``)."""
    _require(actor, municipality)
    questionnaire = questionnaire if questionnaire is not None else load_template()
    problems = check_questionnaire(questionnaire)
    if layer is not None and layer.municipality_id != municipality.pk:
        problems.append(_("The area layer belongs to another municipality."))
    if SurveyWave.objects.filter(municipality=municipality, year=year).exists():
        problems.append(
            _("%(municipality)s already has a survey wave for %(year)s.")
            % {"municipality": municipality.name, "year": year}
        )
    if problems:
        raise SurveyDefinitionError(problems)
    wave = SurveyWave(
        municipality=municipality,
        year=year,
        name=name or _("Safety survey %(year)s") % {"year": year},
        method=method,
        layer=layer,
        **{k: v for k, v in fields.items() if k in WAVE_FIELDS},
    )
    wave.full_clean()
    wave.save()
    _write_questionnaire(wave, questionnaire)
    return wave


@transaction.atomic
def wave_update(*, actor, wave: SurveyWave, **fields) -> SurveyWave:
    """Change the description of a wave (not its year: a wave is its year's)."""
    _require(actor, wave.municipality)
    wave = SurveyWave.objects.select_for_update().get(
        municipality_id=wave.municipality_id, pk=wave.pk
    )
    layer = fields.get("layer")
    if layer is not None and layer.municipality_id != wave.municipality_id:
        raise SurveyDefinitionError([_("The area layer belongs to another municipality.")])
    for name, value in fields.items():
        if name in WAVE_FIELDS:
            setattr(wave, name, value)
    wave.full_clean()
    wave.save()
    return wave


@transaction.atomic
def questionnaire_replace(*, actor, wave: SurveyWave, questionnaire: dict) -> SurveyWave:
    """Replace a wave's questions and indices (e.g. from a codebook). Refused once the wave has
    responses: their answers were read against the questionnaire they were imported with."""
    _require(actor, wave.municipality)
    problems = check_questionnaire(questionnaire)
    if SurveyResponse.objects.filter(municipality_id=wave.municipality_id, wave=wave).exists():
        problems.append(
            _(
                "The wave already has responses; remove them by importing again, or create a "
                "new wave, before changing its questions."
            )
        )
    if problems:
        raise SurveyDefinitionError(problems)
    SurveyIndex.objects.filter(municipality_id=wave.municipality_id, wave=wave).delete()
    SurveyQuestion.objects.filter(municipality_id=wave.municipality_id, wave=wave).delete()
    _write_questionnaire(wave, questionnaire)
    return wave


@transaction.atomic
def wave_delete(*, actor, wave: SurveyWave) -> None:
    """Remove a wave, its questionnaire and its respondents (one audit row for the
    respondents; the tracker writes the others)."""
    _require(actor, wave.municipality)
    responses = SurveyResponse.objects.filter(municipality_id=wave.municipality_id, wave=wave)
    count = responses.count()
    responses.delete()
    log_action(
        event_type="survey_wave_deleted",
        subject=wave,
        details={"year": wave.year, "responses": count},
        municipality_id=wave.municipality_id,
    )
    SurveyImport.objects.filter(municipality_id=wave.municipality_id, wave=wave).update(wave=None)
    wave.delete()


def wave_responses_replace(
    *,
    actor,
    wave: SurveyWave,
    respondents: Iterable[Respondent],
    job: SurveyImport | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ReplaceSummary:
    """All respondents of ``wave`` at once: the earlier ones (if any) are removed and the new
    ones written in one transaction, with one audit row that counts them per area. The caller
    has checked every row (nothing here is half-written: any error rolls the whole back).
    ``on_progress(rows_written)`` is called after each batch."""
    _require(actor, wave.municipality)
    summary = ReplaceSummary()
    mid = wave.municipality_id
    with transaction.atomic():
        wave = SurveyWave.objects.select_for_update().get(municipality_id=mid, pk=wave.pk)
        earlier = SurveyResponse.objects.filter(municipality_id=mid, wave=wave)
        summary.replaced = earlier.count()
        earlier.delete()
        batch: list[SurveyResponse] = []
        for respondent in respondents:
            batch.append(
                SurveyResponse(
                    municipality_id=mid,
                    wave=wave,
                    area_id=respondent.area_id,
                    age_group=respondent.age_group[:30],
                    gender=respondent.gender[:30],
                    weight=float(respondent.weight),
                    answers={k: v for k, v in respondent.answers.items() if v is not None},
                )
            )
            key = str(respondent.area_id) if respondent.area_id else "-"
            summary.per_area[key] = summary.per_area.get(key, 0) + 1
            if len(batch) >= BATCH:
                summary.responses += _flush(batch)
                if on_progress:
                    on_progress(summary.responses)
        summary.responses += _flush(batch)
        if on_progress:
            on_progress(summary.responses)
        wave.responses = summary.responses
        wave.imported_at = timezone.now()
        wave.save(update_fields=["responses", "imported_at", "updated_at"])
        log_action(
            event_type="survey_responses_replaced",
            subject=wave,
            details={
                "year": wave.year,
                "responses": summary.responses,
                "replaced": summary.replaced,
                "import": job.pk if job else None,
                "areas": len([k for k in summary.per_area if k != "-"]),
            },
            municipality_id=mid,
        )
    return summary


def _flush(batch: list[SurveyResponse]) -> int:
    if not batch:
        return 0
    SurveyResponse.objects.bulk_create(batch)
    written = len(batch)
    batch.clear()
    return written
