"""Every kind of Open311 response passes the GeoReport v2 format validators (georeport.py), in
both formats, errors included."""

from __future__ import annotations

import re

import pytest

from brygga.incidents.models import Incident
from brygga.incidents.open311 import formats
from brygga.incidents.open311 import services as open311

from .factories import CategoryFactory, field_key, publish, tip
from .georeport import BASE, FORMATS, as_records, post, validate, validate_xml


@pytest.fixture
def key(world):
    return field_key(world)


# --- the shapes, on every response type ---------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_response_type_has_the_georeport_shape(fmt, world, key, client):
    _key, secret = key
    r = client.get(f"{BASE}/services.{fmt}")
    assert r.status_code == 200
    validate(r, fmt, "services")

    r = client.get(f"{BASE}/services/klotter.{fmt}")
    assert r.status_code == 200
    validate(r, fmt, "definition")

    r = post(client, fmt, tip(secret, description="Tags på muren"))
    assert r.status_code == 201
    created = as_records(validate(r, fmt, "created"), fmt)
    request_id = created[0]["service_request_id"]
    post(client, fmt, {**tip(secret), "lat": "", "long": "", "address_string": "Storgatan"})
    for incident in Incident.objects.filter(source="open311"):  # moderation: only published
        publish(world, incident)  # tips are on the public lists

    r = client.get(f"{BASE}/requests.{fmt}")
    assert r.status_code == 200
    records = as_records(validate(r, fmt, "requests"), fmt)
    assert len(records) == 2

    r = client.get(f"{BASE}/requests/{request_id}.{fmt}")
    assert r.status_code == 200
    assert as_records(validate(r, fmt, "requests"), fmt)[0]["service_request_id"] == request_id

    errors = [
        client.get(f"{BASE}/services/finns-inte.{fmt}"),
        client.get(f"{BASE}/requests/999999.{fmt}"),
        client.get(f"{BASE}/requests.{fmt}?start_date=igår"),
        client.get(f"{BASE}/services.{fmt}?jurisdiction_id=9999"),
        client.delete(f"{BASE}/requests.{fmt}"),
        post(client, fmt, {"service_code": "klotter"}),
        post(client, fmt, tip(secret, lat="x")),
    ]
    assert [e.status_code for e in errors] == [404, 404, 400, 404, 405, 403, 400]
    for e in errors:
        validate(e, fmt, "errors")


@pytest.mark.parametrize("fmt", FORMATS)
def test_rate_limit_error_has_the_georeport_shape(fmt, world, key, client, monkeypatch):
    monkeypatch.setattr(open311, "CLIENT_LIMIT", 1)
    _key, secret = key
    assert post(client, fmt, tip(secret)).status_code == 201
    r = post(client, fmt, tip(secret))
    assert r.status_code == 429
    validate(r, fmt, "errors")


def test_dates_carry_their_utc_offset(world, key, client):
    _key, secret = key
    post(client, "json", tip(secret))
    publish(world, Incident.objects.get(source="open311"))
    item = validate(client.get(f"{BASE}/requests.json"), "json", "requests")[0]
    for name in ("requested_datetime", "updated_datetime"):
        assert re.search(r"[+-]\d{2}:\d{2}$", item[name]), item[name]


def test_xml_escapes_markup_and_drops_characters_xml_cannot_carry(world, key, client):
    _key, secret = key
    text = 'Glas <b>&</b> "citat" ]]> \x01slut'
    post(client, "json", tip(secret, description=text), as_json=True)
    stored = Incident.objects.get(source="open311")
    publish(world, stored, stored.description)  # the moderator publishes the text as sent
    root = validate(client.get(f"{BASE}/requests.xml"), "xml", "requests")
    assert root.find("request/description").text == 'Glas <b>&</b> "citat" ]]> slut'
    item = validate(client.get(f"{BASE}/requests.json"), "json", "requests")[0]
    assert item["description"] == 'Glas <b>&</b> "citat" ]]> slut'


def test_formats_module_strips_invalid_xml_characters():
    body = formats.to_xml_list("errors", "error", [{"code": 400, "description": "a\x00b\ud800c"}])
    root = validate_xml(body, "errors")
    assert root.find("error/description").text == "abc"


def test_unknown_format_is_not_found(world, key, client):
    assert client.get(f"{BASE}/services.csv").status_code == 404
    assert client.get(f"{BASE}/requests.html").status_code == 404


def test_services_list_national_and_own_categories(world, key, client):
    from brygga.incidents.models import Category

    own = CategoryFactory(municipality=world.sundsvall, code="egen", name="Egen typ")
    CategoryFactory(municipality=world.timra, code="timra-typ", name="Timrås typ")
    Category.objects.filter(code="brand", municipality=None).update(is_active=False)
    items = validate(client.get(f"{BASE}/services.json"), "json", "services")
    codes = {s["service_code"] for s in items}
    assert {"klotter", "skadegorelse-fonster", own.code} <= codes
    assert "timra-typ" not in codes
    assert not {"brand", "brand-fordon"} & codes  # inactive main category and its children
    window = next(s for s in items if s["service_code"] == "skadegorelse-fonster")
    assert window["group"] == "Skadegörelse" and window["metadata"] is False
    assert window["type"] == "realtime"
    root = validate(client.get(f"{BASE}/services.xml"), "xml", "services")
    assert {s.find("service_code").text for s in root} == codes
    assert {s.find("metadata").text for s in root} == {"false"}
