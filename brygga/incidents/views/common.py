"""What the incident pages share: the sub-navigation context, the user's filtered selection,
one visible incident (a logged read of personal data), and what the import pages say about the
background worker. The maps' tiles and boundary come from
``brygga.core.views.maps.base_map_data``."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404
from django.utils import timezone

from brygga.core import health
from brygga.core.access import resolver_for
from brygga.incidents import selectors
from brygga.incidents.filters import IncidentFilter
from brygga.incidents.models import ImportJob, Incident
from brygga.incidents.selectors import UNCLAIMED_AFTER


def can_report(user, municipality) -> bool:
    return resolver_for(user).can_create_in(Incident, municipality)


def own_organisation_ids(user, municipality) -> list[int]:
    return sorted(resolver_for(user).member_organisations(municipality))


def incident_context(request, municipality, **extra) -> dict:
    """The context every incidents page has: what the sub-navigation shows, and which entry
    is marked (``incidents_section``, by default the page's URL name)."""
    resolver = resolver_for(request.user)
    return {
        "municipality": municipality,
        "can_report": can_report(request.user, municipality),
        "can_manage": resolver.has_ability("manage", municipality),
        "can_import": resolver.can_import(municipality),
        "incidents_section": request.resolver_match.url_name if request.resolver_match else "",
        **extra,
    }


def filtered(request, municipality):
    """The filter of ``?…`` and the incidents the user may see in the municipality, narrowed
    by it when it is bound."""
    qs = selectors.incidents_for(request.user, municipality)
    f = IncidentFilter(request.GET or None, queryset=qs, request=request, municipality=municipality)
    return f, (f.qs if f.is_bound else qs)


def get_visible(request, municipality, pk: int, *, purpose: str | None) -> Incident:
    """One incident the user may see (else 404); a read of personal data is logged with
    ``purpose`` (``None``: the caller logs it with ``selectors.log_incident_read`` when its
    response shows the texts)."""
    try:
        if purpose is None:
            return selectors.incidents_for(request.user, municipality).get(pk=pk)
        return selectors.incident_detail(request.user, municipality, pk, purpose=purpose)
    except Incident.DoesNotExist:
        raise Http404 from None


def query_without_page(request) -> str:
    q = request.GET.copy()
    q.pop("sida", None)
    return q.urlencode()


def worker_context(queue: dict) -> dict:
    """The task queue's state (:func:`brygga.core.health.queue_state`, as /healthz reports it)
    for the import pages: whether a worker is alive and what an administrator starts."""
    seconds = queue.get("last_activity_seconds")
    return {
        "queue": queue,
        "worker_alive": queue.get("worker") == "alive",
        "worker_last_seen": (
            timezone.now() - timedelta(seconds=seconds) if seconds is not None else None
        ),
        "worker_command": health.WORKER_COMMAND,
        "worker_unit": health.WORKER_UNIT,
        "worker_seen_minutes": int(health.WORKER_SEEN.total_seconds() // 60),
    }


def unclaimed_context(job: ImportJob, *, waiting: bool) -> dict:
    """For a job ``waiting`` for a worker: ``unclaimed`` once no worker has picked it up within
    :data:`UNCLAIMED_AFTER` (its last change), then the worker's state too. A command's job
    needs no worker."""
    unclaimed = (
        waiting
        and not job.options.get("cli")
        and job.state == ImportJob.State.PENDING
        and job.updated_at < timezone.now() - UNCLAIMED_AFTER
    )
    return {"unclaimed": unclaimed, **(worker_context(health.queue_state()) if unclaimed else {})}
