"""The lägesbild as a printable document: HTML for print and a PDF made from it with WeasyPrint.

How it works: :func:`render_print_html` renders ``situation/report_print.html`` from a snapshot
(``snapshot.build_snapshot``) alone — the same frozen figures, paragraphs, charts and map the
published page shows, never the incidents again. The document is A4 with a cover (title,
municipality, scope, period, audience, version, publication date), a table of contents whose
page numbers WeasyPrint fills in (CSS ``target-counter``), one chapter per section in
``SECTIONS`` order (the analyst's text, else the generated paragraphs; the charts and the map as
the snapshot's inline SVG, each with its title printed above it; the tables, numbers with a
decimal comma), and in the sources chapter a note on the document's method (suppression rule,
map, charts). Page numbers are ``@page`` counters in the footer; the running head carries the
title and the chapter. ``<html lang="sv">`` and ``hyphens: auto`` give Swedish hyphenation
(Pyphen's dictionary, shipped with WeasyPrint); the fonts are DejaVu or Liberation, which
Debian installs with Pango/fontconfig.

:func:`render_pdf` hands that HTML to WeasyPrint. Nothing is fetched over the network: the
style sheets (``situation/report_print.css``, ``brygga/situation.css``,
``brygga/situation_trend.css``) are read from the app's static files by path and inlined, the
charts and the map are inline SVG, and a URL fetcher that refuses everything is passed so a
stray reference cannot reach out. WeasyPrint needs Pango (a system library; see the README).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import override

from .columns import column_label
from .models import SECTION_KEYS

STYLESHEETS = ("situation/report_print.css", "brygga/situation.css", "brygga/situation_trend.css")
WIDE_TABLE = 10  # columns from which a table is printed in a smaller font
TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.S)
SVG_OPEN_RE = re.compile(r"(<svg\b[^>]*>)")
VAR_RE = re.compile(r"var\(\s*--([\w-]+)\s*(?:,\s*([^)]*))?\)")
DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
LEFT_OUT = {"key"}
SVG_PROPERTIES = {
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
}  # columns of the tables that are ids, not figures: not printed


@lru_cache(maxsize=1)
def _css() -> str:
    parts = []
    for name in STYLESHEETS:
        found = finders.find(name)
        if found:
            parts.append(Path(found).read_text(encoding="utf-8"))
    return "\n".join(parts)


@lru_cache(maxsize=1)
def _svg_css() -> str:
    """The style sheets' rules for charts (selectors with "chart" or "trend"), with the custom
    properties of ``:root`` written out: WeasyPrint draws an inline SVG with the style sheets
    inside the SVG only, and without ``var()``."""
    import tinycss2

    root, rules = {}, []
    for rule in tinycss2.parse_stylesheet(_css(), skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        prelude = tinycss2.serialize(rule.prelude).strip()
        if prelude == ":root":
            for d in tinycss2.parse_blocks_contents(rule.content):
                if d.type == "declaration" and d.name.startswith("--"):
                    root[d.name[2:]] = tinycss2.serialize(d.value).strip()
        elif "chart" in prelude or "trend" in prelude:
            rules.append((prelude, tinycss2.serialize(rule.content).strip()))

    def value(m) -> str:
        return root.get(m[1], (m[2] or "").strip())

    return "\n".join(f"{p} {{ {VAR_RE.sub(value, body)} }}" for p, body in rules)


@lru_cache(maxsize=1)
def _html_css() -> str:
    """The style sheets for the document itself: without the SVG properties (in the charts'
    own ``<style>``) and the screen's ``@media`` rules, which WeasyPrint would warn about."""
    import tinycss2

    out = []
    for rule in tinycss2.parse_stylesheet(_css(), skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "media":
            continue
        if rule.type == "qualified-rule":
            kept = [
                f"{d.name}: {tinycss2.serialize(d.value).strip()}"
                + (" !important" if d.important else "")
                for d in tinycss2.parse_blocks_contents(rule.content)
                if d.type == "declaration" and d.lower_name not in SVG_PROPERTIES
            ]
            if kept:
                out.append(f"{tinycss2.serialize(rule.prelude).strip()} {{ {'; '.join(kept)} }}")
            continue
        out.append(rule.serialize())
    return "\n".join(out)


def _with_style(markup: str) -> str:
    return SVG_OPEN_RE.sub(lambda m: m[1] + "<style>" + _svg_css() + "</style>", markup, count=1)


def _cell(value) -> dict:
    """A table cell as printed: its text, whether it is a number (right-aligned, never broken)
    and whether it must not break (numbers, dates)."""
    if value is None:
        return {"text": "–", "num": False, "nowrap": False}
    if isinstance(value, bool):
        return {"text": str(value), "num": False, "nowrap": False}
    if isinstance(value, int):
        return {"text": str(value), "num": True, "nowrap": True}
    if isinstance(value, float):
        text = formats.number_format(value, use_l10n=True)
        return {"text": text, "num": True, "nowrap": True}
    text = str(value)
    hidden = text.startswith("<")
    return {"text": text, "num": hidden, "nowrap": hidden or bool(DATE_RE.match(text))}


def _table(t: dict) -> dict:
    keep = [i for i, c in enumerate(t["columns"]) if c not in LEFT_OUT]
    columns = [t["columns"][i] for i in keep]
    rows = [[_cell(r[i]) for i in keep] for r in t["rows"]]
    numeric = [
        bool(rows) and all(r[i]["num"] or r[i]["text"] == "–" for r in rows)
        for i in range(len(columns))
    ]
    return {
        "key": t["key"],
        "title": t["title"],
        "wide": len(columns) >= WIDE_TABLE,
        "columns": [
            {"key": str(c), "name": column_label(str(c)), "num": n}
            for c, n in zip(columns, numeric, strict=True)
        ],
        "rows": rows,
    }


def figure_title(markup: str) -> str:
    """The title of a chart or map (its SVG ``<title>``), printed above it."""
    m = TITLE_RE.search(markup)
    return html.unescape(m.group(1)).strip() if m else ""


def _figures(section: dict) -> list[dict]:
    out = []
    for markup in [*section.get("charts", []), *section.get("maps", [])]:
        out.append({"title": figure_title(markup), "markup": mark_safe(_with_style(markup))})  # noqa: S308
    return out


def _date(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(value, "j F Y")


def _municipality(meta: dict, report) -> str:
    if report is not None:
        m = report.municipality
    else:
        from brygga.core.models import Municipality

        m = Municipality.objects.filter(code=meta["municipality"]).first()
    return f"{m.name} ({m.code})" if m else meta["municipality"]


def _method(meta: dict) -> list[tuple[str, str]]:
    k = meta.get("min_count")
    if k:
        suppression = _(
            "The report is for an audience without need-to-know: every count under %(k)s is "
            "shown as “<%(k)s”, with the shares, changes and rates computed from it; further "
            "cells are hidden where a hidden count could be worked out from a shown total "
            "(complementary suppression); a chart leaves a hidden bar out, and the map hatches "
            "an area whose count is hidden. Free-text observations are left out."
        ) % {"k": k}
    else:
        suppression = _(
            "The report is for the forum's partners, who have need-to-know: every count is shown."
        )
    return [
        (_("Suppression of small counts"), suppression),
        (
            _("Map"),
            _(
                "Areas in SWEREF 99 TM, shaded by the period's events in up to five classes; "
                "Gi* hot and cold spots of square cells with the false discovery rate "
                "controlled, by class only. No event is drawn as a point."
            ),
        ),
        (
            _("Charts and tables"),
            _(
                "Every chart is drawn from the table printed with it; the figures were "
                "computed on %(date)s and are frozen with the report."
            )
            % {"date": _date(meta.get("computed_at"))},
        ),
    ]


def render_print_html(snapshot: dict, *, report=None) -> str:
    """The document as HTML for print (Swedish), from the snapshot alone."""
    meta = snapshot["meta"]
    with override("sv"):
        sections = []
        for key in SECTION_KEYS:
            s = snapshot[key]
            sections.append(
                {
                    "key": key,
                    "title": s["title"],
                    "text": s.get("text", ""),
                    "paragraphs": s.get("paragraphs", []),
                    "figures": _figures(s),
                    "tables": [_table(t) for t in s.get("tables", [])],
                }
            )
        published = getattr(report, "published_at", None) if report is not None else None
        cover = {
            "municipality": _municipality(meta, report),
            "published": _date(published) if published else "",
            "computed": _date(meta.get("computed_at")),
        }
        return render_to_string(
            "situation/report_print.html",
            {
                "meta": meta,
                "cover": cover,
                "sections": sections,
                "method": _method(meta),
                "css": mark_safe(_html_css()),  # noqa: S308 (our own static files)
            },
        )


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"the lägesbild PDF fetches nothing ({url[:60]})")


def render_document(snapshot: dict, *, report=None):
    """The laid-out WeasyPrint document (``.pages``, ``.write_pdf()``)."""
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    base = Path(__file__).resolve().parent
    return HTML(
        string=render_print_html(snapshot, report=report),
        base_url=str(base),
        url_fetcher=_no_fetch,
    ).render()


def render_pdf(snapshot: dict, *, report=None) -> bytes:
    """The document as PDF bytes (WeasyPrint)."""
    return render_document(snapshot, report=report).write_pdf()
