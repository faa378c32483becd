"""The incident rows behind the map and the near-repeat test are the incidents the rollup
counts, stream by stream: a stream filter on the map shows what the dashboard counts."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from brygga.incidents.models import IncidentCount, Stream
from brygga.situation.points import incidents_in

from .test_figures import make_incidents, scope_of

pytestmark = pytest.mark.django_db


def test_each_streams_incidents_are_the_ones_the_rollup_counts(world):
    make_incidents(world)
    seen = 0
    for stream in Stream:
        scope = scope_of(world, f"period=2021-01-01..2025-12-31&kalla={stream.value}")
        rows = incidents_in(world.users["coordinator"], scope)
        rolled = IncidentCount.objects.filter(
            municipality=world.sundsvall, layer__isnull=True, stream=stream
        ).aggregate(n=Sum("incidents"))["n"]
        assert rows.count() == (rolled or 0), stream
        seen += rows.count()
    everything = scope_of(world, "period=2021-01-01..2025-12-31")
    assert seen == incidents_in(world.users["coordinator"], everything).count() > 0
