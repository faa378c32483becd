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

    from brygga.audit.context import acting_as
    from brygga.incidents.models import Category, ImportProfile, Incident

    category = Category.objects.get(code="skadegorelse-fonster", municipality__isnull=True)
    with acting_as(label="test setup"):
        incident = Incident.objects.create(
            municipality=world.sundsvall,
            county_id=world.sundsvall.county_id,
            category=category,
            occurred_from=timezone.now() - timezone.timedelta(hours=3),
            lat=62.39,
            lon=17.305,
            area=world.areas["centrum"],
            reporting_organisation=world.orgs["field"],
            reported_by=world.users["reporter"],
        )
        profile = ImportProfile.objects.create(
            municipality=world.sundsvall, name="Mitthem veckofil", mapping={"datum": "when"}
        )
    return {"incident": incident.pk, "category": category.pk, "importprofile": profile.pk}
