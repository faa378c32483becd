"""Incident pages under /kommuner/<code>/handelser/: report form, confirmation with the
organisation's recent reports, list, map, detail with history, exports and the weekly round.

Thin views: reads come from ``selectors`` (restricted by the resolver; personal data through
``incident_detail``, which logs the read), writes go through ``services``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brygga.audit import selectors as audit_selectors
from brygga.audit.models import EventKind
from brygga.audit.services import log_action
from brygga.core import selectors as core_selectors
from brygga.core.access import CHANGE, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.models import ForumKind, Organisation
from brygga.core.pagination import CappedPaginator
from brygga.core.views import municipality_view

from . import exports, selectors, services
from .filters import IncidentFilter
from .forms import IncidentForm, NilReportForm, StatusForm, WeekForm, iso_week
from .models import Category, Incident, NilReport, Source, Status

PAGE_SIZE = 50
LIST_COUNT_CAP = 10_000  # the list counts at most this many rows (see core/pagination.py)
RECENT = 10
MAP_MAX_POINTS = 5000
MAP_TABLE_ROWS = 200


# --- helpers --------------------------------------------------------------------------------
def _can_report(user, municipality) -> bool:
    return resolver_for(user).can_create_in(Incident, municipality)


def _own_organisation_ids(user, municipality) -> list[int]:
    return sorted(resolver_for(user).member_organisations(municipality))


def _context(request, municipality, **extra) -> dict:
    resolver = resolver_for(request.user)
    return {
        "municipality": municipality,
        "can_report": _can_report(request.user, municipality),
        "can_manage": resolver.has_ability("manage", municipality),
        "can_import": resolver.can_import(municipality),
        "incidents_section": request.resolver_match.url_name if request.resolver_match else "",
        **extra,
    }


def _filtered(request, municipality):
    qs = selectors.incidents_for(request.user, municipality)
    f = IncidentFilter(request.GET or None, queryset=qs, request=request, municipality=municipality)
    return f, (f.qs if f.is_bound else qs)


def _get_visible(request, municipality, pk: int, *, purpose: str) -> Incident:
    """One incident the user may see (else 404); a read of personal data is logged."""
    try:
        return selectors.incident_detail(request.user, municipality, pk, purpose=purpose)
    except Incident.DoesNotExist:
        raise Http404 from None


def _tiles() -> dict:
    return {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}


def _boundary(municipality) -> dict:
    return {
        "type": "Feature",
        "geometry": municipality.boundary,
        "properties": {"name": municipality.name},
    }


def _query_without_page(request) -> str:
    q = request.GET.copy()
    q.pop("sida", None)
    return q.urlencode()


# --- list, map, export ----------------------------------------------------------------------
@municipality_view()
@require_GET
def index(request, municipality):
    f, qs = _filtered(request, municipality)
    page = CappedPaginator(qs, PAGE_SIZE, cap=LIST_COUNT_CAP).get_page(request.GET.get("sida"))
    return render(
        request,
        "incidents/list.html",
        _context(
            request,
            municipality,
            filter=f,
            page=page,
            query=_query_without_page(request),
        ),
    )


def _area_counts(qs, areas) -> tuple[list[dict], dict, int]:
    """Reports and events per area (police summaries left out) and the number of incidents
    with a point, in one pass over the selection."""
    # Grouped by an expression rather than the bare column: on SQLite a GROUP BY area_id makes
    # the planner walk the whole area index (to skip the sort) instead of using the index of
    # the filter (a 30-day map read a million rows); 0 stands for "no area".
    single = Q(is_summary=False)
    rows = (
        qs.order_by()
        .values(area_key=Coalesce("area_id", Value(0)))
        .annotate(
            reports=Count("id", filter=single),
            events=Sum("count", filter=single),
            points=Count("id", filter=Q(lat__isnull=False, lon__isnull=False)),
        )
    )
    counts = {row["area_key"] or None: row for row in rows}
    out = []
    for area in areas:
        row = counts.get(area.pk, {})
        out.append(
            {"area": area, "reports": row.get("reports", 0), "events": row.get("events") or 0}
        )
    none = counts.get(None) or {}
    outside = {"reports": none.get("reports", 0), "events": none.get("events") or 0}
    return out, outside, sum(row["points"] for row in counts.values())


@municipality_view()
@require_GET
def map_view(request, municipality):
    f, qs = _filtered(request, municipality)
    areas = list(core_selectors.areas_for(request.user, municipality).order_by("name"))
    area_rows, outside, n_points = _area_counts(qs, areas)
    point_qs = qs.filter(lat__isnull=False, lon__isnull=False)
    # no join to the categories (see selectors.with_related): their names are looked up once
    rows = list(
        point_qs.order_by("-occurred_from", "-id").values_list(
            "pk", "lat", "lon", "category_id", "occurred_from"
        )[:MAP_MAX_POINTS]
    )
    names = dict(
        Category.objects.visible_to(request.user)
        .filter(pk__in={r[3] for r in rows})
        .values_list("pk", "name")
    )
    points = [(pk, lat, lon, names.get(cat, ""), when) for pk, lat, lon, cat, when in rows]
    base = f"/kommuner/{municipality.code}/handelser/"
    tz = timezone.get_current_timezone()
    data = {
        "boundary": _boundary(municipality),
        "tiles": _tiles(),
        "detail_url": base,
        "points": [
            [
                pk,
                lat,
                lon,
                name,
                when.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            ]
            for pk, lat, lon, name, when in points
        ],
        "areas": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": row["area"].geometry,
                    "properties": {
                        "id": row["area"].pk,
                        "name": row["area"].name,
                        "reports": row["reports"],
                    },
                }
                for row in area_rows
            ],
        },
        "labels": {"one": _("1 report"), "many": _("%(n)s reports")},
    }
    return render(
        request,
        "incidents/map.html",
        _context(
            request,
            municipality,
            filter=f,
            map_data=data,
            area_rows=area_rows,
            outside=outside,
            n_points=n_points,
            n_shown=len(points),
            truncated=n_points > len(points),
            table_points=points[:MAP_TABLE_ROWS],
            query=_query_without_page(request),
        ),
    )


@municipality_view()
@require_GET
def export(request, municipality, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404
    f, qs = _filtered(request, municipality)
    n = qs.count()
    with transaction.atomic():
        log_action(
            event_type="incidents_exported",
            municipality_id=municipality.pk,
            details={"format": fmt, "filters": f.active(), "rows": n},
        )
    return exports.response(qs, fmt, exports.filename(municipality.code, fmt))


# --- report, edit ---------------------------------------------------------------------------
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


def _form_map_data(municipality, incident=None) -> dict:
    return {
        "boundary": _boundary(municipality),
        "tiles": _tiles(),
        "point": [incident.lat, incident.lon]
        if incident is not None and incident.has_point
        else None,
        "labels": {
            "chosen": _("Chosen point: %(lat)s, %(lon)s"),
            "none": _("No point chosen yet. Tap the map where it happened."),
            "locating": _("Finding your position…"),
            "no_position": _("Your position is not available. Tap the map instead."),
        },
    }


@municipality_view()
@require_http_methods(["GET", "POST"])
def report(request, municipality):
    if not _can_report(request.user, municipality):
        raise PermissionDenied
    organisations = services.reporting_organisations_for(request.user, municipality).order_by(
        "name"
    )
    form = IncidentForm(
        request.POST or None, municipality=municipality, organisations=organisations
    )
    own = _own_organisation_ids(request.user, municipality)
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
        _context(
            request,
            municipality,
            form=form,
            map_data=_form_map_data(municipality),
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
    with transaction.atomic():
        incident = _get_visible(request, municipality, pk, purpose=_("Editing the incident"))
    if incident.municipality_id != municipality.pk:
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
    return render(
        request,
        "incidents/report_form.html",
        _context(
            request,
            municipality,
            form=form,
            incident=incident,
            map_data=_form_map_data(municipality, incident),
        ),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view()
@require_GET
def incident_receipt(request, municipality, pk: int):
    incident = get_object_or_404(selectors.incidents_for(request.user, municipality), pk=pk)
    own = _own_organisation_ids(request.user, municipality)
    recent = selectors.incidents_for(request.user, municipality).filter(
        Q(reporting_organisation_id__in=own) | Q(reported_by=request.user)
    )[:RECENT]
    return render(
        request,
        "incidents/receipt.html",
        _context(request, municipality, incident=incident, recent=recent),
    )


# --- detail, status, delete -----------------------------------------------------------------
def _history(request, incident: Incident) -> list[dict]:
    """The incident's audit rows the user may see (``audit.selectors.history_for``), with
    the changed fields named for display."""
    rows = list(audit_selectors.history_for(request.user, incident)[:500])
    names = {
        "category_id": dict(Category.objects.values_list("pk", "name")),
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
        incident = _get_visible(request, municipality, pk, purpose=_("Viewing the incident"))
    resolver = resolver_for(request.user)
    can_set_status = incident.municipality_id is not None and resolver.has_ability(
        "manage", incident.municipality_id
    )
    return render(
        request,
        "incidents/detail.html",
        _context(
            request,
            municipality,
            incident=incident,
            history=_history(request, incident),
            can_change=(
                incident.municipality_id == municipality.pk and resolver.can(CHANGE, incident)
            ),
            source_link=(
                incident.source_url
                if incident.source_url.startswith(("https://", "http://"))
                else ""
            ),
            can_set_status=can_set_status,
            status_form=StatusForm(initial={"status": incident.status}),
            map_data=(
                {
                    "boundary": _boundary(municipality),
                    "tiles": _tiles(),
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
        _context(request, municipality, incident=incident),
    )


# --- weekly reporting round -----------------------------------------------------------------
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
        _context(
            request,
            municipality,
            forums=forums,
            forum=forum,
            week=iso_week(week_start),
            week_start=week_start,
            week_last=week_end - dt.timedelta(days=1),
            prev_week=iso_week(prev_week),
            next_week=iso_week(next_week) if next_week <= this_monday else None,
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
    services.set_nil_report(
        request.user, municipality, d["organisation"], week_start, forum=forum, nil=True
    )
    messages.success(request, _("Saved: nothing to report this week."))
    url = f"/kommuner/{municipality.code}/handelser/veckorapportering/"
    return redirect(f"{url}?forum={forum.pk}&vecka={iso_week(week_start)}")
