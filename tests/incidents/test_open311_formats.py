"""GeoReport v2 format validators (JSON and XML) and the checks that every kind of Open311
response passes them, in both formats, errors included.

The validators are strict: an item must have exactly the fields the specification names, so a
field that should never be there (an e-mail address, a name) fails the shape check too. Other
Open311 test modules import ``validate`` and the helpers from here.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from brygga.audit.context import acting_as
from brygga.incidents.open311 import formats
from brygga.incidents.open311 import services as open311

BASE = "/open311/v2"
FORMATS = ("json", "xml")
IN_CENTRE = {"lat": "62.3908", "long": "17.3069"}  # Sundsvall, inside the "Centrum" area
_W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# --- the GeoReport v2 shapes ---------------------------------------------------------------
STR, BOOL, INT, NUM, DT, OPT_STR, OPT_NUM, OPT_DT = (
    "str",
    "bool",
    "int",
    "num",
    "datetime",
    "str?",
    "num?",
    "datetime?",
)
SERVICE = {
    "service_code": STR,
    "service_name": STR,
    "description": OPT_STR,
    "metadata": BOOL,
    "type": STR,
    "keywords": OPT_STR,
    "group": OPT_STR,
}
REQUEST = {
    "service_request_id": STR,
    "status": STR,
    "status_notes": OPT_STR,
    "service_name": OPT_STR,
    "service_code": STR,
    "description": OPT_STR,
    "agency_responsible": OPT_STR,
    "service_notice": OPT_STR,
    "requested_datetime": DT,
    "updated_datetime": OPT_DT,
    "expected_datetime": OPT_DT,
    "address": OPT_STR,
    "address_id": OPT_STR,
    "zipcode": OPT_STR,
    "lat": OPT_NUM,
    "long": OPT_NUM,
    "media_url": OPT_STR,
}
CREATED = {"service_request_id": STR, "service_notice": OPT_STR, "account_id": OPT_STR}
ERROR = {"code": INT, "description": STR}
SHAPES = {
    "services": ("services", "service", SERVICE),
    "requests": ("service_requests", "request", REQUEST),
    "created": ("service_requests", "request", CREATED),
    "errors": ("errors", "error", ERROR),
}
ENUMS = {"type": {"realtime", "batch", "blackbox"}, "status": {"open", "closed"}}


def _is_w3c(value: str) -> bool:
    if not _W3C.match(value):
        return False
    return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def _check_json_value(where: str, name: str, kind: str, value) -> list[str]:
    optional = kind.endswith("?")
    if value is None:
        return [] if optional else [f"{where}.{name}: null not allowed"]
    base = kind.rstrip("?")
    checks = {
        "str": lambda: isinstance(value, str) and (optional or value != ""),
        "bool": lambda: isinstance(value, bool),
        "int": lambda: isinstance(value, int) and not isinstance(value, bool),
        "num": lambda: isinstance(value, int | float) and not isinstance(value, bool),
        "datetime": lambda: isinstance(value, str) and _is_w3c(value),
    }
    try:
        ok = checks[base]()
    except ValueError:
        ok = False
    if ok and name in ENUMS and value not in ENUMS[name]:
        ok = False
    return [] if ok else [f"{where}.{name}: {value!r} is not {kind}"]


def _check_xml_value(where: str, name: str, kind: str, text: str | None) -> list[str]:
    text = text or ""
    optional = kind.endswith("?")
    if text == "":
        return [] if optional else [f"{where}.{name}: empty"]
    base = kind.rstrip("?")
    checks = {
        "str": lambda: True,
        "bool": lambda: text in ("true", "false"),
        "int": lambda: str(int(text)) == text,
        "num": lambda: math.isfinite(float(text)),
        "datetime": lambda: _is_w3c(text),
    }
    try:
        ok = checks[base]()
    except ValueError:
        ok = False
    if ok and name in ENUMS and text not in ENUMS[name]:
        ok = False
    return [] if ok else [f"{where}.{name}: {text!r} is not {kind}"]


def validate_json(body: bytes, shape: str) -> list:
    """Parse and check a JSON body; returns the parsed data (asserts on any problem)."""
    data = json.loads(body.decode("utf-8"))
    problems = []
    if shape == "definition":
        assert isinstance(data, dict), data
        assert set(data) == {"service_code", "attributes"}, data
        assert isinstance(data["service_code"], str) and data["service_code"]
        assert isinstance(data["attributes"], list)
        return data
    _root, _item, fields = SHAPES[shape]
    assert isinstance(data, list), f"the root must be an array: {data!r}"
    if shape in ("errors", "created"):
        assert data, "must not be empty"
    for i, item in enumerate(data):
        assert isinstance(item, dict), item
        if set(item) != set(fields):
            problems.append(f"[{i}]: fields {sorted(item)} != {sorted(fields)}")
            continue
        for name, kind in fields.items():
            problems += _check_json_value(f"[{i}]", name, kind, item[name])
    assert not problems, problems
    return data


def validate_xml(body: bytes, shape: str) -> ET.Element:
    """Parse and check an XML body; returns the root element (asserts on any problem)."""
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), body[:60]
    root = ET.fromstring(body)  # noqa: S314 (our own response)
    problems = []
    if shape == "definition":
        assert root.tag == "service_definition", root.tag
        assert [c.tag for c in root] == ["service_code", "attributes"], [c.tag for c in root]
        assert root.find("service_code").text
        assert all(a.tag == "attribute" for a in root.find("attributes"))
        return root
    root_name, item_name, fields = SHAPES[shape]
    assert root.tag == root_name, f"root {root.tag} != {root_name}"
    if shape in ("errors", "created"):
        assert len(root), "must not be empty"
    for i, item in enumerate(root):
        assert item.tag == item_name, f"item {item.tag} != {item_name}"
        tags = [c.tag for c in item]
        if sorted(tags) != sorted(fields) or len(set(tags)) != len(tags):
            problems.append(f"[{i}]: elements {tags} != {sorted(fields)}")
            continue
        for child in item:
            assert len(child) == 0, f"{child.tag} must be a simple element"
            problems += _check_xml_value(f"[{i}]", child.tag, fields[child.tag], child.text)
    assert not problems, problems
    return root


CONTENT_TYPES = {"json": "application/json", "xml": "text/xml"}


def validate(response, fmt: str, shape: str):
    """Check content type, UTF-8 charset and body shape of an Open311 response."""
    ctype = response["Content-Type"]
    assert ctype.startswith(CONTENT_TYPES[fmt]) and "charset=utf-8" in ctype.lower(), ctype
    body = response.content
    return validate_json(body, shape) if fmt == "json" else validate_xml(body, shape)


def as_records(parsed, fmt: str) -> list[dict]:
    """JSON list or XML root → list of {field: text-or-value}."""
    if fmt == "json":
        return parsed
    return [{c.tag: (c.text or "") for c in item} for item in parsed]


def error_descriptions(response, fmt: str) -> list[str]:
    return [str(r["description"]) for r in as_records(validate(response, fmt, "errors"), fmt)]


# --- helpers shared by the Open311 tests ----------------------------------------------------
def make_key(world, *, municipality=None, organisation=None, name="Webbformulär"):
    with acting_as(label="test setup"):
        return open311.open311_key_create(
            actor=world.users["system_admin"],
            municipality=municipality or world.sundsvall,
            name=name,
            reporting_organisation=organisation,
        )


def post(client, fmt: str, data: dict, *, ip: str = "192.0.2.10", as_json: bool = False):
    url = f"{BASE}/requests.{fmt}"
    if as_json:
        return client.post(url, json.dumps(data), content_type="application/json", REMOTE_ADDR=ip)
    return client.post(url, data, REMOTE_ADDR=ip)


def tip(secret: str, **extra) -> dict:
    return {"api_key": secret, "service_code": "klotter", **IN_CENTRE, **extra}


def field_key(world):
    """An active key for Sundsvall attributed to the field workers: (key, secret)."""
    return make_key(world, organisation=world.orgs["field"])


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
    item = validate(client.get(f"{BASE}/requests.json"), "json", "requests")[0]
    for name in ("requested_datetime", "updated_datetime"):
        assert re.search(r"[+-]\d{2}:\d{2}$", item[name]), item[name]


def test_xml_escapes_markup_and_drops_characters_xml_cannot_carry(world, key, client):
    from brygga.incidents.models import Incident, Status

    _key, secret = key
    text = 'Glas <b>&</b> "citat" ]]> \x01slut'
    post(client, "json", tip(secret, description=text), as_json=True)
    Incident.objects.update(status=Status.REVIEWED)
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

    own = Category.objects.create(municipality=world.sundsvall, code="egen", name="Egen typ")
    Category.objects.create(municipality=world.timra, code="timra-typ", name="Timrås typ")
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
