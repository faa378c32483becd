"""Open311 administration pages: API keys (municipal administrators), the contact details
of a public tip (coordinators and administrators; every read is logged) and the publication of
a tip's text on the public lists (those ``access.can_publish_tip`` allows)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brygga.core.access import CHANGE
from brygga.core.forms import apply_errors
from brygga.core.retention import periods_for
from brygga.core.views.decorators import municipality_view
from brygga.incidents.models import Incident, Open311Key

from . import selectors, services
from .forms import Open311KeyForm, PublishTipForm


def _list_url(municipality) -> str:
    return reverse("incidents:open311_key_list", kwargs={"code": municipality.code})


def _key(request, municipality, pk: int) -> Open311Key:
    return get_object_or_404(
        Open311Key.objects.visible_to(request.user, CHANGE).select_related(
            "reporting_organisation"
        ),
        municipality=municipality,
        pk=pk,
    )


@municipality_view("administer")
@require_GET
def open311_key_list(request, municipality):
    since = timezone.now() - timedelta(days=1)
    keys = selectors.keys_for(request.user, municipality).annotate(
        recent=Count("submissions", filter=Q(submissions__created_at__gte=since))
    )
    return render(
        request,
        "incidents/open311_key_list.html",
        {
            "municipality": municipality,
            "keys": keys,
            "endpoint": request.build_absolute_uri(reverse("open311:request_list_json")),
            "services_url": request.build_absolute_uri(reverse("open311:service_list_json")),
        },
    )


@municipality_view("administer")
@require_http_methods(["GET", "POST"])
@never_cache
def open311_key_create(request, municipality):
    form = Open311KeyForm(request.POST or None, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = services.open311_key_create(
                actor=request.user,
                municipality=municipality,
                name=form.cleaned_data["name"],
                reporting_organisation=form.cleaned_data["reporting_organisation"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # The secret is rendered once, in this response only (never stored, never cached,
            # not put in the session or a message).
            return render(
                request,
                "incidents/open311_key_created.html",
                {
                    "municipality": municipality,
                    "key": key,
                    "secret": secret,
                    "endpoint": request.build_absolute_uri(reverse("open311:request_list_json")),
                },
            )
    return render(
        request,
        "incidents/open311_key_form.html",
        {"municipality": municipality, "form": form, "object": None},
        status=400 if request.method == "POST" else 200,
    )


@municipality_view("administer")
@require_http_methods(["GET", "POST"])
def open311_key_edit(request, municipality, pk: int):
    key = _key(request, municipality, pk)
    initial = {"name": key.name, "reporting_organisation": key.reporting_organisation}
    form = Open311KeyForm(request.POST or None, municipality=municipality, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.open311_key_update(
                actor=request.user,
                key=key,
                name=form.cleaned_data["name"],
                reporting_organisation=form.cleaned_data["reporting_organisation"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_list_url(municipality))
    return render(
        request,
        "incidents/open311_key_form.html",
        {"municipality": municipality, "form": form, "object": key},
        status=400 if request.method == "POST" else 200,
    )


@municipality_view("administer")
@require_http_methods(["GET", "POST"])
def open311_key_revoke(request, municipality, pk: int):
    key = _key(request, municipality, pk)
    if request.method == "POST":
        services.open311_key_revoke(actor=request.user, key=key)
        messages.success(request, _("The key “%(name)s” was revoked.") % {"name": key.name})
        return redirect(_list_url(municipality))
    return render(
        request,
        "incidents/open311_key_revoke.html",
        {"municipality": municipality, "key": key, "back": _list_url(municipality)},
    )


@municipality_view("manage")
@require_GET
@never_cache
def open311_contact(request, municipality, pk: int):
    """The contact details a member of the public left with a tip. Reading them is logged
    (who, whose, which fields, why) in the same transaction as the read."""
    with transaction.atomic():
        try:
            incident = selectors.tip_for(request.user, municipality, pk)
        except Incident.DoesNotExist:
            raise Http404 from None
        contact = selectors.contact_for(
            request.user, incident, purpose=_("Follow-up of a public tip (Open311)")
        )
    kept_days = periods_for(municipality)["incidents.tip_contacts"]
    disposed = contact is None and incident.created_at < timezone.now() - timedelta(days=kept_days)
    return render(
        request,
        "incidents/open311_contact.html",
        {
            "municipality": municipality,
            "incident": incident,
            "contact": contact,
            "kept_days": kept_days,
            "past_retention": disposed,
        },
    )


@municipality_view("manage")
@require_POST
def open311_tip_publication(request, municipality, pk: int):
    """Publish a public tip's (moderated) text on the open Open311 lists, or withdraw it:
    a moderation step of its own (``access.can_publish_tip``), apart from the status."""
    try:
        incident = selectors.tip_for(request.user, municipality, pk)
    except Incident.DoesNotExist:
        raise Http404 from None
    detail = reverse("incidents:incident_detail", kwargs={"code": municipality.code, "pk": pk})
    if request.POST.get("action") == "unpublish":
        services.open311_tip_unpublish(actor=request.user, incident=incident)
        messages.success(request, _("The tip's text was withdrawn from the public list."))
        return redirect(detail)
    form = PublishTipForm(request.POST)
    if form.is_valid():
        try:
            services.open311_tip_publish(
                actor=request.user, incident=incident, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("text", exc.messages):
                messages.error(request, message)
        else:
            messages.success(request, _("The tip's text was published on the public list."))
    else:
        for message in form.errors.get("text", []):
            messages.error(request, message)
    return redirect(detail)
