"""The scope's counted incidents as rows of ``Incident`` (the map and the near-repeat test need
their points, which the rollup does not hold), read through the resolver.

The same incidents as the rollup counts (``counted_through()``), in the scope's period by local
time, with the scope's categories and streams; a scope with areas takes the incidents placed in
those areas of its layer (``IncidentPlacement``), as :mod:`.counts` does.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from brygga.core.access import VIEW, resolver_for
from brygga.incidents.models import Incident, Stream
from brygga.incidents.rollup_models import SOURCE_STREAMS, counted_through
from brygga.incidents.services.rollups import day_start

from .scope import Period, Scope


def stream_q(streams) -> Q:
    """Incidents of ``streams`` (empty: every stream), as the rollup assigns them."""
    if not streams:
        return Q()
    q = Q(pk__in=[])
    for s in streams:
        if s == Stream.PARTNER:
            q |= ~Q(source__in=list(SOURCE_STREAMS))
        else:
            q |= Q(source__in=[src for src, st in SOURCE_STREAMS.items() if st == s])
    return q


def incidents_in(user, scope: Scope, *, period: Period | None = None) -> QuerySet:
    """The scope's counted incidents in the period (default the scope's)."""
    period = period or scope.period
    qs = (
        resolver_for(user)
        .restrict(Incident.objects.all(), VIEW)
        .filter(counted_through())
        .filter(
            municipality_id=scope.municipality.pk,
            occurred_from__gte=day_start(period.start),
            occurred_from__lt=day_start(period.end + dt.timedelta(days=1)),
        )
        .filter(stream_q(scope.streams))
    )
    if scope.category_ids is not None:
        qs = qs.filter(category_id__in=scope.category_ids)
    if scope.areas:
        qs = qs.filter(placements__layer_id=scope.layer.pk, placements__area_id__in=scope.area_ids)
    return qs


def with_points(qs: QuerySet) -> QuerySet:
    return qs.filter(sweref_e__isnull=False, sweref_n__isnull=False)
