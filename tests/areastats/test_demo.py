"""The demo's population: made-up figures for each demo area of Sundsvall, labelled as such,
plausible in size, and loaded once however often the demo runs."""

from __future__ import annotations

import pytest

from brygga.areastats.demo import DEMO_SOURCE, load_population_demo
from brygga.areastats.models import StatValue
from brygga.areastats.selectors import population_for
from brygga.core.demo import load_demo
from brygga.core.models import Area, Municipality


@pytest.mark.django_db
def test_demo_population_per_demo_area():
    load_demo()
    first = load_population_demo()
    sundsvall = Municipality.objects.get(code="2281")
    areas = Area.objects.filter(municipality=sundsvall, is_demo_geometry=True)
    assert first["areas"] == areas.count() > 5
    population = population_for(sundsvall, areas)
    assert set(population) == set(areas.values_list("pk", flat=True))
    assert all(1500 <= f.value <= 14000 and f.source == DEMO_SOURCE for f in population.values())
    again = load_population_demo()
    assert (again["created"], again["unchanged"]) == (0, first["created"])
    assert StatValue.objects.count() == first["created"]
