"""GeoReport v2 (Open311) on the wire, for the Open311 tests: strict validators of the JSON and
XML response shapes, and ``post`` to send a public tip.

The validators are strict: an item must have exactly the fields the specification names, so a
field that should never be there (an e-mail address, a name) fails the shape check too. Their
checks are asserts, rewritten by pytest as in a test module (registered in tests/conftest.py).
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime

BASE = "/open311/v2"
FORMATS = ("json", "xml")
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


def post(client, fmt: str, data: dict, *, ip: str = "192.0.2.10", as_json: bool = False):
    url = f"{BASE}/requests.{fmt}"
    if as_json:
        return client.post(url, json.dumps(data), content_type="application/json", REMOTE_ADDR=ip)
    return client.post(url, data, REMOTE_ADDR=ip)
