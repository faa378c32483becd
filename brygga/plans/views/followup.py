"""The report-back (återrapportering) pages under /kommuner/<code>/aterrapporter/: the list, a
new draft for a plan (``planer/<plan>/aterrapporter/ny/``), the draft (live figures, the "what
we learned" text), issuing it after a confirmation, the issued report rendered from its
snapshot alone, and its PDF.

Every read goes through the resolver: a report-back or plan the user may not see is 404, an
action the user may not take on one they see is 403."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.core.access import CHANGE, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.views.decorators import municipality_view

from .. import services
from ..followup import build_snapshot, labelled
from ..followup_pdf import render_pdf
from ..models import ActionPlan, FollowUpReport

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FollowUpForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    period_start = forms.DateField(label=gettext_lazy("Period from"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("Period to"), widget=DATE)
    learned = forms.CharField(
        label=gettext_lazy("What we learned"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "What worked, what did not, and what the next plan should do differently."
        ),
    )


def _report(request, municipality, pk) -> FollowUpReport:
    qs = FollowUpReport.objects.visible_to(request.user).filter(municipality=municipality)
    return get_object_or_404(qs.select_related("plan"), pk=pk)


def _can_write(request, municipality) -> bool:
    return resolver_for(request.user).can_create_in(FollowUpReport, municipality)


@municipality_view()
def follow_up_list(request, municipality):
    reports = (
        FollowUpReport.objects.visible_to(request.user)
        .filter(municipality=municipality)
        .select_related("plan")
    )
    plans = ActionPlan.objects.visible_to(request.user).filter(municipality=municipality)
    return render(
        request,
        "plans/follow_up_list.html",
        {
            "municipality": municipality,
            "plans_part": "follow_ups",
            "reports": reports,
            "plans": plans if _can_write(request, municipality) else [],
        },
    )


def _default_period(plan: ActionPlan) -> tuple[dt.date, dt.date]:
    """From the plan's start to the last day of the month before today (within the plan)."""
    today = timezone.localdate()
    end = min(plan.period_end, today.replace(day=1) - dt.timedelta(days=1))
    return plan.period_start, max(end, plan.period_start)


@municipality_view()
def follow_up_new(request, municipality, followup_plan):
    plan = get_object_or_404(
        ActionPlan.objects.visible_to(request.user).filter(municipality=municipality),
        pk=followup_plan,
    )
    if not _can_write(request, municipality):
        raise PermissionDenied
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                report = services.follow_up_create(
                    actor=request.user, plan=plan, **form.cleaned_data
                )
            except ValidationError as e:
                apply_errors(form, e)
            else:
                return redirect("plans:follow_up_detail", municipality.code, report.pk)
    else:
        start, end = _default_period(plan)
        form = FollowUpForm(
            initial={
                "title": _("Report-back: %(plan)s") % {"plan": plan.title},
                "period_start": start,
                "period_end": end,
            }
        )
    return render(
        request,
        "plans/follow_up_new.html",
        {"municipality": municipality, "plans_part": "follow_ups", "plan": plan, "form": form},
    )


def _context(request, municipality, report: FollowUpReport) -> dict:
    snapshot = (
        report.snapshot if report.snapshot is not None else build_snapshot(request.user, report)
    )
    return {
        "municipality": municipality,
        "plans_part": "follow_ups",
        "report": report,
        "s": labelled(snapshot),
        "can_change": resolver_for(request.user).can(CHANGE, report),
    }


@municipality_view()
def follow_up_detail(request, municipality, pk):
    report = _report(request, municipality, pk)
    ctx = _context(request, municipality, report)
    if ctx["can_change"]:
        form = FollowUpForm(
            request.POST or None,
            initial={
                "title": report.title,
                "period_start": report.period_start,
                "period_end": report.period_end,
                "learned": report.learned,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.follow_up_update(actor=request.user, report=report, **form.cleaned_data)
            except ValidationError as e:
                apply_errors(form, e)
            else:
                return redirect("plans:follow_up_detail", municipality.code, report.pk)
        ctx["form"] = form
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "plans/follow_up_detail.html", ctx)


@municipality_view()
def follow_up_issue(request, municipality, pk):
    report = _report(request, municipality, pk)
    if not resolver_for(request.user).can(CHANGE, report):
        raise PermissionDenied
    if request.method == "POST":
        services.follow_up_issue(
            actor=request.user, report=report, snapshot=build_snapshot(request.user, report)
        )
        return redirect("plans:follow_up_detail", municipality.code, report.pk)
    return render(
        request,
        "plans/follow_up_issue.html",
        {"municipality": municipality, "plans_part": "follow_ups", "report": report},
    )


@municipality_view()
def follow_up_pdf(request, municipality, pk):
    report = _report(request, municipality, pk)
    ctx = _context(request, municipality, report)
    ctx["detail_url"] = request.build_absolute_uri(
        reverse("plans:follow_up_detail", args=[municipality.code, report.pk])
    )
    response = HttpResponse(render_pdf(ctx), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="aterrapport-{report.pk}.pdf"'
    return response
