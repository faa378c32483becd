"""Administration → Gallring: a municipality's retention periods and what the next run of
``brygga gallra`` would remove (as a list to download)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from brygga.core import retention, selectors, services
from brygga.core.forms import RetentionForm

from .decorators import municipality_view


@municipality_view("administer")
@require_http_methods(["GET", "POST"])
def retention_settings(request, municipality):
    overview = selectors.retention_overview(request.user, municipality)
    if request.GET.get("format") == "csv":
        body = retention.to_csv(overview["items"], {municipality.pk: municipality.code})
        response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
        stamp = overview["now"].strftime("%Y%m%d")
        response["Content-Disposition"] = (
            f'attachment; filename="gallring-{municipality.code}-{stamp}.csv"'
        )
        return response
    form = RetentionForm(request.POST or None, rules=overview["rules"])
    if request.method == "POST" and form.is_valid():
        for entry in overview["rules"]:
            key = entry["rule"].key
            if form.cleaned_data[key] != entry["value"]:
                services.retention_period_set(
                    actor=request.user,
                    municipality=municipality,
                    rule_key=key,
                    value=form.cleaned_data[key],
                )
        messages.success(request, _("The retention periods were saved."))
        return redirect("core:retention", code=municipality.code)
    rows = [(entry, form[entry["rule"].key]) for entry in overview["rules"]]
    return render(
        request,
        "core/retention.html",
        {
            "municipality": municipality,
            "form": form,
            "rows": rows,
            "total": len(overview["items"]),
        },
        status=400 if form.errors else 200,
    )
