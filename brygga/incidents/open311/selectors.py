"""Reads for Open311: the public GeoReport v2 views of categories and public tips, and the
administrators' views of keys and contact details.

What the public API shows of tips (``public_requests``, ``request_item``), and why:

* only tips a moderator has **published** (``Open311Request.published_at``, a step of its own
  with its own permission and audit row, see ``services.open311_tip_publish``) that are still
  reviewed, shared and not removed. New, rejected, organisation-only and unpublished tips are
  not in the lists, and a single request of theirs answers 404 like an unknown id;
* ``service_request_id``: the tip's random public token (``Open311Request.token``), never the
  sequential incident id, which would tell how many incidents the municipality holds;
* ``status``: ``open`` (a reviewed tip stays open because Brygga does not track a
  street-level fix: it becomes part of the situational picture, not a work order);
* ``description``: the **published text** as the moderator approved it, never the tip's own
  description, which is personal data (free text from the public may name or describe people);
* ``lat``/``long``: rounded to three decimals (about 100 m north–south, 50 m east–west here),
  enough for a map, too coarse to point at a front door;
* never: contact details (e-mail, names, phone), the client address, the address text, the
  area, the reporting organisation's users or anything from ``Open311Contact``.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from brygga.audit.services import log_access
from brygga.core.models import Municipality

from ..models import (
    Category,
    Incident,
    Open311Contact,
    Open311Key,
    Source,
    Status,
    Visibility,
)

MAX_REQUESTS = 1000
COORDINATE_DECIMALS = 3

OPEN, CLOSED = "open", "closed"
STATUS_MAP = {Status.NEW: OPEN, Status.REVIEWED: OPEN, Status.REJECTED: CLOSED}
STATUSES_FOR = {
    OPEN: [s for s, v in STATUS_MAP.items() if v == OPEN],
    CLOSED: [s for s, v in STATUS_MAP.items() if v == CLOSED],
}


# --- services (categories) ----------------------------------------------------------------
def service_categories(municipality: Municipality) -> list[Category]:
    """Active categories usable in ``municipality`` (national + its own), top-level and
    sub-categories alike; a sub-category of an inactive main category is left out."""
    qs = (
        Category.objects.filter(
            Q(municipality__isnull=True) | Q(municipality=municipality), is_active=True
        )
        .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
        .select_related("parent")
        .order_by("sort_order", "name", "pk")
    )
    return list(qs)


def service_item(category: Category, children: dict[int, list[str]]) -> dict:
    if category.parent_id:
        group, keywords = category.parent.name, category.parent.name
    else:
        group, keywords = category.name, ", ".join(children.get(category.pk, []))
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": keywords,
        "group": group,
    }


def service_list(municipality: Municipality) -> list[dict]:
    categories = service_categories(municipality)
    children: dict[int, list[str]] = {}
    for c in categories:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append(c.name)
    return [service_item(c, children) for c in categories]


def service_definition(municipality: Municipality, code: str) -> dict | None:
    """Every Brygga service has ``metadata=false``: the definition has no attributes."""
    if not any(c.code == code for c in service_categories(municipality)):
        return None
    return {"service_code": code, "attributes": []}


# --- service requests (public tips) -------------------------------------------------------
def public_requests(municipality: Municipality) -> QuerySet[Incident]:
    """The tips the public may see: published by a moderator, reviewed, shared, not removed."""
    return (
        Incident.objects.filter(
            municipality=municipality,
            source=Source.OPEN311,
            deleted_at__isnull=True,
            status=Status.REVIEWED,
            visibility=Visibility.SHARED,
            open311_request__published_at__isnull=False,
        )
        .select_related("category", "municipality", "open311_request")
        .order_by("-created_at", "-pk")
    )


def filter_requests(
    qs: QuerySet[Incident],
    *,
    tokens: list[str] | None = None,
    codes: list[str] | None = None,
    statuses: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Incident]:
    """GeoReport v2 filters. ``tokens`` (public ids) override every other filter, as the
    specification says."""
    if tokens is not None:
        return qs.filter(open311_request__token__in=tokens)[:MAX_REQUESTS]
    if codes:
        qs = qs.filter(category__code__in=codes)
    if statuses:
        qs = qs.filter(status__in=[s for st in statuses for s in STATUSES_FOR[st]])
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lte=end)
    return qs[:MAX_REQUESTS]


def public_request(municipality: Municipality, token: str) -> Incident | None:
    """One tip the public may see, by its public id."""
    return public_requests(municipality).filter(open311_request__token=token).first()


def _status_note(incident: Incident) -> str:
    return {
        Status.NEW: _("Received; waiting for review by the municipality."),
        Status.REVIEWED: _("Reviewed; part of the municipality's situational picture."),
        Status.REJECTED: _("Closed after review."),
    }.get(incident.status, "")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def request_item(incident: Incident) -> dict:
    """One tip of ``public_requests`` as a GeoReport v2 ``request`` (see the module docstring
    for what is left out and why)."""
    return {
        "service_request_id": incident.open311_request.token,
        "status": STATUS_MAP.get(incident.status, OPEN),
        "status_notes": _status_note(incident),
        "service_name": incident.category.name,
        "service_code": incident.category.code,
        "description": incident.open311_request.published_text,
        "agency_responsible": incident.municipality.name,
        "service_notice": "",
        "requested_datetime": incident.created_at,
        "updated_datetime": incident.updated_at,
        "expected_datetime": None,
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": _rounded(incident.lat),
        "long": _rounded(incident.lon),
        "media_url": "",
    }


# --- administration -----------------------------------------------------------------------
def keys_for(user, municipality: Municipality) -> QuerySet[Open311Key]:
    return (
        Open311Key.objects.visible_to(user)
        .filter(municipality=municipality)
        .select_related("reporting_organisation")
        .order_by("-is_active", "-created_at", "-pk")
    )


def tip_for(user, municipality: Municipality, pk: int) -> Incident:
    """A public tip the user may see (``Incident.DoesNotExist`` otherwise)."""
    return (
        Incident.objects.visible_to(user)
        .filter(municipality=municipality, source=Source.OPEN311)
        .select_related("category", "category__parent", "area")
        .get(pk=pk)
    )


CONTACT_FIELDS = ("email", "first_name", "last_name", "phone")


def contact_for(user, incident: Incident, *, purpose: str) -> Open311Contact | None:
    """The contact details left with a tip, for those who may read them (coordinators and
    administrators); the read is logged with ``purpose`` in the same transaction."""
    contact = Open311Contact.objects.visible_to(user).filter(incident=incident).first()
    if contact is not None:
        fields = tuple(f for f in CONTACT_FIELDS if getattr(contact, f))
        log_access(user, contact, purpose, fields=fields)
    return contact
