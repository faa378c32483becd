"""Pages of the CSV/Excel import: upload → preview and mapping → progress and result.

Open to analysts and to those who manage the municipality (``resolver.can_import``);
another municipality's code answers 404 (``municipality_view``). The work itself runs as a
background task (:func:`brygga.incidents.imports.tasks.run_tabular_import`)."""

from __future__ import annotations

import functools
import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from brygga.audit.services import log_access
from brygga.core import health
from brygga.core.access import CHANGE, resolver_for
from brygga.core.views.decorators import municipality_view
from brygga.incidents.forms.tabular import MappingForm, UploadForm
from brygga.incidents.imports import jobs, tabular
from brygga.incidents.imports.jobs import recover_if_stale
from brygga.incidents.imports.storage import kept_until, open_upload, purge_expired_uploads
from brygga.incidents.imports.tabular.profile_file import profile_file
from brygga.incidents.imports.tabular.report import conflict_fields
from brygga.incidents.imports.tabular.write import SKIP
from brygga.incidents.imports.tasks import run_tabular_import
from brygga.incidents.models import ImportJob, ImportProfile
from brygga.incidents.services import reporting_organisations_for

from .common import unclaimed_context, worker_context

logger = logging.getLogger(__name__)
SHOWN_ERRORS = 200


def import_view(view):
    """Sign-in, the municipality from the URL (404 if not visible) and the right to import."""

    @municipality_view()
    @functools.wraps(view)
    def wrapper(request, municipality, *args, **kwargs):
        if not resolver_for(request.user).can_import(municipality):
            raise PermissionDenied
        return view(request, municipality, *args, **kwargs)

    return wrapper


def _jobs(request, municipality):
    return ImportJob.objects.visible_to(request.user).filter(
        municipality=municipality, kind=ImportJob.Kind.TABULAR
    )


def _job(request, municipality, pk: int) -> ImportJob:
    """The job, marked as failed first if its worker died (so its page stops polling)."""
    job = get_object_or_404(
        _jobs(request, municipality).select_related("created_by", "profile"), pk=pk
    )
    recover_if_stale(job)
    return job


def _url(name: str, municipality, pk: int | None = None) -> str:
    args = [municipality.code] if pk is None else [municipality.code, pk]
    return reverse(f"incidents:{name}", args=args)


def _started(job: ImportJob) -> bool:
    return bool(job.options.get("started"))


def _mappable(job: ImportJob) -> bool:
    """The mapping can be chosen (again): before the start, or after a failed validation while
    the file is still stored."""
    if not job.stored_file:
        return False
    return (job.state == ImportJob.State.PENDING and not _started(job)) or (
        job.state == ImportJob.State.FAILED
    )


def _enqueue(job: ImportJob, **options) -> None:
    """(Re)start the import in the background; a job already running is left alone."""
    try:
        jobs.queue(job, options={**options, "language": get_language()})
    except jobs.IllegalTransition:
        return  # running (started twice), or finished meanwhile
    run_tabular_import.enqueue(job.pk)


def _log_raw_rows(request, job: ImportJob, *, purpose: str, fields: tuple[str, ...]) -> None:
    """An uploaded file's raw rows (the preview) and the error messages, which quote its
    cells, may hold personal data of any column, imported or not, whoever uploaded the file:
    one access row for each response that shows them (subject: the import job)."""
    with transaction.atomic():
        log_access(request.user, job, purpose, fields=fields)


# --- pages ----------------------------------------------------------------------------------
@import_view
@require_GET
def import_list(request, municipality):
    jobs = _jobs(request, municipality).select_related("created_by", "profile")
    page = Paginator(jobs, 25).get_page(request.GET.get("sida"))
    return render(
        request,
        "incidents/import_list.html",
        {
            "municipality": municipality,
            "page": page,
            "profile_count": ImportProfile.objects.visible_to(request.user)
            .filter(municipality=municipality)
            .count(),
            **worker_context(health.queue_state()),
        },
    )


