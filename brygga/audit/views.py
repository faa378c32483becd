"""The municipality's audit trail, for its administrators (read-only)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from brygga.core.views import municipality_view

from . import selectors
from .models import EventKind

# Sign-ins concern no municipality, so a municipality's log never holds them.
LOG_KINDS = [
    (value, label)
    for value, label in EventKind.choices
    if value not in (EventKind.LOGIN, EventKind.LOGOUT, EventKind.LOGIN_FAILED)
]


@municipality_view("audit")
def audit_log(request, municipality):
    qs = selectors.municipality_log(request.user, municipality)
    kind = request.GET.get("typ", "")
    if kind in dict(LOG_KINDS):
        qs = qs.filter(kind=kind)
    page = Paginator(qs.order_by("-seq"), 50).get_page(request.GET.get("sida"))
    return render(
        request,
        "audit/log.html",
        {
            "municipality": municipality,
            "page": page,
            "kind": kind,
            "kinds": LOG_KINDS,
        },
    )
