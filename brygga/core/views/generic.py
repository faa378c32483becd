"""Class-based pages for a municipality's objects: list, detail, create, edit, delete.

Deny by default, in the same order as :func:`~brygga.core.views.decorators.municipality_view`:
sign-in (else the login page), the municipality ``code`` names must be visible to the user
(else 404) and the user must hold ``ability`` there (else 403); objects are fetched only from
``Model.objects.visible_to(user, action)`` narrowed to that municipality, so a row of another
municipality, or one the user may not ``action``, is 404. Writes go through a :class:`Service`;
the services check the resolver again and write the audit rows.

A model's pages are then a few lines each::

    SERVICE = Service(create=services.thing_save, update=services.thing_save,
                      delete=services.thing_delete)

    class ThingEdit(ObjectUpdateView):
        model, form_class, service = Thing, ThingForm, SERVICE
        template_name = "things/thing_form.html"
        success_url = "things:thing_detail"

Forms take the municipality as a keyword argument (``ThingForm(data, files, instance=…,
municipality=…)``). URL patterns carry ``<str:code>`` and, for one object, ``<int:pk>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.forms import apply_errors

from .decorators import resolve_municipality

PAGE_SIZE = 50


def paginate(request, qs, per_page: int = PAGE_SIZE) -> Page:
    """The page ``?sida=`` of ``qs`` (out-of-range and junk give the nearest page)."""
    return Paginator(qs, per_page).get_page(request.GET.get("sida"))


@dataclass(frozen=True)
class Service:
    """The writers of one model, all keyword-only and each checking the resolver itself:

    * ``create(*, actor, municipality, **fields)`` → the new object
    * ``update(*, actor, municipality, instance, **fields)`` → the object
    * ``delete(*, actor, <model_name>=obj)``, e.g. ``organisation_delete(actor=…,
      organisation=…)``

    A ``*_save(*, actor, municipality, instance=None, …)`` service serves as both create and
    update."""

    create: Callable[..., Model] | None = None
    update: Callable[..., Model] | None = None
    delete: Callable[..., None] | None = None


class MunicipalityMixin:
    """Sign-in, then ``code`` → ``self.municipality`` through :func:`resolve_municipality`
    (404 / 403) before anything else runs, including the HTTP-method check."""

    ability: str = "view"

    @classmethod
    def as_view(cls, **initkwargs):
        return login_required(super().as_view(**initkwargs))

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.municipality = resolve_municipality(request, kwargs["code"], self.ability)


class ObjectMixin(MunicipalityMixin):
    """The rows of ``model`` in the municipality that the user may ``action``.

    ``selector`` (optional, set it as ``staticmethod(fn)``) is a read from the app's
    ``selectors`` with the signature ``fn(user, municipality, action)`` that returns a queryset
    already restricted with ``visible_to`` (core's ``organisations_for`` etc.); use it where the
    page needs its annotations or ordering. Without it the rows come from
    ``model.objects.visible_to(user, action).filter(municipality=…)``."""

    model: type[Model]
    action: str = VIEW
    selector: Callable[..., QuerySet] | None = None

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        if self.selector is not None:
            return self.selector(user, self.municipality, self.action)
        return self.model.objects.visible_to(user, self.action).filter(
            municipality=self.municipality
        )

    def get_object(self) -> Model:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **context) -> dict[str, Any]:
        """Add to the page's context (override and call ``super()``)."""
        return context


class ReadsOnAnyMethod:
    """Answer every HTTP method with the page, as the function views without a method
    decorator did (core's read pages, kept exactly as they were). New pages leave this out:
    they answer GET and HEAD, and 405 to writes."""

    def dispatch(self, request, *args, **kwargs):
        return self.get(request, *args, **kwargs)


class ObjectListView(ObjectMixin, View):
    """The list page. Context: ``municipality``, ``can_manage`` (may add rows here), and
    ``page`` (with ``paginate_by``) or ``<context_object_name>`` (the queryset). With
    ``filter_field`` (a field with choices), ``?<filter_param>=value`` narrows the rows and the
    context has ``<filter_field>`` (the value) and ``<filter_field>s`` (the choices)."""

    template_name: str
    context_object_name: str = "object_list"
    paginate_by: int | None = None
    ordering: tuple[str, ...] = ()
    filter_field: str = ""
    filter_param: str = "typ"

    def get(self, request, *args, **kwargs) -> HttpResponse:
        qs = self.get_queryset()
        if self.ordering:
            qs = qs.order_by(*self.ordering)
        context: dict[str, Any] = {
            "municipality": self.municipality,
            "can_manage": resolver_for(request.user).can_create_in(self.model, self.municipality),
        }
        if self.filter_field:
            value = request.GET.get(self.filter_param, "")
            if value:
                qs = qs.filter(**{self.filter_field: value})
            context[self.filter_field] = value
            context[f"{self.filter_field}s"] = self.model._meta.get_field(self.filter_field).choices
        if self.paginate_by:
            context["page"] = paginate(request, qs, self.paginate_by)
        else:
            context[self.context_object_name] = qs
        return render(request, self.template_name, self.get_context_data(**context))


class ObjectDetailView(ObjectMixin, View):
    """One object's page. Context: ``municipality``, ``<context_object_name>`` (default: the
    model's name, e.g. ``organisation``) and ``can_change``."""

    template_name: str
    context_object_name: str = ""

    def get(self, request, *args, **kwargs) -> HttpResponse:
        self.object = self.get_object()
        context = {
            "municipality": self.municipality,
            self.context_object_name or self.model._meta.model_name: self.object,
            "can_change": resolver_for(request.user).can(CHANGE, self.object),
        }
        return render(request, self.template_name, self.get_context_data(**context))


class ObjectFormView(ObjectMixin, View):
    """Shared by create and edit: GET shows the form, POST saves through the service and
    redirects to ``success_url`` (a URL name taking ``code`` and ``pk``) with "Saved." (see
    ``get_success_message``), or shows the form again with status 400 and the service's errors
    on their fields. Context: ``municipality``, ``form`` and ``object`` (``None`` when
    creating)."""

    ability = "manage"
    action = CHANGE
    http_method_names = ["get", "post"]
    form_class: type[BaseForm]
    service: Service
    template_name: str
    success_url: str
    object: Model | None = None

    def get(self, request, *args, **kwargs) -> HttpResponse:
        return self.handle(request)

    def post(self, request, *args, **kwargs) -> HttpResponse:
        return self.handle(request)

    def get_instance(self) -> Model | None:
        raise NotImplementedError

    def save(self, form) -> Model:
        raise NotImplementedError

    def get_form(self) -> BaseForm:
        return self.form_class(
            self.request.POST or None,
            self.request.FILES or None,
            instance=self.object,
            municipality=self.municipality,
        )

    def get_service_kwargs(self, form) -> dict[str, Any]:
        """The service's field arguments: by default every form field's cleaned value."""
        return {name: form.cleaned_data[name] for name in form.fields}

    def get_success_url(self, obj: Model) -> str:
        return reverse(self.success_url, kwargs={"code": self.municipality.code, "pk": obj.pk})

    def get_success_message(self, obj: Model) -> str:
        """The message shown after a save (override for e.g. "“…” was added.")."""
        return _("Saved.")

    def handle(self, request) -> HttpResponse:
        self.object = self.get_instance()
        form = self.get_form()
        if request.method == "POST" and form.is_valid():
            try:
                obj = self.save(form)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, self.get_success_message(obj))
                return redirect(self.get_success_url(obj))
        context = {"municipality": self.municipality, "form": form, "object": self.object}
        return render(
            request,
            self.template_name,
            self.get_context_data(**context),
            status=400 if request.method == "POST" else 200,
        )


