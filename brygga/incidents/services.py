"""Writes for incidents. Single rows go through the change tracker (audit per row); bulk
imports write one audit row per import with its counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import CHANGE, resolver_for
from brygga.core.models import Municipality, Organisation

from .location import Location
from .models import Category, Incident, Source, Status, Visibility

FUTURE_SLACK = timedelta(days=1)


def check_when(
    occurred_from: datetime, occurred_to: datetime | None = None, *, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    if occurred_from > now + FUTURE_SLACK:
        raise ValidationError({"occurred_from": _("The time lies in the future.")})
    if occurred_to is not None:
        if occurred_to < occurred_from:
            raise ValidationError(
                {"occurred_to": _("The end of the interval is before its start.")}
            )
        if occurred_to > now + FUTURE_SLACK:
            raise ValidationError({"occurred_to": _("The time lies in the future.")})


def categories_for(municipality: Municipality):
    """The categories usable in a municipality: the national set plus its own."""
    return Category.objects.filter(
        Q(municipality__isnull=True) | Q(municipality=municipality), is_active=True
    ).select_related("parent")


def check_category(municipality: Municipality, category: Category) -> None:
    if category.municipality_id not in (None, municipality.pk) or not category.is_active:
        raise ValidationError(
            {
                "category": _("The category cannot be used in %(name)s.")
                % {"name": municipality.name}
            }
        )


def reporting_organisations_for(actor, municipality: Municipality):
    """The organisations ``actor`` may report for in ``municipality``."""
    resolver = resolver_for(actor)
    qs = Organisation.objects.filter(municipality=municipality, is_active=True)
    if resolver.is_system_admin or resolver.has_ability("manage", municipality):
        return qs
    own = {g.organisation_id for g in resolver.grants if g.municipality_id == municipality.pk}
    return qs.filter(pk__in=own)


@transaction.atomic
def incident_create(
    *,
    actor,
    municipality: Municipality,
    category: Category,
    occurred_from: datetime,
    occurred_to: datetime | None = None,
    location: Location,
    description: str = "",
    count: int = 1,
    reporting_organisation: Organisation | None = None,
    place_description: str = "",
    source: str = Source.MANUAL,
    source_id: str = "",
    has_personal_data: bool = False,
    visibility: str = Visibility.SHARED,
) -> Incident:
    if not resolver_for(actor).can_create_in(Incident, municipality):
        raise PermissionDenied
    check_category(municipality, category)
    check_when(occurred_from, occurred_to)
    if count < 1:
        raise ValidationError({"count": _("The number of events must be at least 1.")})
    if (
        reporting_organisation is not None
        and not reporting_organisations_for(actor, municipality)
        .filter(pk=reporting_organisation.pk)
        .exists()
    ):
        raise ValidationError(
            {"reporting_organisation": _("You cannot report for that organisation.")}
        )
    incident = Incident(
        municipality=municipality,
        county_id=municipality.county_id,
        category=category,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        lat=location.lat,
        lon=location.lon,
        sweref_e=location.sweref_e,
        sweref_n=location.sweref_n,
        area=location.area,
        description=description.strip(),
        count=count,
        place_description=place_description.strip(),
        reporting_organisation=reporting_organisation,
        reported_by=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        source_id=source_id,
        has_personal_data=has_personal_data,
        visibility=visibility,
    )
    incident.full_clean(exclude=["import_job"])
    incident.save()
    return incident


@transaction.atomic
def incident_update(*, actor, incident: Incident, **fields) -> Incident:
    if not resolver_for(actor).can(CHANGE, incident):
        raise PermissionDenied
    municipality = incident.municipality
    if "category" in fields:
        check_category(municipality, fields["category"])
    location = fields.pop("location", None)
    if location is not None:
        for f in ("lat", "lon", "sweref_e", "sweref_n", "area"):
            setattr(incident, f, getattr(location, f))
    allowed = {
        "category",
        "occurred_from",
        "occurred_to",
        "description",
        "count",
        "place_description",
        "has_personal_data",
        "visibility",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    for k, v in fields.items():
        setattr(incident, k, v)
    check_when(incident.occurred_from, incident.occurred_to)
    incident.full_clean(exclude=["import_job"])
    incident.save()
    return incident


@transaction.atomic
def incident_set_status(*, actor, incident: Incident, status: str) -> Incident:
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if not resolver_for(actor).has_ability("manage", incident.municipality_id):
        raise PermissionDenied
    incident.status = status
    incident.save(update_fields=["status", "updated_at"])
    return incident


@transaction.atomic
def incident_delete(*, actor, incident: Incident) -> None:
    """Soft delete: the row stays (with its history) but is hidden everywhere."""
    if not resolver_for(actor).can(CHANGE, incident):
        raise PermissionDenied
    incident.deleted_at = timezone.now()
    incident.deleted_by = actor
    incident.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    log_action(event_type="incident_deleted", subject=incident)
