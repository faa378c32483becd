"""Pages of the survey import: /kommuner/<code>/trygghetsmatning/<year>/importera/… — upload,
column mapping, preview with confirmation, progress (polled by htmx) and the postcode table.
Reads go through ``visible_to`` (the resolver decides), writes through the services."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from brygga.core.access import CHANGE, resolver_for
from brygga.core.views.decorators import municipality_view

from ..forms_import import ConfirmForm, MappingForm, PostcodeUploadForm, SurveyUploadForm
from ..mapping import target_label
from ..models import PostcodeArea, SurveyImport, SurveyQuestion, SurveyWave
from ..readers import SurveyReadError, read_file
from ..services import imports as services
from ..services.postcodes import postcode_table_replace
from ..tasks import run_survey_import

SHOWN_PROBLEMS = 50
RECENT_IMPORTS = 5
State = SurveyImport.State


def _wave(request, municipality, year: int) -> SurveyWave:
    if not resolver_for(request.user).can_create_in(SurveyImport, municipality):
        raise PermissionDenied
    return get_object_or_404(
        SurveyWave.objects.visible_to(request.user).select_related("layer", "municipality"),
        municipality=municipality,
        year=year,
    )


def _job(request, wave: SurveyWave, pk: int) -> SurveyImport:
    job = get_object_or_404(
        SurveyImport.objects.visible_to(request.user, CHANGE).select_related("municipality"),
        municipality_id=wave.municipality_id,
        wave=wave,
        pk=pk,
    )
    job.wave = wave
    return job


def results_url(municipality, wave: SurveyWave) -> str:
    """The wave's results page, where a finished import ends."""
    return reverse("surveys:wave", kwargs={"code": municipality.code, "year": wave.year})


def _base(municipality, wave, **extra) -> dict:
    return {
        "municipality": municipality,
        "wave": wave,
        "results_url": results_url(municipality, wave),
        **extra,
    }


