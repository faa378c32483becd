"""Forum meetings: /kommuner/<code>/moten/ — upcoming and past meetings of the forums the
user reads, overdue action items and each forum's calendar links; a new meeting (for a forum
the user may write for), a meeting's page (agenda, the sequence with the other forum's
meetings, minutes, decisions, action items), its edit and minutes pages, action items (new,
edit, status) and the iCalendar feed (signed in, or through a calendar link's token).

Reads go through ``selectors`` (``visible_to``): a meeting the user may not read is 404, a
change the user may not make on a meeting they read is 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brygga.core.access import CHANGE, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.models import Forum
from brygga.core.selectors import forums_for, municipalities_for
from brygga.core.views.decorators import municipality_view

from .. import ical, selectors, services
from ..forms.meetings import ActionItemForm, ActionItemStatusForm, MeetingForm, MinutesForm
from ..models import ActionItem, Meeting

__all__: list[str] = []

PART = {"plans_part": "meetings"}


def _meeting(request, municipality, pk) -> Meeting:
    return get_object_or_404(selectors.meetings_for(request.user, municipality), pk=pk)


def _changeable(request, meeting) -> Meeting:
    if not resolver_for(request.user).can(CHANGE, meeting):
        raise PermissionDenied
    return meeting


def _detail_url(municipality, pk) -> str:
    return reverse("plans:meeting_detail", args=[municipality.code, pk])


def _calendar_forums(request, municipality) -> list[dict]:
    out = []
    for forum in forums_for(request.user, municipality):
        if not selectors.can_read_forum_meetings(request.user, forum):
            continue
        token = ical.feed_token(request.user, forum)
        feed = reverse("plans:forum_calendar_feed", args=[municipality.code, token])
        out.append(
            {
                "forum": forum,
                "download": reverse("plans:forum_calendar", args=[municipality.code, forum.pk]),
                "feed": request.build_absolute_uri(feed),
            }
        )
    return out


@require_GET
@municipality_view()
def meeting_list(request, municipality):
    now = timezone.now()
    meetings = selectors.meetings_for(request.user, municipality)
    forum = request.GET.get("forum", "")
    if forum.isdigit():
        meetings = meetings.filter(forum_id=int(forum))
    return render(
        request,
        "plans/meeting_list.html",
        {
            "municipality": municipality,
            "upcoming": meetings.filter(ends_at__gte=now).order_by("starts_at"),
            "past": meetings.filter(ends_at__lt=now).order_by("-starts_at")[:50],
            "overdue": selectors.overdue_action_items(request.user, municipality),
            "can_add": selectors.forums_writable(request.user, municipality).exists()
            and resolver_for(request.user).can_create_in(Meeting, municipality),
            "calendars": _calendar_forums(request, municipality),
            **PART,
        },
    )


def _meeting_fields(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("forum", None)
    return data


@require_http_methods(["GET", "POST"])
@municipality_view()
def meeting_new(request, municipality):
    if not resolver_for(request.user).can_create_in(Meeting, municipality):
        raise PermissionDenied
    if not selectors.forums_writable(request.user, municipality).exists():
        raise PermissionDenied
    initial = {}
    if request.GET.get("forum", "").isdigit():
        initial["forum"] = int(request.GET["forum"])
    form = MeetingForm(
        request.POST or None, user=request.user, municipality=municipality, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(
                actor=request.user,
                municipality=municipality,
                forum=form.cleaned_data["forum"],
                **_meeting_fields(form),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The meeting was added."))
            return redirect(_detail_url(municipality, meeting.pk))
    return render(
        request,
        "plans/meeting_form.html",
        {"municipality": municipality, "form": form, "object": None, **PART},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@municipality_view()
def meeting_detail(request, municipality, pk):
    meeting = _meeting(request, municipality, pk)
    visible = selectors.meetings_for(request.user, municipality)
    resolver = resolver_for(request.user)
    items = list(selectors.action_items_for(request.user, municipality).filter(meeting=meeting))
    for item in items:
        item.can_change = resolver.can(CHANGE, item)
    can_change = resolver.can(CHANGE, meeting)
    return render(
        request,
        "plans/meeting_detail.html",
        {
            "municipality": municipality,
            "meeting": meeting,
            "before": visible.filter(pk=meeting.follows_id).first() if meeting.follows_id else None,
            "after": visible.filter(follows=meeting).order_by("starts_at"),
            "organisations": meeting.organisations.order_by("name"),
            "items": items,
            "today": timezone.localdate(),
            "can_change": can_change,
            "item_form": ActionItemForm(meeting=meeting) if can_change else None,
            **PART,
        },
    )


@require_http_methods(["GET", "POST"])
@municipality_view()
def meeting_edit(request, municipality, pk):
    meeting = _changeable(request, _meeting(request, municipality, pk))
    form = MeetingForm(
        request.POST or None, user=request.user, municipality=municipality, instance=meeting
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=request.user, meeting=meeting, **_meeting_fields(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_detail_url(municipality, meeting.pk))
    return render(
        request,
        "plans/meeting_form.html",
        {"municipality": municipality, "form": form, "object": meeting, **PART},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@municipality_view()
def meeting_minutes(request, municipality, pk):
    meeting = _changeable(request, _meeting(request, municipality, pk))
    form = MinutesForm(request.POST or None, municipality=municipality, instance=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The minutes were saved."))
            return redirect(_detail_url(municipality, meeting.pk))
    return render(
        request,
        "plans/meeting_minutes.html",
        {"municipality": municipality, "form": form, "meeting": meeting, **PART},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@municipality_view()
def action_item_new(request, municipality, pk):
    meeting = _changeable(request, _meeting(request, municipality, pk))
    form = ActionItemForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_item_create(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The action item was added."))
            return redirect(_detail_url(municipality, meeting.pk) + "#action-items")
    return render(
        request,
        "plans/meeting_action_item_form.html",
        {"municipality": municipality, "form": form, "meeting": meeting, "item": None, **PART},
        status=400 if request.method == "POST" else 200,
    )


def _item(request, municipality, pk) -> ActionItem:
    item = get_object_or_404(selectors.action_items_for(request.user, municipality), pk=pk)
    if not resolver_for(request.user).can(CHANGE, item):
        raise PermissionDenied
    return item


@require_http_methods(["GET", "POST"])
@municipality_view()
def action_item_edit(request, municipality, pk):
    """The whole item for those who change the meeting; only its status for its owner."""
    item = _item(request, municipality, pk)
    meeting = item.meeting
    full = resolver_for(request.user).can(CHANGE, meeting)
    data = request.POST or None
    form = ActionItemForm(data, meeting=meeting, instance=item) if full else None
    status_form = ActionItemStatusForm(data, initial={"status": item.status})
    if request.method == "POST" and status_form.is_valid() and (form is None or form.is_valid()):
        fields = dict(form.cleaned_data) if form is not None else {}
        fields["status"] = status_form.cleaned_data["status"]
        try:
            services.action_item_update(actor=request.user, item=item, **fields)
        except ValidationError as exc:
            apply_errors(form or status_form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_detail_url(municipality, meeting.pk) + "#action-items")
    return render(
        request,
        "plans/meeting_action_item_form.html",
        {
            "municipality": municipality,
            "form": form,
            "status_form": status_form,
            "meeting": meeting,
            "item": item,
            **PART,
        },
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
@require_POST
def action_item_status(request, municipality, pk):
    """Set an item's status from the meeting's page (a button per item)."""
    item = _item(request, municipality, pk)
    form = ActionItemStatusForm(request.POST)
    if form.is_valid():
        try:
            services.action_item_update(
                actor=request.user, item=item, status=form.cleaned_data["status"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Unknown status."))
    return redirect(_detail_url(municipality, item.meeting_id) + "#action-items")


def _calendar_response(forum: Forum, meetings) -> HttpResponse:
    response = HttpResponse(
        ical.forum_calendar(forum, meetings), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="forum-{forum.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


def _forum_meetings(user, municipality, forum_pk: int):
    forum = forums_for(user, municipality).filter(pk=forum_pk).first()
    if forum is None or not selectors.can_read_forum_meetings(user, forum):
        raise Http404
    meetings = selectors.meetings_for(user, municipality).filter(forum=forum)
    return forum, meetings.order_by("starts_at")


@require_GET
@municipality_view()
def forum_calendar(request, municipality, pk):
    """The forum's meetings as an iCalendar file (signed in)."""
    forum, meetings = _forum_meetings(request.user, municipality, pk)
    return _calendar_response(forum, meetings)


@require_GET
def forum_calendar_feed(request, code, feed_token):
    """The same calendar for a calendar client, through a calendar link's token: the token's
    user must still read the forum's meetings (else 404, as for a wrong token)."""
    found = ical.feed_user(feed_token)
    if found is None:
        raise Http404
    user, forum_pk = found
    municipality = municipalities_for(user).filter(code=code).first()
    if municipality is None:
        raise Http404
    forum, meetings = _forum_meetings(user, municipality, forum_pk)
    return _calendar_response(forum, meetings)


@municipality_view()
@require_POST
def forum_calendar_revoke(request, municipality):
    """Stop every calendar link the user has been given so far."""
    services.calendar_links_revoke(actor=request.user, municipality=municipality)
    messages.success(request, _("Your earlier calendar links no longer work."))
    return redirect(reverse("plans:meetings", args=[municipality.code]) + "#calendars")
