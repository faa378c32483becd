"""Area pages: /kommuner/<code>/omraden/…"""

from __future__ import annotations

from brygga.core import selectors, services
from brygga.core.forms import AreaForm
from brygga.core.hooks import page_panels
from brygga.core.models import Area

from .generic import (
    ObjectCreateView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
    ReadsOnAnyMethod,
    Service,
)
from .maps import map_data

SERVICE = Service(create=services.area_save, update=services.area_save, delete=services.area_delete)


class AreaList(ReadsOnAnyMethod, ObjectListView):
    model = Area
    selector = staticmethod(selectors.areas_for)
    template_name = "core/area_list.html"
    context_object_name = "areas"

    def get_context_data(self, **context):
        areas = context.pop("areas")
        layers = list(selectors.layers_for(self.request.user, self.municipality))
        chosen = self.request.GET.get("lager", "")
        layer = next((x for x in layers if str(x.pk) == chosen), None)
        if layer is None and len(layers) == 1:
            layer = layers[0]
        if layer is not None:
            areas = areas.filter(layer=layer)
        areas = list(areas.order_by("layer__name", "name"))
        # overlapping layers on one map would hide each other: the map shows one layer
        shown = areas if layer is not None else [a for a in areas if a.layer_id == _first(layers)]
        return super().get_context_data(
            **context,
            areas=areas,
            layers=layers,
            layer=layer,
            map_layer=layer or next((x for x in layers if x.pk == _first(layers)), None),
            map_data=map_data(self.municipality, shown),
            panels=page_panels("area_list_panels", self.request, self.municipality),
        )


def _first(layers) -> int | None:
    """The layer the map shows when none is chosen: the first with boundaries."""
    return next((x.pk for x in layers if x.n_with_boundary), None)


class AreaDetail(ReadsOnAnyMethod, ObjectDetailView):
    model = Area
    selector = staticmethod(selectors.areas_for)
    template_name = "core/area_detail.html"

    def get_context_data(self, **context):
        area = self.object
        return super().get_context_data(
            **context,
            map_data=map_data(self.municipality, [area]),
            forums=selectors.forums_for(self.request.user, self.municipality).filter(areas=area),
            panels=page_panels("area_panels", self.request, self.municipality, area),
        )


class _AreaForm:
    model = Area
    form_class = AreaForm
    service = SERVICE
    template_name = "core/area_form.html"
    success_url = "core:area_detail"

    def get_service_kwargs(self, form):
        d = form.cleaned_data
        return {
            "name": d["name"],
            "layer": d["layer"],
            "official_code": d["official_code"],
            "description": d["description"],
            "geometry": None,
            "repaired": d["parsed_geometry"],
            "is_demo_geometry": False,
        }

    def get_context_data(self, **context):
        shown = [self.object] if self.object else []
        return super().get_context_data(**context, map_data=map_data(self.municipality, shown))


class AreaCreate(_AreaForm, ObjectCreateView):
    pass


class AreaEdit(_AreaForm, ObjectUpdateView):
    pass


class AreaDelete(ObjectDeleteView):
    model = Area
    service = SERVICE
    success_url = "core:area_list"
    back_url = "core:area_detail"


area_list = AreaList.as_view()
area_detail = AreaDetail.as_view()
area_create = AreaCreate.as_view()
area_edit = AreaEdit.as_view()
area_delete = AreaDelete.as_view()
