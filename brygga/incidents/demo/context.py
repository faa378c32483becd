"""What the demo incidents are attached to: the demo municipality with its county, its areas,
the reporting organisations and the national categories. Core's demo (``brygga.core.demo``)
creates the municipality, the areas and the organisations; the national categories come from a
data migration and are loaded again here after a flush (a transactional test)."""

from __future__ import annotations

from dataclasses import dataclass

from brygga.core.demo import AREAS, DEMO_CODE
from brygga.core.models import Area, Municipality, Organisation
from brygga.incidents.models import Category, PoliceTypeMapping
from brygga.incidents.reference import load_default_categories


@dataclass(frozen=True)
class DemoContext:
    municipality: Municipality
    areas: list[Area]  # all of the municipality's areas
    demo_areas: dict[str, Area]  # core's demo areas, by name
    organisations: dict[str, Organisation]  # by name
    categories: dict[str, Category]  # the national categories, by code


def demo_context(organisation_names: set[str]) -> DemoContext:
    """The demo municipality's context; ``RuntimeError`` if core's demo has not been loaded
    (a demo area or one of ``organisation_names`` is missing)."""
    sundsvall = Municipality.objects.select_related("county").get(code=DEMO_CODE)
    all_areas = list(Area.objects.filter(municipality=sundsvall))
    demo_areas = {a.name: a for a in all_areas if a.name in {name for name, *_ in AREAS}}
    orgs = {
        o.name: o
        for o in Organisation.objects.filter(municipality=sundsvall, name__in=organisation_names)
    }
    missing = ({name for name, *_ in AREAS} - set(demo_areas)) | (organisation_names - set(orgs))
    if missing:
        raise RuntimeError(
            f"Demo areas or organisations are missing ({', '.join(sorted(missing))}); "
            "run load_demo() first."
        )
    if not Category.objects.filter(municipality__isnull=True).exists():  # a flushed database
        load_default_categories(Category, PoliceTypeMapping)
    categories = {c.code: c for c in Category.objects.filter(municipality__isnull=True)}
    return DemoContext(sundsvall, all_areas, demo_areas, orgs, categories)
