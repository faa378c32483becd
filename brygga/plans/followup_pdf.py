"""The report-back as PDF: ``plans/follow_up_print.html`` (the same body as the page,
``plans/_follow_up_body.html``) laid out by WeasyPrint, with the style sheet read from the app's
static files and inlined, and a URL fetcher that refuses everything (nothing is fetched). Pango
is a system library (see the README), as for the lägesbild's PDF."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

STYLESHEET = "plans/follow_up_print.css"


@lru_cache(maxsize=1)
def _css() -> str:
    found = finders.find(STYLESHEET)
    return Path(found).read_text(encoding="utf-8") if found else ""


def render_print_html(context: dict) -> str:
    css = mark_safe(_css())  # noqa: S308 (our own static file)
    return render_to_string("plans/follow_up_print.html", {**context, "css": css})


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"the report-back PDF fetches nothing ({url[:60]})")


def render_pdf(context: dict) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    return HTML(
        string=render_print_html(context),
        base_url=str(Path(__file__).resolve().parent),
        url_fetcher=_no_fetch,
    ).write_pdf()
