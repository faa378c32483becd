"""Area layer pages: /kommuner/<code>/omraden/lager/… (add, change, remove a layer). A layer's
areas are listed on the area list, narrowed with ``?lager=<id>``."""

from __future__ import annotations

from django.urls import reverse

from brygga.core import selectors, services
from brygga.core.forms import AreaLayerForm
from brygga.core.models import AreaLayer

from .generic import ObjectCreateView, ObjectDeleteView, ObjectUpdateView, Service

SERVICE = Service(
    create=services.area_layer_save,
    update=services.area_layer_save,
    delete=lambda *, actor, arealayer: services.area_layer_delete(actor=actor, layer=arealayer),
)


class _LayerForm:
    model = AreaLayer
    form_class = AreaLayerForm
    service = SERVICE
    selector = staticmethod(selectors.layers_for)
    template_name = "core/layer_form.html"

    def get_service_kwargs(self, form):
        d = form.cleaned_data
        return {"name": d["name"], "kind": d["kind"], "description": d["description"]}

    def get_success_url(self, obj):
        url = reverse("core:area_list", kwargs={"code": self.municipality.code})
        return f"{url}?lager={obj.pk}"


class LayerCreate(_LayerForm, ObjectCreateView):
    pass


class LayerEdit(_LayerForm, ObjectUpdateView):
    pass


class LayerDelete(ObjectDeleteView):
    model = AreaLayer
    service = SERVICE
    success_url = "core:area_list"
    back_url = "core:layer_edit"


layer_create = LayerCreate.as_view()
layer_edit = LayerEdit.as_view()
layer_delete = LayerDelete.as_view()
