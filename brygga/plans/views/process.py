"""The process tracker (/kommuner/<code>/processen/: the five steps of the cooperation
handbook, ticked from evidence, ``tracker.py``) and the dialogues it counts
(/kommuner/<code>/dialoger/: citizen and staff dialogues with their findings, which feed the
lägesbild; the list shows the findings of a chosen period)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from brygga.core.access import resolver_for
from brygga.core.forms import apply_errors
from brygga.core.views.decorators import municipality_view

from .. import selectors, services
from ..forms.meetings import DialogueForm
from ..models import Dialogue
from ..tracker import process_steps

__all__: list[str] = []


@require_GET
@municipality_view()
def process(request, municipality):
    steps = process_steps(request.user, municipality)
    return render(
        request,
        "plans/process.html",
        {
            "municipality": municipality,
            "steps": steps,
            "n_done": sum(s.n_done for s in steps),
            "n_items": sum(len(s.items) for s in steps),
            "plans_part": "process",
        },
    )


def _date(value: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return default


@require_GET
@municipality_view()
def dialogue_list(request, municipality):
    today = timezone.localdate()
    start = _date(
        request.GET.get("fran", ""), today.replace(month=1, day=1) - dt.timedelta(days=365)
    )
    end = _date(request.GET.get("till", ""), today)
    if end < start:
        start, end = end, start
    dialogues = selectors.dialogues_for(request.user, municipality)
    return render(
        request,
        "plans/dialogue_list.html",
        {
            "municipality": municipality,
            "dialogues": dialogues,
            "period_findings": dialogues.filter(held_on__gte=start, held_on__lte=end),
            "start": start,
            "end": end,
            "can_add": resolver_for(request.user).can_create_in(Dialogue, municipality),
            "plans_part": "process",
        },
    )


@require_http_methods(["GET", "POST"])
@municipality_view()
def dialogue_new(request, municipality):
    if not resolver_for(request.user).can_create_in(Dialogue, municipality):
        raise PermissionDenied
    form = DialogueForm(request.POST or None, user=request.user, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            dialogue = services.dialogue_create(
                actor=request.user, municipality=municipality, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The dialogue was recorded."))
            return redirect(reverse("plans:dialogue_detail", args=[municipality.code, dialogue.pk]))
    return render(
        request,
        "plans/dialogue_form.html",
        {"municipality": municipality, "form": form, "plans_part": "process"},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@municipality_view()
def dialogue_detail(request, municipality, pk):
    dialogue = get_object_or_404(selectors.dialogues_for(request.user, municipality), pk=pk)
    return render(
        request,
        "plans/dialogue_detail.html",
        {"municipality": municipality, "dialogue": dialogue, "plans_part": "process"},
    )
