"""The audit trail's rule for the one resolver (registered from ``AuditConfig.ready``)."""

from __future__ import annotations

from django.db.models import QuerySet

from brygga.core.access import VIEW, AccessResolver, register_rule

from .models import AuditEvent


def audit_event_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    # The audit trail is read-only for everyone; municipal administrators read their own
    # municipality's part of it: the rows of the actions that concerned it (services.record).
    # Rows that concern no municipality (sign-ins) are on no municipality's log, whoever acted:
    # a person with roles in several municipalities must not carry one municipality's rows
    # into another's log.
    if action != VIEW:
        return qs.none()
    return qs.filter(municipality_id__in=resolver.municipalities_with("audit"))


def register() -> None:
    register_rule(AuditEvent, audit_event_rule)
