"""Helpers shared by the agreement and promise services."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from brygga.core.access import CHANGE, resolver_for
from brygga.core.models import Municipality


def user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def check_period(start: dt.date, end: dt.date) -> None:
    if start and end and end < start:
        raise ValidationError(
            {
                "period_end": _("The period ends (%(end)s) before it starts (%(start)s).")
                % {"start": start.isoformat(), "end": end.isoformat()}
            }
        )


def check_create(actor, model, municipality: Municipality) -> None:
    if not resolver_for(actor).can_create_in(model, municipality):
        raise PermissionDenied


def check_change(actor, obj) -> None:
    if not resolver_for(actor).can(CHANGE, obj):
        raise PermissionDenied
