"""Pieces every app's management commands share."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from .models import Municipality


def municipality_by_code(code: str) -> Municipality:
    """The municipality with kommunkod ``code``, or a CommandError that says there is none."""
    municipality = Municipality.objects.filter(code=str(code).strip()).first()
    if municipality is None:
        raise CommandError(_("There is no municipality with code %(code)s.") % {"code": code})
    return municipality
