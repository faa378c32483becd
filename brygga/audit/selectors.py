"""Reads of the audit trail: every function returns the rows the user may see."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from brygga.core.access import VIEW, resolver_for
from brygga.core.models import Municipality

from .models import AuditEvent, EventKind


def municipality_log(user, municipality: Municipality) -> QuerySet[AuditEvent]:
    """The municipality's audit log: the rows of the actions that concerned it (user accounts
    created or changed in its administration included). Rows that concern no municipality
    (sign-ins) are on no municipality's log. Only for those who may read the audit log there
    (``AuditEvent``'s rule)."""
    return AuditEvent.objects.visible_to(user).filter(municipality_id=municipality.pk)


def history_for(user, subject: Model) -> QuerySet[AuditEvent]:
    """The history of one object, oldest first, as its page shows it: changes and domain
    events for whoever may see the object; reads of personal data only for those who may
    read the audit log of the object's municipality (an object without one: system
    administrators)."""
    resolver = resolver_for(user)
    if not resolver.can(VIEW, subject):
        return AuditEvent.objects.none()
    rows = AuditEvent.objects.filter(
        object_type=subject._meta.label_lower, object_id=str(subject.pk)
    ).order_by("seq")
    if not resolver.can_view_audit(getattr(subject, "municipality_id", None) or 0):
        rows = rows.exclude(kind=EventKind.ACCESS)
    return rows