@municipality_view()
@require_http_methods(["GET", "POST"])
def upload(request, municipality, year: int):
    wave = _wave(request, municipality, year)
    form = SurveyUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        content = f.read()
        name = Path(f.name).name
        sheet = form.cleaned_data["sheet"].strip()
        try:
            parsed = read_file(content, name, sheet=sheet or None)
        except SurveyReadError as exc:
            form.add_error("file", str(exc))
        else:
            job = services.survey_import_preview(
                actor=request.user,
                wave=wave,
                file_name=name,
                content=content,
                parsed=parsed,
                sheet=sheet,
            )
            return redirect("surveys:survey_import_mapping", municipality.code, year, job.pk)
    imports = (
        SurveyImport.objects.visible_to(request.user, CHANGE)
        .filter(municipality=municipality, wave=wave)
        .exclude(state=State.PREVIEW)
        .select_related("created_by")[:RECENT_IMPORTS]
    )
    return render(
        request,
        "surveys/import_upload.html",
        _base(municipality, wave, form=form, imports=imports),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
@require_http_methods(["GET", "POST"])
def mapping(request, municipality, year: int, pk: int):
    wave = _wave(request, municipality, year)
    job = _job(request, wave, pk)
    if job.state != State.PREVIEW:
        return redirect("surveys:survey_import", municipality.code, year, job.pk)
    if request.method == "POST" and "discard" in request.POST:
        services.survey_import_discard(actor=request.user, job=job)
        messages.info(request, _("The file was not imported."))
        return redirect("surveys:survey_import_upload", municipality.code, year)
    try:
        parsed = services.read_job(job)
    except SurveyReadError as exc:
        services.survey_import_discard(actor=request.user, job=job)
        messages.error(request, str(exc))
        return redirect("surveys:survey_import_upload", municipality.code, year)
    can_keep = services.can_keep_file(request.user, municipality)
    questions = SurveyQuestion.objects.visible_to(request.user).filter(
        municipality=municipality, wave=wave
    )
    form = MappingForm(
        request.POST or None,
        columns=parsed.columns,
        examples=[_examples(*parsed.value_examples(i)) for i in range(len(parsed.columns))],
        mapping=services.job_columns(job),
        questions=questions,
        can_keep=can_keep,
        initial={"keep_file": job.keep_until is not None},
    )
    if request.method == "POST" and form.is_valid():
        services.survey_import_map(
            actor=request.user,
            job=job,
            columns=form.mapping(),
            keep_file=bool(form.cleaned_data.get("keep_file")),
        )
        return redirect("surveys:survey_import", municipality.code, year, job.pk)
    return render(
        request,
        "surveys/import_mapping.html",
        _base(municipality, wave, job=job, parsed=parsed, form=form),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
@require_http_methods(["GET", "POST"])
def preview(request, municipality, year: int, pk: int):
    """One upload: its preview until confirmed (or cancelled), then its progress (polled by
    htmx while the worker imports it) and its result."""
    wave = _wave(request, municipality, year)
    job = _job(request, wave, pk)
    if job.state != State.PREVIEW:
        if request.method == "POST":
            return redirect("surveys:survey_import", municipality.code, year, job.pk)
        return _job_page(request, municipality, wave, job)
    if request.method == "POST" and "discard" in request.POST:
        services.survey_import_discard(actor=request.user, job=job)
        messages.info(request, _("The file was not imported."))
        return redirect("surveys:survey_import_upload", municipality.code, year)
    form = ConfirmForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            if services.survey_import_queue(
                actor=request.user,
                job=job,
                replace_confirmed=form.cleaned_data["replace_confirmed"],
            ):
                run_survey_import.enqueue(job.pk)
            return redirect("surveys:survey_import", municipality.code, year, job.pk)
        except services.SurveyImportError as exc:
            errors = exc.problems
    result = services.preview_of(job)
    problems = result.problems
    return render(
        request,
        "surveys/import_preview.html",
        _base(
            municipality,
            wave,
            job=job,
            form=form,
            result=result,
            errors=errors,
            problems=problems[:SHOWN_PROBLEMS],
            problem_count=len(problems),
            more_problems=max(0, len(problems) - SHOWN_PROBLEMS),
            mapped=[(c, target_label(t)) for c, t in services.job_columns(job).items() if t],
        ),
        status=400 if request.method == "POST" else 200,
    )


def _examples(values: list[str], different: int) -> str:
    """ "1, 2, 3, 4, 9" or "1, 2, 3 … (4 222 different values)"."""
    text = ", ".join(values)
    if different > len(values):
        text += " … " + _("(%(n)s different values)") % {"n": different}
    return text


def _job_page(request, municipality, wave, job):
    context = _base(
        municipality,
        wave,
        job=job,
        active=job.state in (State.QUEUED, State.RUNNING),
        problems=job.message.splitlines() if job.state == State.FAILED else [],
    )
    if request.htmx:
        if job.state == State.DONE:
            # the results page follows; the summary goes with it (warnings included)
            messages.success(
                request,
                _("%(n)s responses were imported into %(wave)s.")
                % {"n": job.counts.get("responses", 0), "wave": wave.name},
            )
            for warning in job.counts.get("warnings") or []:
                messages.warning(request, warning)
            return HttpResponseClientRedirect(context["results_url"])
        return render(request, "surveys/import_status.html", context)
    return render(request, "surveys/import_job.html", context)


@municipality_view()
@require_http_methods(["GET", "POST"])
def postcodes(request, municipality, year: int):
    wave = _wave(request, municipality, year)
    form = PostcodeUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and wave.layer_id and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            n = postcode_table_replace(
                actor=request.user,
                municipality=municipality,
                layer=wave.layer,
                content=f.read(),
                file_name=Path(f.name).name,
            )
        except services.SurveyImportError as exc:
            for problem in exc.problems[:SHOWN_PROBLEMS]:
                form.add_error("file", problem)
        else:
            messages.success(request, _("The postcode table now has %(n)s postcodes.") % {"n": n})
            return redirect("surveys:survey_postcodes", municipality.code, year)
    count = (
        PostcodeArea.objects.visible_to(request.user)
        .filter(municipality=municipality, layer_id=wave.layer_id)
        .count()
        if wave.layer_id
        else 0
    )
    return render(
        request,
        "surveys/import_postcodes.html",
        _base(municipality, wave, form=form, count=count),
        status=400 if request.method == "POST" else 200,
    )
