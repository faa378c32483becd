"""Reads for incidents: always restricted to the user; reads of personal data are logged."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from brygga.audit.services import log_access
from brygga.core.access import VIEW
from brygga.core.models import Area, County, Municipality

from .models import Incident, Source


def municipality_scope(qs: QuerySet, municipality: Municipality) -> QuerySet:
    """Incidents of a municipality, its copies of the county-level police events of its county
    included (see ``IncidentQuerySet.in_scope_of`` for why it is written the way it is)."""
    return qs.in_scope_of([municipality.pk], [municipality.county_id])


def with_related(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """The rows an incident page or API response shows with each incident (category and its
    main category, area, reporting organisation, municipality, county), fetched for the page's
    rows in small separate queries.

    Deliberately not ``select_related``: with the joins SQLite's planner starts from the
    category table and sorts every matching incident, instead of walking the
    ``incident_scope_time_idx`` index newest first and stopping after one page (on a database
    of a million incidents that was 40 ms instead of under one). Polygons are not loaded.
    """
    return qs.prefetch_related(
        "category__parent",
        Prefetch("area", queryset=Area._base_manager.defer("geometry")),
        "reporting_organisation",
        Prefetch("municipality", queryset=Municipality._base_manager.defer("boundary")),
        Prefetch("county", queryset=County._base_manager.defer("boundary")),
    )


def incidents_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Incident]:
    """Incidents of ``municipality`` visible to ``user``, including county-level police events
    of its county."""
    return with_related(municipality_scope(Incident.objects.visible_to(user, action), municipality))


PERSONAL_FIELDS = ("description", "place_description")


def log_incident_read(user, incident: Incident, *, purpose: str) -> None:
    """Log that a response shows ``user`` the texts of ``incident``, when they hold personal
    data: call it once per response that carries them (a page, an API body), in the
    transaction of the read; a response without the texts (a redirect) logs nothing."""
    if incident.has_personal_data:
        log_access(user, incident, purpose, fields=PERSONAL_FIELDS)


def incident_detail(user, municipality: Municipality, pk: int, *, purpose: str) -> Incident:
    """One incident; if its text holds personal data the read is logged with ``purpose``."""
    incident = incidents_for(user, municipality).get(pk=pk)
    log_incident_read(user, incident, purpose=purpose)
    return incident


def list_summary(qs: QuerySet[Incident], *, cap: int) -> dict:
    """The list's summary line in one aggregate query over at most ``cap + 1`` rows of the
    selection: ``{"total", "police", "capped"}`` (``capped``: more rows match than ``cap``;
    ``total`` is then ``cap`` and ``police`` counts among the rows counted)."""
    counted = qs.order_by("-occurred_from", "-id")[: cap + 1].aggregate(
        total=Count("pk"), police=Count("pk", filter=Q(source=Source.POLICE))
    )
    total = counted["total"] or 0
    return {"total": min(total, cap), "police": counted["police"] or 0, "capped": total > cap}


def police_incidents_for(user, municipality: Municipality) -> QuerySet[Incident]:
    """Police events visible to ``user`` in ``municipality`` (its own and its county's)."""
    return incidents_for(user, municipality).filter(source=Source.POLICE)


def police_type_counts(user, municipality: Municipality, *, year: int | None = None) -> dict:
    """Counts per police type: ``{type: {"municipality": n, "county": n}}``."""
    qs = police_incidents_for(user, municipality)
    if year:
        qs = qs.filter(occurred_from__year=year)
    rows = (
        qs.order_by()
        .values("source_type")
        .annotate(
            n_municipality=Count("pk", filter=Q(county_event=False)),
            n_county=Count("pk", filter=Q(county_event=True)),
        )
    )
    return {
        r["source_type"]: {"municipality": r["n_municipality"], "county": r["n_county"]}
        for r in rows
    }
