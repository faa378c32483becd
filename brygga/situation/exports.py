"""Every table of the dashboard as rows for CSV (one table, ``?tabell=``) and XLSX (a sheet
per table). Built from :mod:`figures`, so a download shows exactly the page's numbers. Text
cells go through ``escape_cell`` against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from brygga.core.cells import escape_cell

from .figures import Breakdown, Change, Dashboard, Rate


def weekday_names() -> list[str]:
    """Monday … Sunday in the active language (Django's own translated names)."""
    return [str(WEEKDAYS[i]) for i in range(7)]


@dataclass(frozen=True)
class Table:
    key: str  # the value of ?tabell=
    title: str
    columns: list[str]
    rows: list[list]


def _r(value: float | None, digits: int = 2):
    return None if value is None else round(value, digits)


def _rate_cells(rate: Rate | None) -> list:
    if rate is None:
        return [None, None, None, None]
    return [rate.population, _r(rate.rate), _r(rate.low), _r(rate.high)]


def _change_cells(c: Change) -> list:
    return [_r(c.percent, 1), c.text]


RATE_COLUMNS = ["population", "rate_per_1000", "rate_low", "rate_high"]


def _breakdown(key: str, title: str, b: Breakdown) -> Table:
    return Table(
        key,
        title,
        ["key", "name", "events", "share_percent", "previous_period", "change_percent",
         "change_text", *RATE_COLUMNS],
        [
            [r.key, r.label, r.events, _r(r.share, 1), r.previous, *_change_cells(r.change),
             *_rate_cells(r.rate)]
            for r in b.rows
        ],
    )  # fmt: skip


def tables(d: Dashboard) -> list[Table]:
    h = d.headline
    summary = [
        [
            _("this period"),
            h.period.start.isoformat(),
            h.period.end.isoformat(),
            h.events,
            None,
            None,
            *_rate_cells(h.rate),
        ]
    ]
    for label, c in [(_("previous period"), h.previous)] + [
        (_("the same period %(n)s years earlier") % {"n": k}, c)
        for k, c in enumerate(h.earlier, start=1)
    ]:
        summary.append(
            [
                label,
                c.period.start.isoformat(),
                c.period.end.isoformat(),
                c.events,
                *_change_cells(c.change),
                None,
                None,
                None,
                None,
            ]
        )
    out = [
        Table(
            "sammanfattning",
            _("Summary"),
            ["period", "start", "end", "events", "change_percent", "change_text", *RATE_COLUMNS],
            summary,
        ),
        _breakdown("kategorier", _("By category"), d.categories),
        _breakdown("omraden", _("By area"), d.areas),
        _breakdown("kallor", _("By source"), d.streams),
        Table(
            "veckodag-timme",
            _("Weekday and hour"),
            ["weekday", *[f"{h:02d}" for h in range(24)], "total"],
            [
                [weekday_names()[i], *row, sum(row)]
                for i, row in enumerate(d.heat.cells)
            ],
        ),
        Table(
            "manader",
            _("Months"),
            ["year", "month", "events", "earlier_years_mean",
             *[f"events_{y}" for y in d.months.years]],
            [
                [m.year, m.month, m.events, _r(m.earlier_mean), *m.earlier]
                for m in d.months.months
            ],
        ),
    ]  # fmt: skip
    ctx = d.context
    out.append(
        Table(
            "omradesfakta",
            _("Area context"),
            ["area", "population", "population_year", *ctx.series],
            [
                [a.name, a.population, a.population_year]
                + [a.figures[s][0] if s in a.figures else None for s in ctx.series]
                for a in ctx.areas
            ],
        )
    )
    out += _trend_tables(d)
    if ctx.survey_indices:
        cols = []
        for i in ctx.survey_indices:
            cols += [f"{i['code']}_mean", f"{i['code']}_low", f"{i['code']}_high", f"{i['code']}_n"]
        rows = []
        for a in ctx.areas:
            row = [a.name, ctx.survey_year]
            for i in ctx.survey_indices:
                e = a.survey.get(i["code"]) or {}
                row += [e.get("mean"), e.get("low"), e.get("high"), e.get("n")]
            rows.append(row)
        out.append(Table("trygghet", _("Survey indices"), ["area", "survey_year", *cols], rows))
    return out


def _trend_tables(d: Dashboard) -> list[Table]:
    """The weeks against the baseline, the forecast and the reference comparison."""
    weeks = Table(
        "veckor",
        _("Weeks against the baseline"),
        ["week_start", "year", "week", "events", "expected", "lower", "upper", "cusum", "ewma"],
        [
            [w.start.isoformat(), w.year, w.week, w.observed, _r(w.expected), _r(w.lower),
             _r(w.upper), int(w.cusum), int(w.ewma)]
            for w in d.trend.weeks
        ],
    )  # fmt: skip
    fc = d.forecast
    forecast = Table(
        "prognos",
        _("Forecast"),
        ["month", "expected", "lower", "upper"],
        [[m.start.isoformat()[:7], _r(m.expected), _r(m.lower), _r(m.upper)] for m in fc.months]
        + [[fc.quarter.param(), _r(fc.expected), _r(fc.lower), _r(fc.upper)]],
    )
    reference = Table(
        "jamforelse",
        _("Police events compared with reference data"),
        ["period", "group", "events", "population", "municipalities", "rate", "lower", "upper"],
        [
            [y.period.param(), r.label, r.events, r.population, r.municipalities, _r(r.rate),
             _r(r.lower), _r(r.upper)]
            for y in d.reference.history
            for r in y.rows.values()
        ],
    )  # fmt: skip
    return [weeks, forecast, reference]


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(escape_cell(value))


def as_csv(table: Table) -> bytes:
    """UTF-8 with BOM and ``;`` as Swedish Excel opens it; decimal comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(tables_: list[Table]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for t in tables_:
        ws = book.create_sheet(t.key[:31])
        ws.append(t.columns)
        for row in t.rows:
            ws.append([escape_cell(v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
