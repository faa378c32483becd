"""The audit trail's rule for the one resolver (registered from ``AuditConfig.ready``)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from brygga.core.access import VIEW, AccessResolver, register_rule
from brygga.core.models import Membership

from .models import AuditEvent


def audit_event_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    # The audit trail is read-only for everyone; municipal administrators read their own
    # municipality's part of it.
    if action != VIEW:
        return qs.none()
    audited = resolver.municipalities_with("audit")
    # Rows without a municipality (sign-ins, account changes) belong to the user who acted:
    # visible to the administrators of a municipality where that user has a role.
    members = Membership.objects.filter(municipality_id__in=audited).values("user_id")
    return qs.filter(
        Q(municipality_id__in=audited) | Q(municipality_id__isnull=True, actor_id__in=members)
    )


def register() -> None:
    register_rule(AuditEvent, audit_event_rule)
