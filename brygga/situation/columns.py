"""Readable headings for the columns of the lägesbild's tables. The tables (``exports.Table``,
the snapshot's ``tables``) name their columns with stable keys — the CSV headers and the JSON's
field names, which other programs read — and the page and the PDF show these headings instead,
in the interface's language."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

LABELS = {
    "key": _("Code"),
    "name": _("Name"),
    "period": _("Period"),
    "start": _("From"),
    "end": _("To"),
    "events": _("Events"),
    "previous_period": _("Previous period"),
    "share_percent": _("Share (%)"),
    "change_percent": _("Change (%)"),
    "change_text": _("Change"),
    "population": _("Population"),
    "population_year": _("Population year"),
    "rate_per_1000": _("Per 1,000 inhabitants"),
    "rate": _("Per 1,000 inhabitants"),
    "rate_low": _("Lower limit"),
    "rate_high": _("Upper limit"),
    "lower": _("Lower limit"),
    "upper": _("Upper limit"),
    "weekday": _("Weekday"),
    "total": _("Total"),
    "year": _("Year"),
    "month": _("Month"),
    "week": _("Week"),
    "week_start": _("Week from"),
    "earlier_years_mean": _("Mean of earlier years"),
    "expected": _("Expected"),
    "cusum": _("CUSUM alarm"),
    "ewma": _("EWMA alarm"),
    "area": _("Area"),
    "survey_year": _("Survey year"),
    "group": _("Compared with"),
    "municipalities": _("Municipalities"),
    "rank": _("Rank"),
    "score": _("Score"),
    "drivers": _("Driven by"),
    "police_events": _("Police events"),
}
PARTS = {
    "mean": _("mean"),
    "low": _("lower limit"),
    "high": _("upper limit"),
    "n": _("answers"),
}
EVENTS_OF_YEAR = re.compile(r"events_(\d{4})")
INDEX_PART = re.compile(r"(.+)_(mean|low|high|n)")


def column_label(key: str) -> str:
    """The heading of column ``key`` (the key itself, if it has none: an hour "00"–"23")."""
    if key in LABELS:
        return str(LABELS[key])
    if m := EVENTS_OF_YEAR.fullmatch(key):
        return str(_("Events %(year)s")) % {"year": m[1]}
    if m := INDEX_PART.fullmatch(key):  # a survey index's mean, interval and answers
        return f"{m[1].replace('_', ' ').capitalize()}, {PARTS[m[2]]}"
    return key
