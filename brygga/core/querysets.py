"""``visible_to``: the one restriction method every model's queryset carries.

Kept apart from ``core.models`` and importing no model, so that any app's models (the audit
trail's among them) can use it without importing core's domain models; it reaches the resolver
(``brygga.core.access``) only when it is called, by which time every app is loaded.
"""

from __future__ import annotations

from django.db import models


class RestrictedQuerySet(models.QuerySet):
    """A queryset that can be narrowed to what one user may see or do."""

    def visible_to(self, user, action: str = "view") -> RestrictedQuerySet:
        from brygga.core.access import resolver_for

        return resolver_for(user).restrict(self, action)


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)
