"""The municipality of a page: ``/kommuner/<code>/…`` resolved for the signed-in user.

:func:`resolve_municipality` is the one implementation of the check; the function views use it
through :func:`municipality_view`, the class-based views through
:class:`brygga.core.views.generic.MunicipalityMixin`.
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from brygga.core import selectors
from brygga.core.access import resolver_for
from brygga.core.context_processors import remember_municipality
from brygga.core.models import Municipality


def resolve_municipality(request, code: str, ability: str = "view") -> Municipality:
    """The municipality ``code`` names if the user may see it (else 404), where the user has
    ``ability`` (else 403). Sets ``request.municipality`` (the navigation reads it) and
    remembers it in the session as the user's current municipality (pages that are about no
    municipality show its menu)."""
    municipality = get_object_or_404(selectors.municipalities_for(request.user), code=code)
    request.municipality = municipality
    remember_municipality(request, municipality)
    if ability != "view" and not resolver_for(request.user).has_ability(ability, municipality):
        raise PermissionDenied
    return municipality


def municipality_view(ability: str = "view"):
    """Resolve ``code`` to a municipality the user may see (else 404) and require ``ability``
    there (else 403). Sets ``request.municipality``."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, code: str, *args, **kwargs):
            municipality = resolve_municipality(request, code, ability)
            return view(request, municipality, *args, **kwargs)

        return wrapper

    return decorator
