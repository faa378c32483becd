"""Expectations for the category pages (a municipality's own incident categories): for those
who manage the municipality.

The ``<pk>`` of the edit and (de)activation pages is one of Sundsvall's own categories. The key
``category_`` is more specific than the ``category`` key of incidents_report (a national
category for the API detail), and this module is merged first, so it wins for these names.
"""

from . import manage_page

EXPECTED: dict[str, dict] = {
    "incidents:category_list": manage_page(),
    "incidents:category_create": manage_page(),
    "incidents:category_edit": manage_page(),
    "incidents:category_status": manage_page(),
}


def objects(world) -> dict:
    from brygga.audit.context import acting_as
    from brygga.incidents import services
    from brygga.incidents.models import Category

    main = Category.objects.get(code="klotter", municipality__isnull=True)
    with acting_as(label="test setup"):
        own = services.create_category(
            world.users["coordinator"], world.sundsvall, parent=main, name="Klotter på skola"
        )
    return {"category_": own.pk}


def tenant_objects(world, municipality, marker) -> dict:
    from ..incidents.factories import CategoryFactory, category

    own = CategoryFactory(
        municipality=municipality, parent=category("klotter"), name=f"{marker} egen kategori"
    )
    return {"category_": own.pk}
