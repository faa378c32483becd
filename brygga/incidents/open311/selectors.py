"""Reads for Open311: the public GeoReport v2 views of categories and public tips, and the
administrators' views of keys and contact details.

What the public API shows of a tip (``request_item``), and why:

* ``status``: ``open`` while the tip is new or reviewed, ``closed`` once rejected. A reviewed
  tip stays open because Brygga does not track a street-level fix: it becomes part of the
  municipality's situational picture (lägesbild) rather than a work order.
* ``description``: only for reviewed tips whose text a coordinator has *not* marked as
  containing personal data and that are shared. Free text from the public may name or
  describe people; nothing unreviewed is ever published.
* ``lat``/``long``: rounded to three decimals (about 100 m north–south, 50 m east–west here),
  enough for a map, too coarse to point at a front door.
* never: contact details (e-mail, names, phone), the client address, the address text, the
  area, the reporting organisation's users or anything from ``Open311Contact``.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from brygga.audit.services import log_access
from brygga.core.models import Municipality

from ..models import Category, Incident, Open311Contact, Open311Key, Source, Status, Visibility

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
    return (
        Incident.objects.filter(
            municipality=municipality, source=Source.OPEN311, deleted_at__isnull=True
        )
        .select_related("category", "municipality")
        .order_by("-created_at", "-pk")
    )


def filter_requests(
    qs: QuerySet[Incident],
    *,
    ids: list[int] | None = None,
    codes: list[str] | None = None,
    statuses: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Incident]:
    """GeoReport v2 filters. ``ids`` overrides every other filter, as the specification
    says."""
    if ids is not None:
        return qs.filter(pk__in=ids)[:MAX_REQUESTS]
    if codes:
        qs = qs.filter(category__code__in=codes)
    if statuses:
        qs = qs.filter(status__in=[s for st in statuses for s in STATUSES_FOR[st]])
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lte=end)
    return qs[:MAX_REQUESTS]


def description_is_public(incident: Incident) -> bool:
    return (
        incident.status == Status.REVIEWED
        and not incident.has_personal_data
        and incident.visibility == Visibility.SHARED
    )


def _status_note(incident: Incident) -> str:
    return {
        Status.NEW: _("Received; waiting for review by the municipality."),
        Status.REVIEWED: _("Reviewed; part of the municipality's situational picture."),
        Status.REJECTED: _("Closed after review."),
    }.get(incident.status, "")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def request_item(incident: Incident) -> dict:
    """One tip as a GeoReport v2 ``request`` (see the module docstring for what is left out
    and why)."""
    return {
        "service_request_id": str(incident.pk),
        "status": STATUS_MAP.get(incident.status, OPEN),
        "status_notes": _status_note(incident),
        "service_name": incident.category.name,
        "service_code": incident.category.code,
        "description": incident.description if description_is_public(incident) else "",
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
