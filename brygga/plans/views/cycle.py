"""The yearly cycle (årshjul): /kommuner/<code>/arshjul/?ar=2026 — the events of a year as
twelve months, each a table of events with their due date, status and evidence (entered by
coordinators, or derived from plans, agreements, published lägesbilder, survey waves and
meetings: ``selectors.meetings_cycle``); a new event and the edit page for coordinators."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dates, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from brygga.core.access import CHANGE, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.views.decorators import municipality_view

from .. import selectors, services
from ..forms.meetings import CycleEventForm
from ..models import CycleEvent

__all__: list[str] = []

PART = {"plans_part": "cycle"}
STATUSES = ("done", "due_soon", "overdue", "planned")


def _year(request) -> int:
    value = request.GET.get("ar", "")
    today = timezone.localdate()
    if value.isdigit() and 1990 <= int(value) <= 2100:
        return int(value)
    return today.year


@require_GET
@municipality_view()
def cycle(request, municipality):
    year = _year(request)
    items = selectors.cycle_year(request.user, municipality, year)
    months = [
        {
            "number": n,
            "name": dates.MONTHS[n],
            "items": [i for i in items if i.day.month == n],
        }
        for n in range(1, 13)
    ]
    counts = {s: sum(i.status == s for i in items) for s in STATUSES}
    return render(
        request,
        "plans/cycle.html",
        {
            "municipality": municipality,
            "year": year,
            "months": months,
            "counts": counts,
            "previous": year - 1,
            "next": year + 1,
            "can_manage": resolver_for(request.user).can_create_in(CycleEvent, municipality),
            **PART,
        },
    )


def _cycle_url(municipality, day: dt.date) -> str:
    return reverse("plans:cycle", args=[municipality.code]) + f"?ar={day.year}"


@require_http_methods(["GET", "POST"])
@municipality_view()
def cycle_event_new(request, municipality):
    if not resolver_for(request.user).can_create_in(CycleEvent, municipality):
        raise PermissionDenied
    form = CycleEventForm(request.POST or None, user=request.user, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.cycle_event_create(
                actor=request.user, municipality=municipality, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The event was added."))
            return redirect(_cycle_url(municipality, event.due_on))
    return render(
        request,
        "plans/cycle_event_form.html",
        {"municipality": municipality, "form": form, "object": None, **PART},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@municipality_view()
def cycle_event_edit(request, municipality, pk):
    event = get_object_or_404(selectors.cycle_events_for(request.user, municipality), pk=pk)
    if not resolver_for(request.user).can(CHANGE, event):
        raise PermissionDenied
    form = CycleEventForm(
        request.POST or None, user=request.user, municipality=municipality, instance=event
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_event_update(actor=request.user, event=event, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_cycle_url(municipality, event.due_on))
    return render(
        request,
        "plans/cycle_event_form.html",
        {"municipality": municipality, "form": form, "object": event, **PART},
        status=400 if request.method == "POST" else 200,
    )
