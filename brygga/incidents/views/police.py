"""Pages for the police events feed: counts per police type, the upload of an events file with
its job status, and the police type → category mapping. Every read goes through the resolver
(``visible_to`` / ``municipality_view``); writes go through the services
(:mod:`brygga.incidents.services.imports`) and the police import's task."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from brygga.core.access import CHANGE, resolver_for
from brygga.core.views.decorators import municipality_view
from brygga.incidents.forms.police import PoliceMappingForm, PoliceUploadForm
from brygga.incidents.imports.jobs import recover_if_stale
from brygga.incidents.imports.police import upload_max_bytes
from brygga.incidents.imports.storage import delete_upload, save_upload
from brygga.incidents.imports.tasks import run_police_import
from brygga.incidents.models import ImportJob, Incident, PoliceTypeMapping, Source
from brygga.incidents.selectors import police_incidents_for, police_type_counts
from brygga.incidents.services import police_job_create, police_mapping_update

from .common import unclaimed_context

RECENT_JOBS = 10


# --- helpers --------------------------------------------------------------------------------
def _require_import(request, municipality) -> None:
    """Imports are for those who may import in the municipality (else 403)."""
    if not resolver_for(request.user).can_import(municipality):
        raise PermissionDenied


def _jobs(request, municipality):
    return ImportJob.objects.visible_to(request.user).filter(
        municipality=municipality, kind=ImportJob.Kind.POLICE
    )


def _year(request) -> int | None:
    value = request.GET.get("ar", "")
    return int(value) if value.isdigit() and 1990 <= int(value) <= 2100 else None


# --- pages ----------------------------------------------------------------------------------
@municipality_view()
@require_GET
def police_summary(request, municipality):
    """ "Polisens händelser": events per police type in the municipality, and the county-level
    events of its county shown apart."""
    year = _year(request)
    counts = police_type_counts(request.user, municipality, year=year)
    mappings = {
        m.police_type: m
        for m in PoliceTypeMapping.objects.visible_to(request.user).select_related(
            "category", "category__parent"
        )
    }
    singles, summaries = [], []
    for police_type, c in counts.items():
        mapping = mappings.get(police_type)
        row = {
            "type": police_type,
            "mapping": mapping,
            "municipality": c["municipality"],
            "county": c["county"],
            "total": c["municipality"] + c["county"],
        }
        (summaries if mapping and mapping.is_summary else singles).append(row)
    for rows in (singles, summaries):
        rows.sort(key=lambda r: (-r["municipality"], -r["total"], r["type"]))
    years = [
        d.year
        for d in police_incidents_for(request.user, municipality)
        .order_by()
        .dates("occurred_from", "year", order="DESC")
    ]
    return render(
        request,
        "incidents/police_summary.html",
        {
            "municipality": municipality,
            "county": municipality.county,
            "singles": singles,
            "summaries": summaries,
            "total_municipality": sum(r["municipality"] for r in singles),
            "total_county": sum(r["county"] for r in singles),
            "year": year,
            "years": years,
            "can_import": resolver_for(request.user).can_import(municipality),
        },
    )


@municipality_view()
@require_http_methods(["GET", "POST"])
def police_upload(request, municipality):
    _require_import(request, municipality)
    resolver = resolver_for(request.user)
    form = PoliceUploadForm(
        request.POST or None,
        request.FILES or None,
        allow_all=resolver.can_import(municipality, all_municipalities=True),
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = Path(upload.name).name
        suffix = ".gz" if name.lower().endswith(".gz") else Path(name).suffix.lower()
        stored = save_upload(f"imports/police/{uuid.uuid4().hex}{suffix}", upload)
        try:
            job = police_job_create(
                actor=request.user,
                municipality=municipality,
                file_name=name,
                stored_file=stored,
                all_municipalities=bool(form.cleaned_data.get("all_municipalities")),
                language=get_language() or "",
            )
        except Exception:
            delete_upload(stored)
            raise
        run_police_import.enqueue(job.pk)
        return redirect("incidents:police_job", code=municipality.code, pk=job.pk)
    return render(
        request,
        "incidents/police_upload.html",
        {
            "municipality": municipality,
            "form": form,
            "jobs": _jobs(request, municipality).select_related("created_by")[:RECENT_JOBS],
            "max_mb": upload_max_bytes() // (1024 * 1024),
        },
        status=400 if request.method == "POST" else 200,
    )


def _job_context(request, municipality, pk: int) -> dict:
    _require_import(request, municipality)
    job = get_object_or_404(_jobs(request, municipality).select_related("created_by"), pk=pk)
    recover_if_stale(job)  # a job whose worker died is failed, so its page stops polling
    result = job.options.get("result") or {}
    active = job.state in (ImportJob.State.PENDING, ImportJob.State.RUNNING)
    return {
        **unclaimed_context(job, waiting=active),
        "municipality": municipality,
        "job": job,
        "result": result,
        "active": active,
        "saving": job.state == ImportJob.State.RUNNING
        and job.total_rows
        and job.processed_rows >= job.total_rows,
    }


@municipality_view()
@require_GET
def police_job(request, municipality, pk: int):
    return render(request, "incidents/police_job.html", _job_context(request, municipality, pk))


@municipality_view()
@require_GET
def police_job_status(request, municipality, pk: int):
    """The job's status block, polled by htmx every second while the job runs."""
    return render(
        request, "incidents/police_job_status.html", _job_context(request, municipality, pk)
    )


