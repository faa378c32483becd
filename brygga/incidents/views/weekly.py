"""The weekly reporting round of the local safety groups:
/kommuner/<code>/handelser/veckorapportering/ (who reported, who had nothing to report, who is
missing, per ISO week) and marking "nothing to report" (inget-att-rapportera/). Saying it for
an organisation the user is not a member of (a coordinator for a member organisation) goes
through a confirmation page first; nothing is saved until it is confirmed."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from brygga.core import selectors as core_selectors
from brygga.core.models import ForumKind
from brygga.core.views.decorators import municipality_view
from brygga.core.weeks import week_param
from brygga.incidents import selectors, services
from brygga.incidents.forms.report import NilReportForm, WeekForm
from brygga.incidents.models import NilReport

from .common import incident_context, own_organisation_ids


def _safety_groups(user, municipality):
    return (
        core_selectors.forums_for(user, municipality)
        .filter(kind=ForumKind.SAFETY_GROUP, is_active=True)
        .order_by("name")
    )


@municipality_view()
@require_GET
def weekly(request, municipality):
    forums = list(_safety_groups(request.user, municipality))
    form = WeekForm(request.GET or None)
    week_start = form.week_start()
    forum = None
    if form.is_valid() and form.cleaned_data.get("forum"):
        forum = next((f for f in forums if f.pk == form.cleaned_data["forum"]), None)
        if forum is None:
            raise Http404
    elif forums:
        forum = forums[0]
    week_end = week_start + dt.timedelta(days=7)
    this_monday = WeekForm().week_start()
    rows = []
    summary = {"reported": 0, "nothing": 0, "missing": 0}
    allowed_nil: set[int] = set()
    if forum is not None:
        start = timezone.make_aware(dt.datetime.combine(week_start, dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(week_end, dt.time.min))
        orgs = list(forum.organisations.visible_to(request.user).order_by("name"))
        counts = dict(
            selectors.incidents_for(request.user, municipality)
            .filter(
                reporting_organisation__in=orgs, occurred_from__gte=start, occurred_from__lt=end
            )
            .values_list("reporting_organisation")
            .annotate(n=Count("id"))
        )
        nil = set(
            NilReport.objects.visible_to(request.user)
            .filter(forum=forum, week_start=week_start)
            .values_list("organisation_id", flat=True)
        )
        allowed_nil = services.nil_organisations_for(request.user, municipality, forum)
        for org in orgs:
            n = counts.get(org.pk, 0)
            state = "reported" if n else ("nothing" if org.pk in nil else "missing")
            summary[state] += 1
            rows.append(
                {
                    "organisation": org,
                    "count": n,
                    "state": state,
                    "can_mark": state == "missing" and org.pk in allowed_nil,
                }
            )
    prev_week = week_start - dt.timedelta(days=7)
    next_week = week_start + dt.timedelta(days=7)
    return render(
        request,
        "incidents/weekly.html",
        incident_context(
            request,
            municipality,
            forums=forums,
            forum=forum,
            week=week_param(week_start),
            week_start=week_start,
            week_last=week_end - dt.timedelta(days=1),
            prev_week=week_param(prev_week),
            next_week=week_param(next_week) if next_week <= this_monday else None,
            rows=rows,
            summary=summary,
        ),
    )


@municipality_view()
@require_POST
def weekly_nil(request, municipality):
    form = NilReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The week or the organisation is missing."))
        return redirect("incidents:weekly", code=municipality.code)
    d = form.cleaned_data
    forum = get_object_or_404(_safety_groups(request.user, municipality), pk=d["forum"])
    week = WeekForm({"vecka": d["vecka"]})
    week_start = week.week_start()
    url = reverse("incidents:weekly", kwargs={"code": municipality.code})
    back = f"{url}?forum={forum.pk}&vecka={week_param(week_start)}"
    if not services.may_set_nil_report(request.user, municipality, forum, d["organisation"]):
        raise PermissionDenied
    own = d["organisation"] in own_organisation_ids(request.user, municipality)
    if not own and not d["confirmed"]:
        organisation = get_object_or_404(
            forum.organisations.visible_to(request.user), pk=d["organisation"]
        )
        return render(
            request,
            "incidents/weekly_nil_confirm.html",
            incident_context(
                request,
                municipality,
                incidents_section="weekly",
                forum=forum,
                organisation=organisation,
                week=week_param(week_start),
                week_start=week_start,
                week_last=week_start + dt.timedelta(days=6),
                back=back,
            ),
        )
    services.set_nil_report(
        request.user, municipality, d["organisation"], week_start, forum=forum, nil=True
    )
    messages.success(request, _("Saved: nothing to report this week."))
    return redirect(back)
