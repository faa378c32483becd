"""Expectations for Open311: the public GeoReport v2 endpoints and the key administration.

The public endpoints answer every actor alike (no session is used). The matrix fills
``<code>`` with Sundsvall's kommunkod, which is not a service code, so the service definition
answers the GeoReport 404 to everyone (and 405 to the POST sweep); tests/incidents/
test_open311_api.py covers real service codes.
"""

from ..conftest import ALL_ACTORS
from . import MANAGERS, _m, admin_page

_public = dict.fromkeys(ALL_ACTORS, 200)

EXPECTED: dict[str, dict] = {
    **{f"open311:service_list_{f}": _public for f in ("json", "xml")},
    **{f"open311:service_definition_{f}": dict.fromkeys(ALL_ACTORS, 404) for f in ("json", "xml")},
    **{f"open311:request_list_{f}": _public for f in ("json", "xml")},
    **{f"open311:request_detail_{f}": _public for f in ("json", "xml")},
    "incidents:open311_key_list": admin_page(),
    "incidents:open311_key_create": admin_page(),
    "incidents:open311_key_edit": admin_page(),
    "incidents:open311_key_revoke": admin_page(),
    # POST only (publish / withdraw a tip's public text): GET answers 405 past the checks
    "incidents:open311_tip_publication": _m(
        s405=MANAGERS,
        s403=["viewer", "reporter", "analyst", "case_worker"],
        s404=["outsider"],
    ),
    "incidents:open311_contact": _m(
        s200=MANAGERS,
        s403=["viewer", "reporter", "analyst", "case_worker"],
        s404=["outsider"],
    ),
}


def objects(world) -> dict:
    from brygga.audit.context import acting_as
    from brygga.incidents.open311 import services

    with acting_as(label="test setup"):
        key, secret = services.open311_key_create(
            actor=world.users["municipal_admin"],
            municipality=world.sundsvall,
            name="Matrix form",
            reporting_organisation=world.orgs["kommun"],
        )
    incident = services.service_request_submit(
        data={
            "api_key": secret,
            "service_code": "klotter",
            "lat": "62.3908",
            "long": "17.3069",
            "description": "Matrix tip",
            "email": "tipster@example.invalid",
        },
        client=services.client_hash("192.0.2.1"),
    )
    _publish(world, incident, "Matrix tip, published")
    return {
        "open311_key": key.pk,
        "open311_contact": incident.pk,
        "open311_tip": incident.pk,
        "request_detail": incident.open311_request.token,  # the public id
    }


NOT_A_MUNICIPALITY_CODE = {f"open311:service_definition_{f}" for f in ("json", "xml")}
JURISDICTION_PARAM = {"open311:": "jurisdiction_id"}


def tenant_objects(world, municipality, marker) -> dict:
    """An Open311 key of ``municipality`` and a public tip sent with it, reviewed and
    published (so it is on the public lists of its own municipality)."""
    from brygga.audit.context import acting_as
    from brygga.incidents.open311 import services

    from ..incidents.factories import IN_CENTRE, TIMRA_POINT

    with acting_as(label="test setup"):
        key, secret = services.open311_key_create(
            actor=world.users["system_admin"], municipality=municipality, name=f"{marker} nyckel"
        )
    place = (
        {"lat": str(TIMRA_POINT[0]), "long": str(TIMRA_POINT[1])}
        if municipality.code == world.timra.code
        else IN_CENTRE
    )
    incident = services.service_request_submit(
        data={
            "api_key": secret,
            "service_code": "klotter",
            **place,
            "description": f"{marker} tips",
            "email": f"{marker.lower()}@example.invalid",
        },
        client=services.client_hash(f"192.0.2.{10 + int(municipality.code) % 200}"),
        jurisdiction_id=municipality.code,
    )
    _publish(world, incident, f"{marker} publicerat")
    return {
        "open311_key": key.pk,
        "open311_contact": incident.pk,
        "open311_tip": incident.pk,
        "request_detail": incident.open311_request.token,  # the public id
    }


def api_writes(world, objs) -> dict:
    """Open311 intake is public: anyone may POST a tip with a key (tests/incidents/
    test_open311_post.py); the sweep sends none, so every POST is refused (403) and writes
    nothing but its rate-limit row. Nothing else is writable."""
    return {}


def _publish(world, incident, text: str) -> None:
    """Review a tip and publish its text: only then is it on the public Open311 lists."""
    from brygga.audit.context import acting_as
    from brygga.incidents.models import Status
    from brygga.incidents.open311 import services

    type(incident).objects.filter(pk=incident.pk).update(status=Status.REVIEWED)
    incident.refresh_from_db()  # (and below, so that incident.open311_request is the new row)
    with acting_as(label="test setup"):
        services.open311_tip_publish(
            actor=world.users["system_admin"], incident=incident, text=text
        )
