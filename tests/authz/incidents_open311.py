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
    return {
        "open311_key": key.pk,
        "open311_contact": incident.pk,
        "request_detail": incident.pk,
    }
