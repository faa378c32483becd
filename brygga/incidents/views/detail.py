"""One incident: /kommuner/<code>/handelser/<pk>/ (with its change history), the status
change (<pk>/status/) and the removal (<pk>/ta-bort/). Opening the page is a logged read of
personal data (``selectors.incident_detail``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brygga.audit import selectors as audit_selectors
from brygga.audit.models import EventKind
from brygga.core import selectors as core_selectors
from brygga.core.access import CHANGE, resolver_for
from brygga.core.models import Organisation
from brygga.core.views.decorators import municipality_view
from brygga.core.views.maps import base_map_data
from brygga.incidents import selectors, services
from brygga.incidents.access import can_publish_tip
from brygga.incidents.forms.report import StatusForm
from brygga.incidents.models import Category, Incident, Open311Request, Source, Status
from brygga.incidents.open311.forms import PublishTipForm

from .common import get_visible, incident_context


def _history(request, incident: Incident) -> list[dict]:
    """The incident's audit rows the user may see (``audit.selectors.history_for``), with
    the changed fields named for display."""
    rows = list(audit_selectors.history_for(request.user, incident)[:500])
    names = {
        "category_id": dict(Category.objects.visible_to(request.user).values_list("pk", "name")),
        "status": dict(Status.choices),
        "source": dict(Source.choices),
    }
    area_ids = set()
    org_ids = set()
    for e in rows:
        for key, value in (e.changes or {}).items():
            if key == "area_id" and isinstance(value, list):
                area_ids.update(v for v in value if v)
            if key == "reporting_organisation_id" and isinstance(value, list):
                org_ids.update(v for v in value if v)
    names["area_id"] = (
        dict(
            core_selectors.areas_for(request.user, incident.municipality)
            .filter(pk__in=area_ids)
            .values_list("pk", "name")
        )
        if incident.municipality_id
        else {}
    )
    names["reporting_organisation_id"] = dict(
        Organisation.objects.visible_to(request.user)
        .filter(pk__in=org_ids)
        .values_list("pk", "name")
    )
    labels = {}
    for f in Incident._meta.concrete_fields:
        labels[f.attname] = str(f.verbose_name)

    def show(key, value):
        if value is None or value == "":
            return "–"
        if key in names:
            return names[key].get(value, value)
        return value

    out = []
    for e in rows:
        changes = []
        if e.kind in (EventKind.UPDATE, EventKind.ACTION) and isinstance(e.changes, dict):
            for key, value in e.changes.items():
                if isinstance(value, list) and len(value) == 2:
                    changes.append(
                        {
                            "key": key,
                            "field": labels.get(key, key),
                            "before": show(key, value[0]),
                            "after": show(key, value[1]),
                        }
                    )
                elif e.kind == EventKind.ACTION:
                    changes.append({"key": key, "field": key, "before": None, "after": value})
        out.append({"event": e, "changes": changes})
    return out


@municipality_view()
@require_GET
def incident_detail(request, municipality, pk: int):
    with transaction.atomic():
        incident = get_visible(request, municipality, pk, purpose=_("Viewing the incident"))
    resolver = resolver_for(request.user)
    can_set_status = not incident.county_event and resolver.has_ability(
        "manage", incident.municipality_id
    )
    publication = None
    if incident.source == Source.OPEN311 and can_publish_tip(resolver, incident):
        tip = Open311Request.objects.visible_to(request.user).filter(incident=incident).first()
        publication = {
            "tip": tip,
            "form": PublishTipForm(
                initial={"text": (tip.published_text if tip else "") or incident.description}
            ),
        }
    return render(
        request,
        "incidents/detail.html",
        incident_context(
            request,
            municipality,
            incident=incident,
            history=_history(request, incident),
            can_change=(not incident.county_event and resolver.can(CHANGE, incident)),
            source_link=(
                incident.source_url
                if incident.source_url.startswith(("https://", "http://"))
                else ""
            ),
            can_set_status=can_set_status,
            publication=publication,
            status_form=StatusForm(initial={"status": incident.status}),
            map_data=(
                {
                    **base_map_data(municipality),
                    "point": [incident.lat, incident.lon],
                    "detail_url": "",
                    "points": [],
                }
                if incident.has_point
                else None
            ),
        ),
    )


@municipality_view("manage")
@require_POST
def incident_status(request, municipality, pk: int):
    incident = get_object_or_404(selectors.incidents_for(request.user, municipality), pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
    else:
        services.incident_set_status(
            actor=request.user, incident=incident, status=form.cleaned_data["status"]
        )
        messages.success(request, _("The status was changed."))
    return redirect("incidents:incident_detail", code=municipality.code, pk=incident.pk)


@municipality_view()
@require_http_methods(["GET", "POST"])
def incident_delete(request, municipality, pk: int):
    incident = get_object_or_404(selectors.incidents_for(request.user, municipality), pk=pk)
    if not resolver_for(request.user).can(CHANGE, incident):
        raise PermissionDenied
    if request.method == "POST":
        services.incident_delete(actor=request.user, incident=incident)
        messages.success(request, _("The incident was removed."))
        return redirect("incidents:index", code=municipality.code)
    return render(
        request,
        "incidents/confirm_delete.html",
        incident_context(request, municipality, incident=incident),
    )
