"""Demo incidents for Sundsvall (2281): about 18 months of partner reports, generated, plus the
real police events for Västernorrlands län from the file shipped in ``data/``.

The partner reports are synthetic and fictional (no people are named). They are generated
deterministically, day by day, from a fixed seed and the date, so that they look like a real
EST picture:

* spatially clustered around a few places (Stenstaden, Nacksta centrum, Skönsberg, Bredsand,
  Haga) with background noise over the urban areas and a little in the outer districts;
* more on Friday and Saturday evenings and nights, schools only on school days;
* seasonal: outdoor disorder in summer (Bredsand beach above all), broken lights in the dark
  season, fires around valborg and new year, disorder at the end of the school year;
* one emerging hot spot in Granloholm: almost nothing until eight weeks before ``today``, then
  a clear rise;
* fewer reports at Nacksta centrum (about 55 % of before) from the start of the demo measure
  there, about nine months before ``today`` (``partners.MEASURE_DAYS``; the plans app's demo
  logs the measure's work and evaluates it);
* some reports placed only in an area (no point), some with a time interval ("found in the
  morning"), a few with a count above one.

Each report has ``source="import"`` and ``source_id="demo-YYYYMMDD-NNN"`` (or ``demo-hs-…`` for
the hot spot), so the unique constraint (municipality, source, source_id) and a check of the
existing ids make a re-run insert nothing and write no audit row.

The package, by what it loads:

* :mod:`.context`        the demo municipality, its areas, organisations and the categories
* :mod:`.streams`        who reports what, where and when (pure data); :mod:`.descriptions`
                         the texts of the reports
* :mod:`.partners`       the synthetic partner reports: generated and inserted
* :mod:`.police_events`  the shipped police events, through the ordinary police import
* :mod:`.records`        tips, personal-data reports, deleted incidents and import history

``brygga demo`` calls :func:`load_incident_demo` through ``IncidentsConfig.load_demo``, which
ends by placing the incidents in the areas of every layer (``services.placements``).
"""

from __future__ import annotations

from datetime import date

from .partners import _pools, generate, load_synthetic
from .police_events import POLICE_FILE, load_police
from .records import load_records

__all__ = [
    "POLICE_FILE",
    "_pools",
    "generate",
    "load_incident_demo",
    "load_police",
    "load_records",
    "load_synthetic",
]


def load_incident_demo(*, today: date | None = None) -> dict:
    """The demo incidents: generated partner reports from the demo organisations and the real
    police events for Västernorrlands län. Idempotent; returns the counts."""
    counts = {
        "synthetic": load_synthetic(today=today),
        "police": load_police(),
        "records": load_records(),
    }
    # the partner reports are inserted straight: placed in the demo's layers afterwards
    from brygga.core.models import Municipality

    from ..services.placements import place_municipality
    from ..services.rollups import rebuild_counts

    with_layers = Municipality.objects.filter(area_layers__isnull=False).distinct()
    for pk in with_layers.values_list("pk", flat=True):
        place_municipality(municipality_id=pk)
        rebuild_counts(municipality_id=pk)  # and counted (the lägesbild's rollup)
    return counts
