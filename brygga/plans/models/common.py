"""What the plans app's models share: the period check and the link rows of many-to-many
tables between tenant models (they carry the municipality, as core's ``ForumArea`` does)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from brygga.core.models import Municipality
from brygga.core.tenant_keys import TenantRow


def period_order(prefix: str, start: str = "period_start", end: str = "period_end"):
    """A check that a period does not end before it starts (an open end is allowed)."""
    return models.CheckConstraint(
        condition=Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": F(start)}),
        name=f"{prefix}_period_order",
    )


class Link(TenantRow, models.Model):
    """A row of a many-to-many table between tenant models. ``owner_field`` names the link to
    the row that owns it; its municipality is copied on save."""

    owner_field = ""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", editable=False
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.municipality_id = getattr(self, self.owner_field).municipality_id
        super().save(*args, **kwargs)


def link_defaults(owner) -> dict:
    """``through_defaults`` for ``owner.<m2m>.set(...)``."""
    return {"municipality_id": owner.municipality_id}
