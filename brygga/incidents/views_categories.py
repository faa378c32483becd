"""Category pages under /kommuner/<code>/handelser/kategorier/: the national categories and the
municipality's own, for those who manage the municipality. Own categories are added, edited and
deactivated here (writes through ``services``); national ones are read-only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from brygga.core.access import CHANGE, VIEW
from brygga.core.views import apply_errors, municipality_view

from . import selectors, services
from .forms_categories import CategoryCreateForm, CategoryEditForm
from .models import Category
from .views import _context as incident_context


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


def _tree(request, municipality) -> list[dict]:
    """Main categories (national and own) in order, each with its sub-categories."""
    cats = list(
        Category.objects.visible_to(request.user, VIEW)
        .filter(Q(municipality__isnull=True) | Q(municipality=municipality))
        .select_related("parent")
        .order_by("sort_order", "name", "pk")
    )
    children: dict[int, list[Category]] = {}
    for c in cats:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    return [
        {"category": main, "children": children.get(main.pk, [])}
        for main in cats
        if main.parent_id is None
    ]


@municipality_view("manage")
@require_GET
def category_list(request, municipality):
    tree = _tree(request, municipality)
    own = sum(
        (row["category"].municipality_id is not None)
        + sum(c.municipality_id is not None for c in row["children"])
        for row in tree
    )
    return render(
        request,
        "incidents/category_list.html",
        _context(request, municipality, tree=tree, own_count=own),
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def category_create(request, municipality):
    initial = {}
    if request.method == "GET" and request.GET.get("huvudkategori", "").isdigit():
        initial["parent"] = int(request.GET["huvudkategori"])
    form = CategoryCreateForm(request.POST or None, municipality=municipality, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            category = services.create_category(
                request.user,
                municipality,
                parent=d["parent"],
                name=d["name"],
                description=d["description"],
                sort_order=d["sort_order"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The category “%(name)s” was added.") % {"name": category})
            return redirect(_list_url(municipality))
    return render(
        request,
        "incidents/category_form.html",
        _context(request, municipality, form=form, object=None),
        status=400 if request.method == "POST" else 200,
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def category_edit(request, municipality, pk: int):
    category = _own(request, municipality, pk)
    initial = {
        "name": category.name,
        "description": category.description,
        "sort_order": category.sort_order,
    }
    form = CategoryEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_category(
                request.user,
                category,
                name=d["name"],
                description=d["description"],
                sort_order=d["sort_order"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_list_url(municipality))
    return render(
        request,
        "incidents/category_form.html",
        _context(request, municipality, form=form, object=category),
        status=400 if request.method == "POST" else 200,
    )


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
