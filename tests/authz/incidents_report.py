"""Expectations for the incident report form, list, map, detail, exports, weekly round and
the incidents API (issue 3, parts 2, 3 and 7)."""

from . import MANAGERS, MEMBERS, _m, api, members_page

CHANGERS = ["reporter", *MANAGERS]  # the reporter's organisation filed the matrix incident

EXPECTED: dict[str, dict] = {
    "incidents:index": members_page(),
    "incidents:map": members_page(),
    "incidents:export_csv": members_page(),
    "incidents:export_xlsx": members_page(),
    "incidents:export_geojson": members_page(),
    "incidents:weekly": members_page(),
    "incidents:weekly_nil": _m(s405=MEMBERS, s404=["outsider"]),
    "incidents:report": _m(
        s200=["reporter", "analyst", *MANAGERS], s403=["viewer", "case_worker"], s404=["outsider"]
    ),
    "incidents:incident_detail": members_page(),
    "incidents:incident_receipt": members_page(),
    "incidents:incident_edit": _m(
        s200=CHANGERS, s403=["viewer", "analyst", "case_worker"], s404=["outsider"]
    ),
    "incidents:incident_delete": _m(
        s200=CHANGERS, s403=["viewer", "analyst", "case_worker"], s404=["outsider"]
    ),
    "incidents:incident_status": _m(
        s405=MANAGERS,
        s403=["viewer", "reporter", "analyst", "case_worker"],
        s404=["outsider"],
    ),
    "api:incident-list": api(),
    "api:incident-detail": api(s404=["outsider"]),
    "api:category-list": api(),
    "api:category-detail": api(),  # a national category: every signed-in user sees it
    "api:importprofile-list": api(),
    "api:importprofile-detail": api(s404=["viewer", "reporter", "case_worker", "outsider"]),
}


def objects(world) -> dict:
    from django.utils import timezone

    from brygga.incidents.models import Category

    from ..incidents.factories import ImportProfileFactory, IncidentFactory

    category = Category.objects.get(code="skadegorelse-fonster", municipality__isnull=True)
    incident = IncidentFactory(
        municipality=world.sundsvall,
        category=category,
        occurred_from=timezone.now() - timezone.timedelta(hours=3),
        lat=62.39,
        lon=17.305,
        area=world.areas["centrum"],
        reporting_organisation=world.orgs["field"],
        reported_by=world.users["reporter"],
    )
    profile = ImportProfileFactory(
        municipality=world.sundsvall, name="Mitthem veckofil", mapping={"datum": "when"}
    )
    return {"incident": incident.pk, "category": category.pk, "importprofile": profile.pk}


def tenant_objects(world, municipality, marker) -> dict:
    """An incident of ``municipality`` (its texts carry ``marker``), one of its own
    categories and an import profile."""
    from django.utils import timezone

    from ..incidents.factories import (
        CENTRE,
        TIMRA_POINT,
        CategoryFactory,
        ImportProfileFactory,
        IncidentFactory,
        category,
    )

    lat, lon = TIMRA_POINT if municipality.code == world.timra.code else CENTRE
    own = CategoryFactory(
        municipality=municipality, parent=category("klotter"), name=f"{marker} kategori"
    )
    incident = IncidentFactory(
        municipality=municipality,
        category=own,
        occurred_from=timezone.now() - timezone.timedelta(hours=5),
        lat=lat,
        lon=lon,
        description=f"{marker} händelse",
        place_description=f"{marker} plats",
    )
    profile = ImportProfileFactory(municipality=municipality, name=f"{marker} profil")
    return {"incident": incident.pk, "category": own.pk, "importprofile": profile.pk}


FILTER_PARAMS = {"category": "category"}


def api_writes(world, objs) -> dict:
    """Incidents: reported by those who may report; changed by the reporting organisation and
    those who manage. Categories: added by those who manage. Import profiles are read-only."""
    from ..incidents.factories import CENTRE, category

    report = {
        "municipality": "2281",
        "category": category().pk,
        "occurred_from": "2024-03-05T21:30:00+01:00",
        "lat": CENTRE[0],
        "lon": CENTRE[1],
        "description": "API-rapport",
    }
    new_category = {
        "municipality": "2281",
        "parent": category("klotter").pk,
        "code": "api-kategori",
        "name": "API-kategori",
    }
    return {
        ("api:incident-list", "post"): (["reporter", "analyst", *MANAGERS], report),
        ("api:incident-detail", "patch"): (CHANGERS, {"description": "API-ändrad"}),
        ("api:category-list", "post"): (MANAGERS, new_category),
    }
