"""Filing a report, the receipt with the organisation's recent reports, and editing an
incident: /kommuner/<code>/handelser/rapportera/, <pk>/kvitto/, <pk>/andra/. Writes go through
``services``; a service's ``ValidationError`` is shown on the form's fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from brygga.core import selectors as core_selectors
from brygga.core.access import CHANGE
from brygga.core.forms import apply_errors
from brygga.core.geo import BOUNDARY_TOLERANCE_M
from brygga.core.views.decorators import municipality_view
from brygga.core.views.maps import area_collection, base_map_data
from brygga.incidents import selectors, services
from brygga.incidents.forms.report import IncidentForm
from brygga.incidents.models import Incident, Source

from .common import can_report, get_visible, incident_context, own_organisation_ids

RECENT = 10


def _save_kwargs(d: dict) -> dict:
    return {
        "category": d["category"],
        "occurred_from": d["occurred_from"],
        "occurred_to": d.get("occurred_to"),
        "location": d["location"],
        "description": d.get("description", ""),
        "place_description": d.get("place_description", ""),
        "count": d.get("count") or 1,
        "has_personal_data": bool(d.get("has_personal_data")),
        "visibility": d.get("visibility") or "shared",
    }


def _form_map_data(request, municipality, incident=None) -> dict:
    """The report form's map: the boundary and the areas as outlines, so that the page can name
    the area of a tapped point and refuse a point outside the municipality before sending (the
    server checks again, with the same margin)."""
    return {
        **base_map_data(municipality),
        "areas": area_collection(
            core_selectors.areas_for(request.user, municipality).order_by("name")
        ),
        "tolerance_m": BOUNDARY_TOLERANCE_M,
        "point": [incident.lat, incident.lon]
        if incident is not None and incident.has_point
        else None,
        "labels": {
            "chosen": _("Chosen place: %(lat)s, %(lon)s"),
            "chosen_area": _("Chosen place: %(area)s (%(lat)s, %(lon)s)"),
            "none": _("No point chosen yet. Tap the map where it happened."),
            "outside": _(
                "The point lies outside the municipality %(name)s. Choose a place inside the "
                "boundary line."
            )
            % {"name": municipality.name},
            "locating": _("Finding your position…"),
            "no_position": _("Your position is not available. Tap the map instead."),
        },
    }


@municipality_view()
@require_http_methods(["GET", "POST"])
def report(request, municipality):
    if not can_report(request.user, municipality):
        raise PermissionDenied
    organisations = services.reporting_organisations_for(request.user, municipality).order_by(
        "name"
    )
    form = IncidentForm(
        request.POST or None, municipality=municipality, organisations=organisations
    )
    own = own_organisation_ids(request.user, municipality)
    default = next((pk for pk in own if organisations.filter(pk=pk).exists()), None)
    form.set_default_organisation(default)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            incident = services.incident_create(
                actor=request.user,
                municipality=municipality,
                reporting_organisation=d.get("reporting_organisation"),
                source=Source.MANUAL,
                **_save_kwargs(d),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("incidents:incident_receipt", code=municipality.code, pk=incident.pk)
    return render(
        request,
        "incidents/report_form.html",
        incident_context(
            request,
            municipality,
            form=form,
            map_data=_form_map_data(request, municipality),
            single_organisation=(
                form.organisation_choices[0] if len(form.organisation_choices) == 1 else None
            ),
        ),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
@require_http_methods(["GET", "POST"])
def incident_edit(request, municipality, pk: int):
    if not Incident.objects.visible_to(request.user, CHANGE).filter(pk=pk).exists():
        # Not changeable: 403 if the user can see it, else 404.
        if not selectors.incidents_for(request.user, municipality).filter(pk=pk).exists():
            raise Http404
        raise PermissionDenied
    # The read is logged when the page with the texts is rendered below, not when a saved
    # form redirects (that response carries no personal data).
    incident = get_visible(request, municipality, pk, purpose=None)
    if incident.county_event:
        raise Http404  # county-level police events are not edited from a municipality
    form = IncidentForm(request.POST or None, municipality=municipality, instance=incident)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_update(
                actor=request.user, incident=incident, **_save_kwargs(form.cleaned_data)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("incidents:incident_detail", code=municipality.code, pk=incident.pk)
    with transaction.atomic():
        selectors.log_incident_read(request.user, incident, purpose=_("Editing the incident"))
    return render(
        request,
        "incidents/report_form.html",
        incident_context(
            request,
            municipality,
            form=form,
            incident=incident,
            map_data=_form_map_data(request, municipality, incident),
        ),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
@require_GET
def incident_receipt(request, municipality, pk: int):
    incident = get_object_or_404(selectors.incidents_for(request.user, municipality), pk=pk)
    own = own_organisation_ids(request.user, municipality)
    recent = selectors.incidents_for(request.user, municipality).filter(
        Q(reporting_organisation_id__in=own) | Q(reported_by=request.user)
    )[:RECENT]
    return render(
        request,
        "incidents/receipt.html",
        incident_context(request, municipality, incident=incident, recent=recent),
    )
