"""Pages that define a survey wave: /kommuner/<code>/trygghetsmatning/ny/, …/<year>/andra/,
…/<year>/ta-bort/, the questionnaire …/<year>/fragor/ and the codebook …/<year>/kodbok/ (upload
to replace the questions of a wave without responses; download as CSV or XLSX).

Reads go through the resolver (``visible_to``), writes through the services; defining a wave
needs ``can_create_in(SurveyWave, municipality)`` (analysts, coordinators), 403 otherwise."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from brygga.core.access import resolver_for
from brygga.core.views.decorators import municipality_view

from ..codebook import (
    CodebookError,
    codebook_csv,
    codebook_xlsx,
    read_codebook,
    wave_questionnaire,
)
from ..forms import CODEBOOK, CodebookForm, WaveForm
from ..models import SurveyIndex, SurveyQuestion, SurveyResponse, SurveyWave
from ..services import (
    SurveyDefinitionError,
    questionnaire_replace,
    wave_create,
    wave_delete,
    wave_update,
)


def can_define(user, municipality) -> bool:
    return resolver_for(user).can_create_in(SurveyWave, municipality)


def _require_define(request, municipality) -> None:
    if not can_define(request.user, municipality):
        raise PermissionDenied


def _wave(request, municipality, year: int) -> SurveyWave:
    wave = (
        SurveyWave.objects.visible_to(request.user)
        .filter(municipality=municipality, year=year)
        .select_related("layer")
        .first()
    )
    if wave is None:
        raise Http404
    return wave


def index_url(municipality) -> str:
    """The survey start page (the results' index)."""
    return reverse("surveys:index", args=[municipality.code])


def wave_url(wave: SurveyWave) -> str:
    """The results of a wave."""
    return reverse("surveys:wave", args=[wave.municipality.code, wave.year])


def import_url(wave: SurveyWave) -> str:
    """The import page of a wave."""
    return reverse("surveys:survey_import_upload", args=[wave.municipality.code, wave.year])


def _add_problems(form, field: str | None, problems: list[str]) -> None:
    for problem in problems:
        form.add_error(field, problem)


@municipality_view()
@require_http_methods(["GET", "POST"])
def wave_new(request, municipality):
    _require_define(request, municipality)
    form = WaveForm(
        request.POST or None, request.FILES or None, user=request.user, municipality=municipality
    )
    if request.method == "POST" and form.is_valid():
        questionnaire = None
        try:
            if form.cleaned_data["questionnaire"] == CODEBOOK:
                f = form.cleaned_data["codebook"]
                questionnaire = read_codebook(f.read(), Path(f.name).name)
            wave = wave_create(
                actor=request.user,
                municipality=municipality,
                year=form.cleaned_data["year"],
                questionnaire=questionnaire,
                **form.wave_fields(),
            )
        except CodebookError as exc:
            _add_problems(form, "codebook", exc.problems)
        except SurveyDefinitionError as exc:
            _add_problems(form, None, exc.problems)
        else:
            messages.success(request, _("The survey wave %(name)s was saved.") % {"name": wave})
            return redirect(wave_url(wave))
    return render(
        request,
        "surveys/wave_form.html",
        {"municipality": municipality, "form": form, "wave": None, "back": index_url(municipality)},
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
@require_http_methods(["GET", "POST"])
def wave_edit(request, municipality, year: int):
    _require_define(request, municipality)
    wave = _wave(request, municipality, year)
    form = WaveForm(
        request.POST or None, instance=wave, user=request.user, municipality=municipality
    )
    if request.method == "POST" and form.is_valid():
        try:
            wave = wave_update(actor=request.user, wave=wave, **form.wave_fields())
        except SurveyDefinitionError as exc:
            _add_problems(form, None, exc.problems)
        else:
            messages.success(request, _("The survey wave %(name)s was saved.") % {"name": wave})
            return redirect(wave_url(wave))
    return render(
        request,
        "surveys/wave_form.html",
        {"municipality": municipality, "form": form, "wave": wave, "back": wave_url(wave)},
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
@require_http_methods(["GET", "POST"])
def wave_delete_view(request, municipality, year: int):
    _require_define(request, municipality)
    wave = _wave(request, municipality, year)
    if request.method == "POST":
        name = str(wave)
        wave_delete(actor=request.user, wave=wave)
        messages.success(request, _("The survey wave %(name)s was removed.") % {"name": name})
        return redirect(index_url(municipality))
    responses = (
        SurveyResponse.objects.visible_to(request.user)
        .filter(municipality=municipality, wave=wave)
        .count()
    )
    return render(
        request,
        "surveys/wave_delete.html",
        {
            "municipality": municipality,
            "wave": wave,
            "responses": responses,
            "imports": wave.imports.filter(municipality=municipality).count(),
            "back": wave_url(wave),
        },
    )


def _rule_text(index: SurveyIndex, questions: dict[str, SurveyQuestion]) -> str:
    """How an index is computed, in words."""
    count = len(index.question_codes)
    if index.rule == SurveyIndex.Rule.MEAN:
        return _(
            "Each answer is rescaled to 0–10, with 10 at the worse end of its scale, and the "
            "answers of a respondent are averaged; a respondent counts who answered at least "
            "%(min)s of the %(count)s questions. The index is the weighted mean of the "
            "respondents' values (0 = best, 10 = worst)."
        ) % {"min": index.min_answered, "count": count}
    threshold = index.threshold if index.threshold is not None else 0
    labels = sorted(
        {
            q.label_for(threshold)
            for code in index.question_codes
            if (q := questions.get(code)) is not None
        }
    )
    return _(
        "The weighted share (per cent) of respondents with at least one answer at "
        "%(threshold)s (%(labels)s) or worse; a respondent without such an answer counts who "
        "answered at least %(min)s of the %(count)s questions."
    ) % {
        "threshold": f"{threshold:g}",
        "labels": ", ".join(labels),
        "min": index.min_answered,
        "count": count,
    }


@municipality_view()
@require_GET
def questionnaire(request, municipality, year: int):
    wave = _wave(request, municipality, year)
    questions = list(
        SurveyQuestion.objects.visible_to(request.user).filter(municipality=municipality, wave=wave)
    )
    by_code = {q.code: q for q in questions}
    rows = []
    for q in questions:
        missing = {float(v) for v in q.missing}
        rows.append(
            {
                "question": q,
                "answers": [
                    {"value": f"{float(o['value']):g}", "label": o["label"]}
                    for o in q.scale
                    if float(o["value"]) not in missing
                ],
                "missing": [
                    {"value": f"{float(o['value']):g}", "label": o["label"]}
                    for o in q.scale
                    if float(o["value"]) in missing
                ],
            }
        )
    indices = [
        {
            "index": i,
            "rule": _rule_text(i, by_code),
            "questions": [by_code.get(c) or c for c in i.question_codes],
        }
        for i in SurveyIndex.objects.visible_to(request.user).filter(
            municipality=municipality, wave=wave
        )
    ]
    return render(
        request,
        "surveys/questionnaire.html",
        {
            "municipality": municipality,
            "wave": wave,
            "rows": rows,
            "indices": indices,
            "can_define": can_define(request.user, municipality),
            "import_url": import_url(wave),
            "back": None if wave_url(wave) == request.path else wave_url(wave),
        },
    )


@municipality_view()
@require_http_methods(["GET", "POST"])
def codebook(request, municipality, year: int):
    _require_define(request, municipality)
    wave = _wave(request, municipality, year)
    has_responses = (
        SurveyResponse.objects.visible_to(request.user)
        .filter(municipality=municipality, wave=wave)
        .exists()
    )
    form = CodebookForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["codebook"]
        try:
            replacement = read_codebook(f.read(), Path(f.name).name)
            questionnaire_replace(actor=request.user, wave=wave, questionnaire=replacement)
        except SurveyDefinitionError as exc:
            _add_problems(form, "codebook", exc.problems)
        else:
            messages.success(
                request,
                _("The questions of %(name)s were replaced from %(file)s.")
                % {"name": wave, "file": Path(f.name).name},
            )
            return redirect("surveys:questionnaire", municipality.code, wave.year)
    return render(
        request,
        "surveys/codebook_upload.html",
        {
            "municipality": municipality,
            "wave": wave,
            "form": form,
            "has_responses": has_responses,
            "back": reverse("surveys:questionnaire", args=[municipality.code, wave.year]),
        },
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
@require_GET
def codebook_export(request, municipality, year: int):
    """The codebook of a wave (its questions and indices, no responses) to send to a vendor."""
    wave = _wave(request, municipality, year)
    content = wave_questionnaire(wave)
    name = f"kodbok-{municipality.code}-{wave.year}"
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            codebook_xlsx(content),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    else:
        response = HttpResponse(codebook_csv(content), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
