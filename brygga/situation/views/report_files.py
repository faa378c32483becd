"""A published lägesbild as a file: the PDF (``pdf.render_pdf`` from the frozen snapshot).

Same access as the JSON (``reports.report_json``): the report must be one the user may see
(the resolver, else 404) and published (a draft has no frozen figures: 404). The file name holds
the municipality code, the report id and the version, nothing about a person."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from brygga.core.views.decorators import municipality_view

from ..pdf import render_pdf
from .reports import _report


@municipality_view()
def report_pdf(request, municipality, pk):
    report = _report(request, municipality, pk)
    if not report.is_published:
        raise Http404
    response = HttpResponse(
        render_pdf(report.snapshot, report=report), content_type="application/pdf"
    )
    name = f"lagesbild-{municipality.code}-{report.pk}-v{report.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