class ObjectCreateView(ObjectFormView):
    def get_instance(self) -> None:
        return None

    def save(self, form) -> Model:
        return self.service.create(
            actor=self.request.user,
            municipality=self.municipality,
            **self.get_service_kwargs(form),
        )


class ObjectUpdateView(ObjectFormView):
    def get_instance(self) -> Model:
        return self.get_object()

    def save(self, form) -> Model:
        return self.service.update(
            actor=self.request.user,
            municipality=self.municipality,
            instance=self.object,
            **self.get_service_kwargs(form),
        )


class ObjectDeleteView(ObjectMixin, View):
    """GET asks for confirmation; POST deletes through ``service.delete`` and redirects to
    ``success_url`` (a URL name taking ``code``) with "“…” was removed.", or back to
    ``back_url`` (a URL name taking ``code`` and ``pk``, also the Cancel link) with the
    service's refusal as an error message."""

    ability = "manage"
    action = CHANGE
    http_method_names = ["get", "post"]
    service: Service
    template_name = "core/confirm_delete.html"
    success_url: str
    back_url: str

    def get_back_url(self) -> str:
        return reverse(self.back_url, kwargs={"code": self.municipality.code, "pk": self.object.pk})

    def get_success_url(self) -> str:
        return reverse(self.success_url, kwargs={"code": self.municipality.code})

    def get(self, request, *args, **kwargs) -> HttpResponse:
        self.object = self.get_object()
        context = {
            "municipality": self.municipality,
            "object": self.object,
            "back": self.get_back_url(),
        }
        return render(request, self.template_name, self.get_context_data(**context))

    def post(self, request, *args, **kwargs) -> HttpResponse:
        self.object = obj = self.get_object()
        back = self.get_back_url()  # before the delete: the object has no pk afterwards
        try:
            self.service.delete(actor=request.user, **{self.model._meta.model_name: obj})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        messages.success(request, _("“%(name)s” was removed.") % {"name": obj})
        return redirect(self.get_success_url())
