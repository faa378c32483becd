"""The start page, the list of the user's municipalities and a municipality's overview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from brygga.core import selectors
from brygga.core.access import resolver_for
from brygga.core.hooks import page_panels
from brygga.core.models import Role

from .decorators import municipality_view
from .generic import paginate
from .maps import map_data


@login_required
def home(request):
    municipalities = list(selectors.municipalities_for(request.user)[:2])
    if len(municipalities) == 1:
        return redirect("core:municipality_detail", code=municipalities[0].code)
    return redirect("core:municipality_list")


@login_required
def municipality_list(request):
    qs = selectors.municipalities_for(request.user).order_by("name")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__startswith=q)
    return render(request, "core/municipality_list.html", {"page": paginate(request, qs), "q": q})


@municipality_view()
def municipality_detail(request, municipality):
    areas = list(selectors.areas_for(request.user, municipality))
    forums = selectors.forums_for(request.user, municipality)
    organisations = selectors.organisations_for(request.user, municipality)
    return render(
        request,
        "core/municipality_detail.html",
        {
            "municipality": municipality,
            "areas": areas,
            "forums": forums,
            "organisations": organisations,
            "police_areas": municipality.police_areas.visible_to(request.user),
            "map_data": map_data(municipality, areas),
            "panels": page_panels("overview_panels", request, municipality),
            "roles": [
                Role(r).label for r in sorted(resolver_for(request.user).roles_in(municipality))
            ],
        },
    )