@import_view
@require_http_methods(["GET", "POST"])
def import_upload(request, municipality):
    form = UploadForm(
        request.POST or None, request.FILES or None, municipality=municipality, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        profile = form.cleaned_data["profile"]
        mapping = tabular.Mapping.from_json(profile.mapping) if profile else None
        try:
            detected = tabular.detect(
                uploaded, uploaded.name, has_header=mapping.has_header if mapping else None
            )
        except tabular.TabularError as exc:
            form.add_error("file", exc.message)
        else:
            purge_expired_uploads()
            stored = tabular.store_upload(municipality, uploaded)
            job = tabular.import_job_create(
                actor=request.user,
                municipality=municipality,
                file_name=uploaded.name,
                stored_file=stored,
                detected=detected,
                profile=profile,
                options={"mapping": mapping.to_json()} if mapping else {},
                all_municipalities=bool(form.cleaned_data.get("all_municipalities")),
            )
            return redirect(_url("import_mapping", municipality, job.pk))
    return render(
        request,
        "incidents/import_upload.html",
        {
            "municipality": municipality,
            "form": form,
            "max_mb": f"{tabular.max_bytes() / 1048576:.0f}",
        },
        status=400 if request.method == "POST" else 200,
    )


def _initial(form_columns: list[str], mapping: tabular.Mapping, table) -> dict:
    initial = {f"col_{k}": v for k, v in mapping.columns.items() if v in form_columns}
    initial["has_header"] = table.detected.has_header
    return initial


def _posted(form: MappingForm, data, keep_categories: bool) -> dict:
    """The choices of a posted form as initial values of a fresh one."""
    initial = {}
    for name, field in form.fields.items():
        if name.startswith(("cat_", "confirm_")) and not keep_categories:
            continue
        if isinstance(field, forms.BooleanField):
            initial[name] = data.get(name) in ("on", "true", "1")
        elif name in data:
            initial[name] = data.get(name)
    return initial


def _own_organisation(user, municipality) -> int | None:
    """The user's organisation as the reporter, when they belong to exactly one organisation
    of the municipality that they may report for; otherwise none (the user chooses)."""
    own = resolver_for(user).member_organisations(municipality)
    allowed = list(
        reporting_organisations_for(user, municipality)
        .filter(pk__in=own)
        .values_list("pk", flat=True)[:2]
    )
    return allowed[0] if len(own) == 1 and len(allowed) == 1 else None


def _category_initial(values, mapping: tabular.Mapping, municipality) -> dict:
    index = tabular.category_index(municipality)
    out = {}
    for i, (value, _count) in enumerate(values):
        cat = tabular.match_category(value, mapping, index)
        if cat is not None:
            out[f"cat_{i}"] = cat.code
    return out


@import_view
@require_http_methods(["GET", "POST"])
def import_mapping(request, municipality, pk: int):
    job = _job(request, municipality, pk)
    if not _mappable(job):
        return redirect(_url("import_detail", municipality, job.pk))
    detected = tabular.Detected.from_json(job.options["detected"])
    saved = tabular.Mapping.from_json(job.options.get("mapping"))
    changed = False
    try:
        with open_upload(job.stored_file) as f:
            if request.method == "POST":
                sheet = request.POST.get("sheet") or detected.sheet
                has_header = request.POST.get("has_header") == "on"
                if (detected.kind == "xlsx" and sheet != detected.sheet) or (
                    has_header != detected.has_header
                ):
                    detected = tabular.detect(f, job.file_name, sheet=sheet, has_header=has_header)
                    jobs.set_options(job, detected=detected.to_json())
                    changed = True
            table = tabular.open_table(f, job.file_name, detected)
            rows = tabular.preview(table)
            suggestion = tabular.suggest_mapping(table)
            if not job.options.get("mapping") and not saved.columns:
                saved = suggestion
            if request.method == "POST":
                category_column = request.POST.get("col_category", "")
                if changed and category_column not in table.columns:
                    category_column = suggestion.columns.get("category", "")
            else:
                category_column = saved.columns.get("category", "")
            values = []
            if category_column in table.columns:
                values = tabular.distinct_values(table, table.columns.index(category_column))
    except tabular.TabularError as exc:
        messages.error(request, exc.message)
        return redirect(_url("import_detail", municipality, job.pk))
    except FileNotFoundError:
        messages.error(request, _("The uploaded file is no longer stored. Upload it again."))
        return redirect(_url("import_upload", municipality))
    kwargs = {
        "table": table,
        "municipality": municipality,
        "user": request.user,
        "category_values": values,
        "category_column": category_column,
        "saved": saved,
        "all_municipalities": job.options.get("scope") == "all",
    }
    status = 200
    refreshed = False
    if request.method == "POST":
        form = MappingForm(request.POST, **kwargs)
        same_values = request.POST.get("category_column", "") == category_column
        if request.POST.get("action") == "start" and same_values and not changed:
            if form.is_valid():
                started = _start(request, municipality, job, form, saved)
                if started is not None:
                    return started
            status = 400
        else:
            # The columns or the category column changed: show the new table with the
            # choices made so far, and no error messages (nothing was asked to start yet).
            initial = {
                **_posted(form, request.POST, same_values),
                "category_column": category_column,
            }
            for key in tabular.FIELDS:
                if initial.get(f"col_{key}") not in table.columns:
                    initial[f"col_{key}"] = suggestion.columns.get(key, "") if changed else ""
            initial["col_category"] = category_column
            refreshed = request.POST.get("action") == "start"
            form = MappingForm(initial=initial, **kwargs)
            if not same_values:
                form.initial.update(_category_initial(values, saved, municipality))
    else:
        initial = {
            **_initial(table.columns, saved, table),
            **_category_initial(values, saved, municipality),
            "valid_only": bool(job.options.get("valid_only")),
            "has_personal_data": bool(job.options.get("has_personal_data")),
            "organisation": job.options.get("organisation_id"),
            "on_conflict": job.options.get("on_conflict") or SKIP,
            "register": saved.register,
            "profile_name": job.profile.name if job.profile else "",
            "sheet": detected.sheet,
        }
        if "organisation_id" not in job.options:  # not chosen before (an empty choice stays)
            initial["organisation"] = _own_organisation(request.user, municipality)
        form = MappingForm(initial=initial, **kwargs)
    missing = [(tabular.FIELDS[k], v) for k, v in saved.columns.items() if v not in table.columns]
    _log_raw_rows(
        request,
        job,
        purpose=_("CSV/Excel import: preview of the uploaded rows"),
        fields=("rows", "category_values"),
    )
    return render(
        request,
        "incidents/import_mapping.html",
        {
            "municipality": municipality,
            "job": job,
            "detected": detected,
            "table": table,
            "preview": rows,
            "form": form,
            "category_column_label": (
                table.labels[table.columns.index(category_column)]
                if category_column in table.columns
                else ""
            ),
            "scan_rows": tabular.SCAN_ROWS,
            "missing_columns": missing,
            "refreshed": refreshed,
        },
        status=status,
    )


def _start(request, municipality, job: ImportJob, form: MappingForm, saved: tabular.Mapping):
    d = form.cleaned_data
    mapping = form.mapping()
    shown = {tabular.normalise(v) for v, _c in form.category_values}
    # keep the profile's choices for values that are not among those shown
    mapping.categories = {
        **{k: v for k, v in saved.categories.items() if k not in shown},
        **mapping.categories,
    }
    profile = job.profile
    if d.get("save_profile"):
        name = d["profile_name"].strip()
        instance = job.profile if job.profile and job.profile.name == name else None
        try:
            profile = tabular.import_profile_save(
                actor=request.user,
                municipality=municipality,
                name=name,
                mapping=mapping,
                instance=instance,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return None
    if profile is not None and profile.pk != job.profile_id:
        jobs.set_profile(job, profile)
    organisation = d.get("organisation")
    _enqueue(
        job,
        mapping=mapping.to_json(),
        valid_only=bool(d.get("valid_only")),
        on_conflict=d.get("on_conflict") or SKIP,
        has_personal_data=bool(d.get("has_personal_data")),
        organisation_id=organisation.pk if organisation else None,
    )
    return redirect(_url("import_detail", municipality, job.pk))


def _detail_context(request, municipality, job: ImportJob) -> dict:
    active = _started(job) and job.state in (ImportJob.State.PENDING, ImportJob.State.RUNNING)
    file_errors = [e for e in job.errors if e.get("row") is None]
    return {
        **unclaimed_context(job, waiting=active),
        "municipality": municipality,
        "job": job,
        "active": active,
        "errors": job.errors[:SHOWN_ERRORS],
        "file_errors": file_errors,
        "more_errors": max(0, job.error_count - min(len(job.errors), SHOWN_ERRORS)),
        "can_retry_valid": (
            job.state == ImportJob.State.FAILED
            and bool(job.stored_file)
            and not file_errors
            and job.total_rows > 0
            and job.error_count > 0
        ),
        "can_remap": _mappable(job) and job.state == ImportJob.State.FAILED,
        "conflict_count": (job.options.get("counts") or {}).get("conflicts", 0),
        "conflicts": [
            {**c, "fields": conflict_fields(c.get("fields", []))}
            for c in (job.options.get("conflicts") or [])[:SHOWN_ERRORS]
        ],
        "writing": job.progress >= 80,
        # a failed validation keeps the file for the retention time; the page says until when
        "kept_until": kept_until(job) if job.state == ImportJob.State.FAILED else None,
    }


@import_view
@require_http_methods(["GET", "POST"])
def import_detail(request, municipality, pk: int):
    job = _job(request, municipality, pk)
    if job.state == ImportJob.State.PENDING and not _started(job) and job.stored_file:
        return redirect(_url("import_mapping", municipality, job.pk))
    context = _detail_context(request, municipality, job)
    if request.method == "POST":
        if request.POST.get("action") == "valid_only" and context["can_retry_valid"]:
            _enqueue(job, valid_only=True)
            messages.success(request, _("The valid rows are being imported."))
        return redirect(_url("import_detail", municipality, job.pk))
    if context["errors"]:
        _log_raw_rows(
            request,
            job,
            purpose=_("CSV/Excel import: errors in the uploaded rows"),
            fields=("errors",),
        )
    return render(request, "incidents/import_detail.html", context)


@import_view
@require_GET
def import_progress(request, municipality, pk: int):
    """The progress box, polled by HTMX every second while the import runs (every five seconds
    while it waits for a worker that has not come for a minute); when it has finished the
    whole page is reloaded to show the result."""
    job = _job(request, municipality, pk)
    context = _detail_context(request, municipality, job)
    response = render(request, "incidents/import_progress.html", context)
    if request.headers.get("HX-Request") and not context["active"]:
        response["HX-Refresh"] = "true"
    return response


@import_view
@require_GET
def import_errors(request, municipality, pk: int):
    """Every stored error as CSV (UTF-8 with BOM, semicolons, as Swedish Excel expects)."""
    job = _job(request, municipality, pk)
    if job.errors:
        _log_raw_rows(
            request,
            job,
            purpose=_("CSV/Excel import: errors in the uploaded rows"),
            fields=("errors",),
        )
    base = job.file_name.rsplit(".", 1)[0] or "import"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in base)[:60]
    response = StreamingHttpResponse(
        ("\ufeff" if i == 0 else "") + line
        for i, line in enumerate(tabular.errors_csv(job.file_name, job.errors))
    )
    response["Content-Type"] = "text/csv; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="fel-{safe}.csv"'
    return response


@import_view
@require_GET
def import_profile_list(request, municipality):
    profiles = ImportProfile.objects.visible_to(request.user).filter(municipality=municipality)
    rows = []
    for p in profiles.select_related("created_by"):
        m = tabular.Mapping.from_json(p.mapping)
        rows.append(
            {
                "profile": p,
                "columns": [(tabular.FIELDS[k], v) for k, v in m.columns.items()],
                "categories": len(m.categories),
            }
        )
    return render(
        request,
        "incidents/import_profile_list.html",
        {"municipality": municipality, "rows": rows},
    )


@import_view
@require_http_methods(["GET", "POST"])
def import_profile_delete(request, municipality, pk: int):
    profile = get_object_or_404(
        ImportProfile.objects.visible_to(request.user, CHANGE).filter(municipality=municipality),
        pk=pk,
    )
    if request.method == "POST":
        name = profile.name
        tabular.import_profile_delete(actor=request.user, profile=profile)
        messages.success(request, _("The profile “%(name)s” was removed.") % {"name": name})
        return redirect(_url("import_profile_list", municipality))
    return render(
        request,
        "incidents/import_profile_delete.html",
        {"municipality": municipality, "profile": profile},
    )


@import_view
@require_GET
def import_profile_file(request, municipality, pk: int):
    """A profile as a JSON file, for ``brygga import-incidents FILE --profile-file``."""
    profile = get_object_or_404(
        ImportProfile.objects.visible_to(request.user).filter(municipality=municipality), pk=pk
    )
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in profile.name)[:60]
    response = HttpResponse(
        profile_file(profile.name, tabular.Mapping.from_json(profile.mapping)),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="importprofil-{safe}.json"'
    return response
