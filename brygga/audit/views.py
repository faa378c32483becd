"""The municipality's audit trail, for its administrators (read-only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from brygga.core.access import resolver_for
from brygga.core.models import Municipality

from .models import AuditEvent, EventKind


@login_required
def audit_log(request, code: str):
    municipality = get_object_or_404(Municipality.objects.visible_to(request.user), code=code)
    request.municipality = municipality
    if not resolver_for(request.user).can_view_audit(municipality):
        raise PermissionDenied
    from django.db.models import Q

    from brygga.core.models import Membership

    members = Membership.objects.filter(municipality=municipality).values("user_id")
    qs = AuditEvent.objects.visible_to(request.user).filter(
        Q(municipality_id=municipality.pk) | Q(municipality_id__isnull=True, actor_id__in=members)
    )
    kind = request.GET.get("typ", "")
    if kind in EventKind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs.order_by("-seq"), 50).get_page(request.GET.get("sida"))
    return render(
        request,
        "audit/log.html",
        {
            "municipality": municipality,
            "page": page,
            "kind": kind,
            "kinds": EventKind.choices,
        },
    )
