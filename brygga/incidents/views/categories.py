"""Category pages under /kommuner/<code>/handelser/kategorier/: the national categories and the
municipality's own, for those who manage the municipality. Own categories are added, edited and
deactivated here (writes through ``services``); national ones are read-only.

The list, the create and the edit page are core's generic views
(:mod:`brygga.core.views.generic`); deactivating and reactivating (a confirmation page and a
POST) is a function view."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from brygga.core.access import CHANGE, VIEW
from brygga.core.views.decorators import municipality_view
from brygga.core.views.generic import (
    ObjectCreateView,
    ObjectListView,
    ObjectUpdateView,
    Service,
)
from brygga.incidents import selectors, services
from brygga.incidents.forms.categories import CategoryCreateForm, CategoryEditForm
from brygga.incidents.models import Category

from .common import incident_context

SERVICE = Service(create=services.create_category, update=services.update_category)


def _list_url(municipality) -> str:
    return reverse("incidents:category_list", kwargs={"code": municipality.code})


def _context(request, municipality, **extra) -> dict:
    """The incidents pages' context, with the category list marked in the sub-navigation."""
    return incident_context(request, municipality, incidents_section="category_list", **extra)


def _own(request, municipality, pk: int) -> Category:
    """One of the municipality's own categories that the user may change (else 404)."""
    return get_object_or_404(
        Category.objects.visible_to(request.user, CHANGE).select_related("parent"),
        municipality=municipality,
        pk=pk,
    )


def _tree(categories) -> list[dict]:
    """Main categories in the given order, each with its sub-categories."""
    cats = list(categories)
    children: dict[int, list[Category]] = {}
    for c in cats:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    return [
        {"category": main, "children": children.get(main.pk, [])}
        for main in cats
        if main.parent_id is None
    ]


class _CategoryPage:
    """Category pages: for those who manage the municipality, with the incidents
    sub-navigation (the category list marked)."""

    model = Category
    ability = "manage"

    def get_context_data(self, **context):
        return super().get_context_data(**{**context, **_context(self.request, self.municipality)})


class CategoryList(_CategoryPage, ObjectListView):
    """The national categories and the municipality's own, as a tree."""

    http_method_names = ["get"]  # as require_GET: HEAD and the rest answer 405
    template_name = "incidents/category_list.html"
    context_object_name = "categories"
    ordering = ("sort_order", "name", "pk")

    def get_queryset(self):
        return (
            Category.objects.visible_to(self.request.user, VIEW)
            .filter(Q(municipality__isnull=True) | Q(municipality=self.municipality))
            .select_related("parent")
        )

    def get_context_data(self, **context):
        tree = _tree(context["categories"])
        own = sum(
            (row["category"].municipality_id is not None)
            + sum(c.municipality_id is not None for c in row["children"])
            for row in tree
        )
        return super().get_context_data(**context, tree=tree, own_count=own)


class _CategoryForm(_CategoryPage):
    """Own categories: the forms take no instance; back to the list after a save."""

    service = SERVICE
    template_name = "incidents/category_form.html"

    def get_success_url(self, obj) -> str:
        return _list_url(self.municipality)


class CategoryCreate(_CategoryForm, ObjectCreateView):
    """A new main category, or a sub-category (``?huvudkategori=<pk>`` preselects its main
    category)."""

    def get_form(self):
        request, initial = self.request, {}
        if request.method == "GET" and request.GET.get("huvudkategori", "").isdigit():
            initial["parent"] = int(request.GET["huvudkategori"])
        return CategoryCreateForm(
            request.POST or None, municipality=self.municipality, initial=initial
        )

    def get_success_message(self, obj) -> str:
        return _("The category “%(name)s” was added.") % {"name": obj}


class CategoryEdit(_CategoryForm, ObjectUpdateView):
    """One of the municipality's own categories (404 for a national one)."""

    def get_queryset(self):
        return super().get_queryset().select_related("parent")

    def get_form(self):
        category = self.object
        initial = {
            "name": category.name,
            "description": category.description,
            "sort_order": category.sort_order,
        }
        return CategoryEditForm(self.request.POST or None, initial=initial)

    def save(self, form) -> Category:
        return self.service.update(self.request.user, self.object, **self.get_service_kwargs(form))


category_list = CategoryList.as_view()
category_create = CategoryCreate.as_view()
category_edit = CategoryEdit.as_view()


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def category_status(request, municipality, pk: int):
    """Deactivate or reactivate an own category (GET: the confirmation page)."""
    category = _own(request, municipality, pk)
    if request.method == "POST":
        wanted = request.POST.get("active")
        active = wanted == "1" if wanted in ("0", "1") else not category.is_active
        try:
            services.set_category_active(request.user, category, active)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if active:
                done = _("The category “%(name)s” is active again.")
            else:
                done = _("The category “%(name)s” was deactivated.")
            messages.success(request, done % {"name": category})
        return redirect(_list_url(municipality))
    return render(
        request,
        "incidents/category_status.html",
        _context(
            request,
            municipality,
            category=category,
            active_children=category.children.filter(is_active=True).count(),
            incident_count=selectors.incidents_for(request.user, municipality)
            .filter(Q(category=category) | Q(category__parent=category))
            .count(),
            back=_list_url(municipality),
        ),
    )
