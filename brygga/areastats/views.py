"""Pages of the area statistics: /kommuner/<code>/statistik/… — the stored series per year
with exports, and the upload → preview → confirm of a statistics file. Reads go through the
selectors (the resolver decides), writes through the services."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from brygga.core.access import resolver_for
from brygga.core.views.decorators import municipality_view

from . import exports, selectors, services
from .forms import StatsUploadForm
from .models import StatImport, StatValue
from .readers import StatsReadError, read_file
from .tasks import run_stat_import

SHOWN_PROBLEMS = 50
RECENT_IMPORTS = 10


def _can_import(request, municipality) -> bool:
    return resolver_for(request.user).can_create_in(StatValue, municipality)


def _require_import(request, municipality) -> None:
    if not _can_import(request, municipality):
        raise PermissionDenied


@municipality_view()
@require_GET
def index(request, municipality):
    can_import = _can_import(request, municipality)
    return render(
        request,
        "areastats/index.html",
        {
            "municipality": municipality,
            "series": selectors.series_per_year(request.user, municipality),
            "imports": selectors.imports_for(request.user, municipality)
            .filter(state=StatImport.State.DONE)
            .select_related("created_by")[:RECENT_IMPORTS],
            "feeds": selectors.feeds_for(request.user, municipality),
            "can_import": can_import,
        },
    )


@municipality_view()
@require_GET
def export(request, municipality, fmt: str):
    year = request.GET.get("ar", "")
    rows = selectors.stored_rows(
        request.user,
        municipality,
        year=int(year) if year.isdigit() else None,
        series=request.GET.get("serie") or None,
    )
    name = f"omradesstatistik-{municipality.code}"
    if fmt == "xlsx":
        response = HttpResponse(
            exports.as_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    else:
        response = HttpResponse(exports.as_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@municipality_view()
@require_http_methods(["GET", "POST"])
def upload(request, municipality):
    _require_import(request, municipality)
    form = StatsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        content = f.read()
        name = Path(f.name).name
        try:
            read_file(content, name)
        except StatsReadError as exc:
            form.add_error("file", str(exc))
        else:
            job = services.stat_import_preview(
                actor=request.user, municipality=municipality, file_name=name, content=content
            )
            return redirect("areastats:preview", municipality.code, job.pk)
    return render(request, "areastats/upload.html", {"municipality": municipality, "form": form})


@municipality_view()
@require_http_methods(["GET", "POST"])
def preview(request, municipality, pk: int):
    """One upload: its preview until confirmed (or cancelled), then its progress (polled by
    htmx while the worker imports it) and its result."""
    _require_import(request, municipality)
    job = get_object_or_404(selectors.imports_for(request.user, municipality), pk=pk)
    if job.state != StatImport.State.PREVIEW:
        if request.method == "POST":
            return redirect("areastats:preview", municipality.code, job.pk)
        return _job_page(request, municipality, job)
    if request.method == "POST" and "discard" in request.POST:
        services.stat_import_discard(actor=request.user, job=job)
        messages.info(request, _("The file was not imported."))
        return redirect("areastats:upload", municipality.code)
    problems, summary, parsed = [], None, None
    try:
        parsed = read_file(bytes(job.content), job.file_name)
        summary = services.summarise(municipality=municipality, parsed=parsed)
    except StatsReadError as exc:
        problems = [str(exc)]
    except services.StatsImportError as exc:
        problems = [str(p) for p in exc.problems]
    if request.method == "POST" and not problems:
        if services.stat_import_queue(actor=request.user, job=job):
            run_stat_import.enqueue(job.pk)
        return redirect("areastats:preview", municipality.code, job.pk)
    return render(
        request,
        "areastats/preview.html",
        {
            "municipality": municipality,
            "job": job,
            "parsed": parsed,
            "summary": summary,
            "problems": problems[:SHOWN_PROBLEMS],
            "more_problems": max(0, len(problems) - SHOWN_PROBLEMS),
        },
        status=400 if request.method == "POST" else 200,
    )


def _job_page(request, municipality, job):
    context = {
        "municipality": municipality,
        "job": job,
        "active": job.state in (StatImport.State.QUEUED, StatImport.State.RUNNING),
        "problems": job.message.splitlines() if job.state == StatImport.State.FAILED else [],
    }
    if request.htmx:
        return render(request, "areastats/_job_status.html", context)
    return render(request, "areastats/job.html", context)
