"""Reads of the audit trail: every function returns the rows the user may see."""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet

from brygga.core.access import VIEW, resolver_for
from brygga.core.models import Membership, Municipality

from .models import AuditEvent, EventKind


def municipality_log(user, municipality: Municipality) -> QuerySet[AuditEvent]:
    """The municipality's audit log: its rows, and the rows without a municipality (sign-ins,
    account changes) of users who hold a role in it. Only for those who may read the audit
    log there (``AuditEvent``'s rule)."""
    members = Membership.objects.filter(municipality=municipality).values("user_id")
    return AuditEvent.objects.visible_to(user).filter(
        Q(municipality_id=municipality.pk) | Q(municipality_id__isnull=True, actor_id__in=members)
    )


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
