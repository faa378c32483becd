"""GeoReport v2 rendering: the same Python structures as JSON or as XML.

Each response is a list of flat dicts (or one dict for a service definition) that is written
either as a JSON array or as an XML document whose root and item element names the
specification fixes (``services/service``, ``service_requests/request``, ``errors/error``,
``service_definition``). XML is built with ``xml.etree`` (which escapes ``&``, ``<`` and ``>``)
after characters that XML 1.0 cannot carry at all (most control characters) are removed, so
text from the public can never break the document.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone

JSON = "json"
XML = "xml"
FORMATS = (JSON, XML)
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}

# Root and item element names of each GeoReport v2 response.
SERVICES = ("services", "service")
SERVICE_REQUESTS = ("service_requests", "request")
ERRORS = ("errors", "error")
SERVICE_DEFINITION = "service_definition"
# List-valued fields inside an item and the element name of their entries.
_LIST_ITEMS = {"attributes": "attribute", "values": "value"}

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (NUL, most C0 controls, surrogates)."""
    return _XML_INVALID.sub("", text)


def w3c_datetime(value: datetime | None) -> str | None:
    """ISO 8601 / W3C datetime with its UTC offset, in the installation's time zone."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c_datetime(value) or ""
    return xml_safe(str(value))


def _append(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, list | tuple):
        item_name = _LIST_ITEMS.get(name, "item")
        for entry in value:
            if isinstance(entry, Mapping):
                child = ET.SubElement(element, item_name)
                for key, sub in entry.items():
                    _append(child, key, sub)
            else:
                ET.SubElement(element, item_name).text = _text(entry)
    elif isinstance(value, Mapping):
        for key, sub in value.items():
            _append(element, key, sub)
    else:
        text = _text(value)
        if text:
            element.text = text


def _xml_document(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def to_xml_list(root_name: str, item_name: str, items: Iterable[Mapping]) -> bytes:
    root = ET.Element(root_name)
    for item in items:
        element = ET.SubElement(root, item_name)
        for key, value in item.items():
            _append(element, key, value)
    return _xml_document(root)


def to_xml_object(root_name: str, obj: Mapping) -> bytes:
    root = ET.Element(root_name)
    for key, value in obj.items():
        _append(root, key, value)
    return _xml_document(root)


def _json_default(value):
    if isinstance(value, datetime):
        return w3c_datetime(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, default=_json_default).encode("utf-8")


def _response(fmt: str, body: bytes, status: int) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    # Public, credential-free data: any web page may read it (no cookies are involved).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def list_response(
    fmt: str, names: tuple[str, str], items: list[Mapping], *, status: int = 200
) -> HttpResponse:
    if fmt == XML:
        return _response(fmt, to_xml_list(names[0], names[1], items), status)
    return _response(fmt, to_json(list(items)), status)


def object_response(fmt: str, root_name: str, obj: Mapping, *, status: int = 200) -> HttpResponse:
    if fmt == XML:
        return _response(fmt, to_xml_object(root_name, obj), status)
    return _response(fmt, to_json(dict(obj)), status)


def error_response(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    """The GeoReport v2 error body: ``[{"code": 400, "description": "…"}]`` or
    ``<errors><error><code>400</code><description>…</description></error></errors>``."""
    items = [{"code": status, "description": str(d)} for d in descriptions]
    return list_response(fmt if fmt in FORMATS else JSON, ERRORS, items, status=status)