@municipality_view()
@require_GET
def police_mapping_list(request, municipality):
    """Every police type with its category, unreviewed first, and how many of this
    municipality's police events (and of its county's county-level events) have it."""
    counts = police_type_counts(request.user, municipality)
    mappings = (
        PoliceTypeMapping.objects.visible_to(request.user)
        .select_related("category", "category__parent")
        .order_by("reviewed", "police_type")
    )
    rows = [
        {
            "mapping": m,
            "municipality": counts.get(m.police_type, {}).get("municipality", 0),
            "county": counts.get(m.police_type, {}).get("county", 0),
        }
        for m in mappings
    ]
    return render(
        request,
        "incidents/police_mapping_list.html",
        {
            "municipality": municipality,
            "county": municipality.county,
            "rows": rows,
            "unreviewed": sum(1 for r in rows if not r["mapping"].reviewed),
            "can_edit": PoliceTypeMapping.objects.visible_to(request.user, CHANGE).exists(),
        },
    )


@municipality_view()
@require_http_methods(["GET", "POST"])
def police_mapping_edit(request, municipality, pk: int):
    mapping = get_object_or_404(
        PoliceTypeMapping.objects.visible_to(request.user).select_related("category"), pk=pk
    )
    if not resolver_for(request.user).can(CHANGE, mapping):
        raise PermissionDenied
    form = PoliceMappingForm(
        request.POST or None,
        user=request.user,
        initial={"category": mapping.category_id, "is_summary": mapping.is_summary},
    )
    if request.method == "POST" and form.is_valid():
        try:
            n = police_mapping_update(
                actor=request.user,
                mapping=mapping,
                category=form.cleaned_data["category"],
                is_summary=form.cleaned_data["is_summary"],
            )
        except ValidationError as exc:
            form.add_error("category", exc.messages)
        else:
            messages.success(
                request,
                _("“%(type)s” now maps to %(category)s; %(n)s police events were re-categorised.")
                % {"type": mapping.police_type, "category": mapping.category, "n": n},
            )
            return redirect("incidents:police_mapping_list", code=municipality.code)
    n_events = (
        Incident.objects.visible_to(request.user)
        .one_copy_per_event(resolver_for(request.user).municipalities_with("view"))
        .filter(source=Source.POLICE, source_type=mapping.police_type)
        .count()
    )
    return render(
        request,
        "incidents/police_mapping_form.html",
        {"municipality": municipality, "mapping": mapping, "form": form, "n_events": n_events},
        status=400 if request.method == "POST" else 200,
    )
