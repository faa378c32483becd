"""The EST weekly picture: /kommuner/<code>/lagesbild/veckobild/?forum=<id>&vecka=2026-V48 — a
safety group's week (events, what stands out, who did not report, the partners' assessments of
each area with their trend), the form where a member organisation assesses the group's areas
(bedomning/), and the opt-in to the weekly digest e-mail (prenumeration/)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from brygga.core.access import resolver_for
from brygga.core.models import Organisation
from brygga.core.views.decorators import municipality_view
from brygga.core.weeks import monday_of, week_param
from brygga.incidents.selectors import safety_groups_for

from .. import services
from ..access import can_assess
from ..models import AreaAssessment, AssessmentLevel, DigestSubscription
from ..ranking import last_full_quarter, quarterly_group_ranking
from ..scope import Period, ScopeError
from ..weekly import weekly_picture


def last_full_week(today: dt.date | None = None) -> dt.date:
    return monday_of(today or timezone.localdate()) - dt.timedelta(days=7)


def _week(value: str) -> dt.date:
    """The Monday of ``?vecka=`` (2026-V48), default the last full week."""
    value = (value or "").strip()
    if not value:
        return last_full_week()
    try:
        period = Period.parse(value)
    except ScopeError:
        period = None
    if period is None or period.kind != "week":
        raise ScopeError(
            "vecka", _("“%(value)s” is not a week. Write it as 2026-V48.") % {"value": value}
        )
    return period.start


def _url(municipality, forum, week_start: dt.date) -> str:
    base = reverse("situation:weekly", kwargs={"code": municipality.code})
    return f"{base}?forum={forum.pk}&vecka={week_param(week_start)}"


def _assessable(user, forum) -> list[Organisation]:
    """The forum's member organisations the user may give assessments for."""
    resolver = resolver_for(user)
    return [o for o in forum.organisations.order_by("name") if can_assess(resolver, forum, o)]


@municipality_view()
@require_GET
def weekly(request, municipality):
    groups = list(safety_groups_for(request.user, municipality))
    error = None
    try:
        week_start = _week(request.GET.get("vecka", ""))
    except ScopeError as exc:
        error, week_start = exc.message, last_full_week()
    forum = None
    if (fid := request.GET.get("forum", "").strip()) and fid.isdigit():
        forum = next((g for g in groups if g.pk == int(fid)), None)
        if forum is None:
            raise Http404
    elif groups:
        forum = groups[0]
    picture = weekly_picture(request.user, forum, week_start) if forum is not None else None
    quarter = _quarter(request.user, municipality, forum, week_start) if forum else None
    organisations = _assessable(request.user, forum) if forum is not None else []
    given = {}
    if forum is not None and organisations:
        for a in AreaAssessment.objects.visible_to(request.user).filter(
            municipality=municipality,
            forum=forum,
            week_start=week_start,
            organisation__in=organisations,
        ):
            given[(a.organisation_id, a.area_id)] = a.level
    forms = [
        {
            "organisation": org,
            "areas": [
                {"area": row, "level": given.get((org.pk, row.area_id))}
                for row in (picture.areas if picture else [])
            ],
        }
        for org in organisations
    ]
    subscribed = (
        forum is not None
        and DigestSubscription.objects.visible_to(request.user)
        .filter(municipality=municipality, forum=forum)
        .exists()
    )
    this_week = last_full_week() + dt.timedelta(days=7)
    return render(
        request,
        "situation/weekly.html",
        {
            "municipality": municipality,
            "groups": groups,
            "forum": forum,
            "picture": picture,
            "week_start": week_start,
            "week_param": week_param(week_start),
            "error": error,
            "levels": AssessmentLevel.choices,
            "forms": forms,
            "subscribed": subscribed,
            "quarter": quarter,
            "has_email": bool(request.user.email),
            "prev_url": _url(municipality, forum, week_start - dt.timedelta(days=7))
            if forum
            else None,
            "next_url": _url(municipality, forum, week_start + dt.timedelta(days=7))
            if forum and week_start + dt.timedelta(days=7) <= this_week
            else None,
        },
        status=400 if error else 200,
    )


def _quarter(user, municipality, forum, week_start: dt.date) -> dict | None:
    """The last full quarter before the shown week's end: the group's areas ranked by need
    (the priority ranking with its default weights), the top five with their drivers."""
    today = week_start + dt.timedelta(days=7)
    try:
        ranking = quarterly_group_ranking(user, forum, today)
    except ScopeError:
        return None  # the group has no areas to rank
    period = last_full_quarter(today)
    scored = [a for a in ranking.areas if a.score is not None]
    url = reverse("situation:ranking", kwargs={"code": municipality.code})
    return {
        "label": period.label,
        "areas": scored[:5] if len(scored) > 1 else [],  # one area alone ranks nothing
        "url": f"{url}?forum={forum.pk}&period={period.param()}",
    }


def _forum(request, municipality):
    fid = request.POST.get("forum", "")
    groups = safety_groups_for(request.user, municipality)
    forum = groups.filter(pk=int(fid)).first() if fid.isdigit() else None
    if forum is None:
        raise Http404
    return forum


@municipality_view()
@require_POST
def assess(request, municipality):
    forum = _forum(request, municipality)
    try:
        week_start = _week(request.POST.get("vecka", ""))
    except ScopeError as exc:
        messages.error(request, exc.message)
        return redirect(_url(municipality, forum, last_full_week()))
    oid = request.POST.get("organisation", "")
    organisation = forum.organisations.filter(pk=int(oid)).first() if oid.isdigit() else None
    if organisation is None:
        raise Http404
    levels = {}
    for area in forum.areas.all():
        value = request.POST.get(f"area-{area.pk}", "")
        levels[area.pk] = int(value) if value.isdigit() else None
    try:
        n = services.assessments_set(
            actor=request.user,
            forum=forum,
            organisation=organisation,
            week_start=week_start,
            levels=levels,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(organisation)s's assessment of %(n)s areas is saved.")
            % {"organisation": organisation.name, "n": n},
        )
    return redirect(_url(municipality, forum, week_start))


@municipality_view()
@require_POST
def subscribe(request, municipality):
    forum = _forum(request, municipality)
    on = request.POST.get("on") == "1"
    try:
        services.digest_subscribe(actor=request.user, forum=forum, on=on)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("You will get the weekly picture of %(forum)s by e-mail every Monday.")
            % {"forum": forum.name}
            if on
            else _("You will no longer get the weekly picture of %(forum)s by e-mail.")
            % {"forum": forum.name},
        )
    return redirect(_url(municipality, forum, last_full_week()))
