"""Import of areas from a GIS file: /kommuner/<code>/omraden/importera/.

One page, four steps, chosen by the posted ``step``: upload → fields (with sample values) →
preview (a dry run: the map of what will be imported, the counts, what is left out or
repaired) → confirm (the import itself, in one transaction). The upload is stored
(:mod:`brygga.core.uploads`) under a random name that only the user's session knows, by a
token posted with every step. Open to those who may create areas in the municipality.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from shapely.geometry import mapping

from brygga.core import selectors, uploads
from brygga.core.access import resolver_for
from brygga.core.forms import (
    NEW_LAYER,
    AreaImportFieldsForm,
    AreaImportUploadForm,
    area_upload_max_mb,
)
from brygga.core.gis import GisError, list_layers, read_gis_file
from brygga.core.models import Area, LayerKind
from brygga.core.services.area_import import (
    NewLayer,
    guess_code_field,
    guess_layer_kind,
    guess_name_field,
    import_areas,
)

from .decorators import municipality_view
from .maps import base_map_data

SESSION_KEY = "area_imports"
TEMPLATE = "core/area_import.html"


def _state(request, municipality):
    token = request.POST.get("token", "")
    state = request.session.get(SESSION_KEY, {}).get(token)
    if not token or not state or state.get("municipality") != municipality.code:
        return token, None
    return token, state


def _forget(request, token: str) -> None:
    kept = request.session.get(SESSION_KEY, {})
    state = kept.pop(token, None)
    if state:
        uploads.delete_upload(state["stored"])
    request.session[SESSION_KEY] = kept


def _read(state: dict, source_layer: str | None = None):
    with uploads.local_copy(state["stored"]) as path:
        source = read_gis_file(
            path, state["file_name"], source_layer=source_layer, crs=state.get("crs") or None
        )
        layers = list_layers(path, state["file_name"]) if path.suffix == ".gpkg" else []
    return source, layers


def _fields_form(request, municipality, source, layers, data=None):
    name_field = guess_name_field(source.fields)
    code_field = guess_code_field(source.fields, source.features) or ""
    kind = guess_layer_kind(source.features, code_field)
    default_name = {LayerKind.DESO: "DeSO", LayerKind.REGSO: "RegSO"}.get(
        kind, Path(source.file_name).stem
    )
    return AreaImportFieldsForm(
        data,
        fields=source.fields,
        layers=selectors.layers_for(request.user, municipality, "change"),
        source_layers=layers,
        initial={
            "name_field": name_field,
            "code_field": code_field,
            "new_layer_name": default_name,
            "new_layer_kind": kind,
            "source_layer": source.layer,
        },
    )


def _render(request, municipality, step: str, status: int = 200, **context):
    return render(
        request,
        TEMPLATE,
        {
            "municipality": municipality,
            "step": step,
            "max_mb": area_upload_max_mb(),
            **context,
        },
        status=status,
    )


def _layer(request, municipality, form):
    d = form.cleaned_data
    if d["layer"] == NEW_LAYER:
        return NewLayer(d["new_layer_name"].strip(), d["new_layer_kind"])
    layer = selectors.layers_for(request.user, municipality, "change").filter(pk=d["layer"]).first()
    if layer is None:
        raise PermissionDenied
    return layer


def _preview_map(municipality, result) -> dict:
    features = [
        {
            "type": "Feature",
            "geometry": mapping(p.geometry),
            "properties": {"name": p.name, "layer": result.layer_name, "demo": False},
        }
        for p in result.areas
    ]
    return {
        **base_map_data(municipality),
        "areas": {"type": "FeatureCollection", "features": features},
    }


@municipality_view()
@require_http_methods(["GET", "POST"])
def area_import(request, municipality):
    if not resolver_for(request.user).can_create_in(Area, municipality):
        raise PermissionDenied
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if step == "upload":
        return _upload(request, municipality)
    if step in ("fields", "back", "confirm", "cancel"):
        token, state = _state(request, municipality)
        if state is None:
            messages.error(request, _("The uploaded file is no longer stored. Upload it again."))
            return redirect(reverse("core:area_import", args=[municipality.code]))
        if step == "cancel":
            _forget(request, token)
            return redirect(reverse("core:area_list", args=[municipality.code]))
        return _check(request, municipality, token, state, step=step)
    return _render(request, municipality, "upload", form=AreaImportUploadForm())


def _upload(request, municipality):
    form = AreaImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, municipality, "upload", 400, form=form)
    upload = form.cleaned_data["file"]
    suffix = Path(upload.name).suffix.lower()
    stored = uploads.save_upload(upload, suffix)
    state = {
        "stored": stored,
        "file_name": Path(upload.name).name,
        "municipality": municipality.code,
        "crs": form.cleaned_data["crs"].strip(),
    }
    try:
        with uploads.local_copy(stored) as path:
            layers = list_layers(path, state["file_name"]) if suffix == ".gpkg" else []
        source, layers = _read(state, layers[0] if layers else None)
    except GisError as exc:
        uploads.delete_upload(stored)
        form.add_error("file", exc.message)
        return _render(request, municipality, "upload", 400, form=form)
    token = secrets.token_urlsafe(16)
    kept = request.session.get(SESSION_KEY, {})
    for old in list(kept)[:-4]:  # at most five imports under way per session
        _forget(request, old)
        kept.pop(old, None)
    kept[token] = state
    request.session[SESSION_KEY] = kept
    return _render(
        request,
        municipality,
        "fields",
        token=token,
        source=source,
        samples=source.samples(),
        form=_fields_form(request, municipality, source, layers),
    )


def _check(request, municipality, token, state, *, step: str):
    confirm = step == "confirm"
    try:
        source, layers = _read(state, request.POST.get("source_layer") or None)
    except FileNotFoundError:
        _forget(request, token)
        messages.error(request, _("The uploaded file is no longer stored. Upload it again."))
        return redirect(reverse("core:area_import", args=[municipality.code]))
    except GisError as exc:
        _forget(request, token)
        messages.error(request, exc.message)
        return redirect(reverse("core:area_import", args=[municipality.code]))
    form = _fields_form(request, municipality, source, layers, request.POST)
    context = {"token": token, "source": source, "samples": source.samples(), "form": form}
    if step == "back":  # from the preview: the choices made, to change them
        return _render(request, municipality, "fields", **context)
    if not form.is_valid():
        return _render(request, municipality, "fields", 400, **context)
    try:
        result = import_areas(
            actor=request.user,
            municipality=municipality,
            layer=_layer(request, municipality, form),
            features=source,
            name_field=form.cleaned_data["name_field"],
            code_field=form.cleaned_data["code_field"],
            dry_run=not confirm,
        )
    except ValidationError as exc:
        return _render(request, municipality, "fields", 400, problems=exc.messages, **context)
    if confirm:
        _forget(request, token)
        messages.success(
            request,
            _(
                "%(file)s imported into the layer “%(layer)s”: %(created)s created, %(updated)s "
                "updated, %(unchanged)s unchanged, %(left)s left out."
            )
            % {
                "file": result.file_name,
                "layer": result.layer_name,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "left": len(result.left_out),
            },
        )
        layer = (
            selectors.layers_for(request.user, municipality).filter(name=result.layer_name).first()
        )
        url = reverse("core:area_list", args=[municipality.code])
        return redirect(f"{url}?lager={layer.pk}" if layer is not None else url)
    return _render(
        request,
        municipality,
        "preview",
        result=result,
        map_data=_preview_map(municipality, result),
        warnings=[*source.warnings, *result.warnings],
        **context,
    )
