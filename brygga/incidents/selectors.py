"""Reads for incidents: always restricted to the user; reads of personal data are logged."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from brygga.audit.services import log_access
from brygga.core.access import VIEW
from brygga.core.models import Municipality

from .models import Incident


def incidents_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Incident]:
    """Incidents of ``municipality`` visible to ``user``, including county-level police events
    of its county."""
    return (
        Incident.objects.visible_to(user, action)
        .filter(
            Q(municipality=municipality)
            | Q(municipality__isnull=True, county_id=municipality.county_id)
        )
        .select_related("category", "category__parent", "area", "reporting_organisation")
    )


def incident_detail(user, municipality: Municipality, pk: int, *, purpose: str) -> Incident:
    """One incident; if its text holds personal data the read is logged with ``purpose``."""
    incident = incidents_for(user, municipality).get(pk=pk)
    if incident.has_personal_data:
        log_access(user, incident, purpose, fields=("description", "place_description"))
    return incident
