"""The lägesbild for the public, without signing in: /offentlig/kommuner/<code>/lagesbild/ —
the published reports whose audience is the public (newest first, every version, a superseded
one marked), one of them rendered from its frozen snapshot (the same section templates as the
published page, without comments, edit links or names of people), its snapshot as JSON and the
PDF (rendered once per version, ``report_files.pdf_of``).

Reads go through ``selectors.public_reports`` only: a draft, a report for the partners or the
council, another municipality's report or an unknown municipality is 404. The snapshots were
protected when they were published (``audiences.py``). The pages are cached for a short while
by the browser only (they carry the language form's CSRF token); the JSON by any cache.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from .. import selectors
from .report_files import pdf_response
from .reports import _sections

MAX_AGE = 300  # seconds: a published report never changes, a new version may appear


@require_safe
def public_report_list(request, code: str):
    municipality = selectors.public_municipality(code)
    response = render(
        request,
        "situation/public_reports.html",
        {
            "public_municipality": municipality,
            "reports": list(selectors.public_reports(municipality)),
        },
    )
    patch_cache_control(response, private=True, max_age=MAX_AGE)
    return response


@require_safe
def public_report_detail(request, code: str, pk: int):
    municipality = selectors.public_municipality(code)
    report = selectors.public_report(municipality, pk)
    newer = (
        selectors.public_reports(municipality).filter(supersedes=report).first()
        if report.superseded
        else None
    )
    response = render(
        request,
        "situation/public_report.html",
        {
            "public_municipality": municipality,
            "report": report,
            "newer": newer,
            "meta": report.snapshot["meta"],
            "sections": _sections(report.snapshot),
        },
    )
    patch_cache_control(response, private=True, max_age=MAX_AGE)
    return response


@require_safe
def public_report_json(request, code: str, pk: int):
    municipality = selectors.public_municipality(code)
    report = selectors.public_report(municipality, pk)
    body = json.dumps(report.snapshot, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"lagesbild-{municipality.code}-{report.pk}-v{report.version}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


@require_safe
def public_report_pdf(request, code: str, pk: int):
    municipality = selectors.public_municipality(code)
    report = selectors.public_report(municipality, pk)
    response = pdf_response(report, municipality)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
