"""A published lägesbild as a file: the PDF (``pdf.render_pdf`` from the frozen snapshot).

Same access as the JSON (``reports.report_json``): the report must be one the user may see
(the resolver, else 404) and published (a draft has no frozen figures: 404). The file name holds
the municipality code, the report id and the version, nothing about a person."""

from __future__ import annotations

from django.core.cache import cache
from django.http import Http404, HttpResponse

from brygga.core.views.decorators import municipality_view

from ..pdf import render_pdf
from ..services.reports import snapshot_digest
from .reports import _report

KEEP = 7 * 24 * 3600  # seconds a rendered PDF stays in the cache


def pdf_of(report) -> bytes:
    """The published report's PDF. A published report never changes and rendering takes
    seconds, so each version is rendered once and kept in the cache (keyed by the snapshot's
    digest as well, so a changed snapshot can never be served an old file)."""
    key = f"situation:report-pdf:{report.pk}:{report.version}:{snapshot_digest(report.snapshot)}"
    return cache.get_or_set(key, lambda: render_pdf(report.snapshot, report=report), KEEP)


def pdf_response(report, municipality) -> HttpResponse:
    response = HttpResponse(pdf_of(report), content_type="application/pdf")
    name = f"lagesbild-{municipality.code}-{report.pk}-v{report.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@municipality_view()
def report_pdf(request, municipality, pk):
    report = _report(request, municipality, pk)
    if not report.is_published:
        raise Http404
    return pdf_response(report, municipality)
