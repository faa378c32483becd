"""Writes of the work log: operations, a safety walk's observations, and passing an
observation on as an incident report (through the incidents app's one writer,
``brygga.incidents.services.incident_create``).

Rules: an operation is added by those who may report or manage in the municipality, and the
new row must be one the actor may change (a coordinator; or a reporter of the measure's owner
or of one of the operation's organisations) — else ``PermissionDenied`` and nothing is
written. The measure must be one the actor can see; area and organisations must be the
municipality's; the operation may not end before it starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from brygga.audit.context import actor_for_user
from brygga.audit.services import log_action
from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.models import Area, Municipality, Organisation

from ..models import Measure, Operation, OperationKind, WalkObservation, link_defaults

__all__ = [
    "observation_create",
    "observation_to_incident",
    "operation_create",
    "operation_update",
]


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _check(
    actor,
    municipality: Municipality,
    *,
    kind: str,
    title: str,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    hours,
    measure: Measure | None,
    area: Area | None,
    organisations: Sequence[Organisation],
    participants: int | None,
    notes: str = "",
) -> None:
    errors: dict[str, str] = {}
    if kind not in OperationKind.values:
        errors["kind"] = _("Choose a kind of operation.")
    if not (title or "").strip():
        errors["title"] = _("Give the operation a title.")
    if ended_at < started_at:
        errors["ended_at"] = _("The operation ends before it starts.")
    if hours is None or Decimal(hours) < 0:
        errors["hours"] = _("The effort must be zero hours or more.")
    if len(notes or "") > 10_000:
        errors["notes"] = _("The notes are too long (at most 10,000 characters).")
    if participants is not None and participants < 0:
        errors["participants"] = _("The number of staff cannot be negative.")
    if measure is not None and (
        measure.municipality_id != municipality.pk
        or not Measure.objects.visible_to(actor, VIEW).filter(pk=measure.pk).exists()
    ):
        errors["measure"] = _("Choose a measure of the municipality that you can see.")
    if area is not None and area.municipality_id != municipality.pk:
        errors["area"] = _("The area belongs to another municipality.")
    if any(o.municipality_id != municipality.pk or not o.is_active for o in organisations):
        errors["organisations"] = _("Choose active organisations of the municipality.")
    if errors:
        raise ValidationError(errors)


def _apply(op: Operation, fields: dict, organisations) -> Operation:
    for k, v in fields.items():
        setattr(op, k, v)
    op.title = op.title.strip()
    op.notes = (op.notes or "").strip()
    op.save()
    op.organisations.set(list(organisations), through_defaults=link_defaults(op))
    return op


@transaction.atomic
def operation_create(
    *,
    actor,
    municipality: Municipality,
    kind: str,
    title: str,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    hours: Decimal,
    measure: Measure | None = None,
    area: Area | None = None,
    organisations: Sequence[Organisation] = (),
    participants: int | None = None,
    notes: str = "",
) -> Operation:
    resolver = resolver_for(actor)
    if not resolver.can_create_in(Operation, municipality):
        raise PermissionDenied
    organisations = list(organisations)
    fields = {
        "kind": kind,
        "title": title,
        "started_at": started_at,
        "ended_at": ended_at,
        "hours": hours,
        "measure": measure,
        "area": area,
        "participants": participants,
        "notes": notes,
    }
    _check(actor, municipality, organisations=organisations, **fields)
    op = _apply(
        Operation(municipality=municipality, created_by=_user(actor)), fields, organisations
    )
    if not resolver_for(actor).can(CHANGE, op):
        # a reporter logs work of their own organisation or their organisation's measure
        raise ValidationError(
            {
                "organisations": _(
                    "Name an organisation of yours among those taking part, or choose a "
                    "measure that your organisation owns."
                )
            }
        )
    return op


@transaction.atomic
def operation_update(
    *,
    actor,
    municipality: Municipality,
    instance: Operation,
    kind: str,
    title: str,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    hours: Decimal,
    measure: Measure | None = None,
    area: Area | None = None,
    organisations: Sequence[Organisation] = (),
    participants: int | None = None,
    notes: str = "",
) -> Operation:
    if instance.municipality_id != municipality.pk or not resolver_for(actor).can(CHANGE, instance):
        raise PermissionDenied
    organisations = list(organisations)
    fields = {
        "kind": kind,
        "title": title,
        "started_at": started_at,
        "ended_at": ended_at,
        "hours": hours,
        "measure": measure,
        "area": area,
        "participants": participants,
        "notes": notes,
    }
    _check(actor, municipality, organisations=organisations, **fields)
    op = _apply(instance, fields, organisations)
    if not resolver_for(actor).can(CHANGE, op):
        raise ValidationError(
            {
                "organisations": _(
                    "After this change you could no longer edit the operation: keep an "
                    "organisation of yours among those taking part."
                )
            }
        )
    return op


@transaction.atomic
def observation_create(
    *,
    actor,
    operation: Operation,
    text: str,
    latitude: float | None = None,
    longitude: float | None = None,
) -> WalkObservation:
    if not resolver_for(actor).can(CHANGE, operation):
        raise PermissionDenied
    if operation.kind != OperationKind.SAFETY_WALK:
        raise ValidationError(_("Only a safety walk has observations."))
    if not (text or "").strip():
        raise ValidationError({"text": _("Write what was observed.")})
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": _("Give both latitude and longitude, or neither.")})
    if latitude is not None:
        from brygga.incidents.location import check_wgs84

        check_wgs84(latitude, longitude, field="latitude")
    return WalkObservation.objects.create(
        operation=operation, text=text.strip(), latitude=latitude, longitude=longitude
    )


@transaction.atomic
def observation_to_incident(*, actor, observation: WalkObservation, category):
    """File the observation as an incident report (the observation's position, else the
    walk's area: its centre, or the area itself) and link it to the observation."""
    from brygga.incidents.location import resolve
    from brygga.incidents.services import incident_create, reporting_organisations_for

    if not resolver_for(actor).can(CHANGE, observation):
        raise PermissionDenied
    if observation.incident_id is not None:
        raise ValidationError(_("The observation has already been passed on."))
    operation = observation.operation
    municipality = operation.municipality
    area = operation.area
    if observation.latitude is not None:
        location = resolve(municipality, lat=observation.latitude, lon=observation.longitude)
    elif area is not None and area.centre_lat is not None:
        location = resolve(municipality, lat=area.centre_lat, lon=area.centre_lon)
    elif area is not None:
        location = resolve(municipality, area=area)
    else:
        raise ValidationError(
            {
                "category": _(
                    "The observation has no position and the walk no area: say where it was "
                    "before passing it on."
                )
            }
        )
    mine = reporting_organisations_for(actor, municipality)
    reporting = next(
        (o for o in operation.organisations.all() if mine.filter(pk=o.pk).exists()), None
    )
    incident = incident_create(
        actor=actor,
        municipality=municipality,
        category=category,
        occurred_from=operation.started_at,
        location=location,
        description=observation.text,
        reporting_organisation=reporting,
    )
    observation.incident = incident
    observation.save(update_fields=["incident", "municipality"])
    log_action(
        event_type="plans.observation_passed_on",
        subject=observation,
        details={"operation": operation.pk, "incident": incident.pk},
        actor=actor_for_user(actor),
        municipality_id=municipality.pk,
    )
    return incident
