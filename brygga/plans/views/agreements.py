"""Cooperation agreements: /kommuner/<code>/overenskommelser/ — the list, a new agreement
(parties in a formset, priority areas one per line, the signed document), its page, its edit
page, the download of the signed document and the renewal (a new agreement with the parties
and priorities copied and a new period).

Every member of the municipality reads them; coordinators (``manage``) write. Reads go through
``selectors.agreements_for`` (a row the user may not see is 404), writes through
``services/agreements.py``; bad input comes back on the form with status 400."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from brygga.core.access import CHANGE, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.views.decorators import municipality_view

from .. import services
from ..forms.agreements import AgreementForm, AgreementRenewForm, party_formset
from ..models import Agreement
from ..selectors.agreements import agreements_for, promises_for

__all__ = [
    "agreement_detail",
    "agreement_document",
    "agreement_edit",
    "agreement_list",
    "agreement_new",
    "agreement_renew",
]

PART = "agreements"


def _agreement(request, municipality, pk, action="view") -> Agreement:
    return get_object_or_404(agreements_for(request.user, municipality, action), pk=pk)


def _detail_url(municipality, pk) -> str:
    return reverse("plans:agreement_detail", kwargs={"code": municipality.code, "pk": pk})


@require_safe
@municipality_view()
def agreement_list(request, municipality):
    agreements = agreements_for(request.user, municipality)
    return render(
        request,
        "plans/agreement_list.html",
        {
            "municipality": municipality,
            "plans_part": PART,
            "agreements": agreements,
            "can_manage": resolver_for(request.user).can_create_in(Agreement, municipality),
        },
    )


@require_safe
@municipality_view()
def agreement_detail(request, municipality, pk):
    agreement = _agreement(request, municipality, pk)
    return render(
        request,
        "plans/agreement_detail.html",
        {
            "municipality": municipality,
            "plans_part": PART,
            "agreement": agreement,
            "renewals": agreements_for(request.user, municipality).filter(renews=agreement),
            "promises": promises_for(request.user, municipality).filter(agreement=agreement),
            "can_change": resolver_for(request.user).can(CHANGE, agreement),
        },
    )


def _form_page(request, municipality, agreement=None):
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = AgreementForm(data, files, municipality=municipality, instance=agreement)
    parties = party_formset(data, municipality=municipality, instance=agreement)
    if request.method == "POST" and form.is_valid() & parties.is_valid():
        fields = {**form.cleaned_data, "parties": parties.parties()}
        try:
            if agreement is None:
                obj = services.agreement_create(
                    actor=request.user, municipality=municipality, **fields
                )
                messages.success(request, _("The agreement “%(t)s” was added.") % {"t": obj})
            else:
                obj = services.agreement_update(
                    actor=request.user, municipality=municipality, instance=agreement, **fields
                )
                messages.success(request, _("Saved."))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(_detail_url(municipality, obj.pk))
    return render(
        request,
        "plans/agreement_form.html",
        {
            "municipality": municipality,
            "plans_part": PART,
            "form": form,
            "parties": parties,
            "object": agreement,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@municipality_view("manage")
def agreement_new(request, municipality):
    if not resolver_for(request.user).can_create_in(Agreement, municipality):
        raise PermissionDenied
    return _form_page(request, municipality)


@require_http_methods(["GET", "HEAD", "POST"])
@municipality_view("manage")
def agreement_edit(request, municipality, pk):
    return _form_page(request, municipality, _agreement(request, municipality, pk, CHANGE))


@require_safe
@municipality_view()
def agreement_document(request, municipality, pk):
    """The signed document, as it was uploaded (an attachment, its own content type)."""
    agreement = _agreement(request, municipality, pk)
    if not agreement.signed_document:
        raise Http404
    response = HttpResponse(
        bytes(agreement.signed_document), content_type=agreement.signed_document_type
    )
    response["Content-Disposition"] = content_disposition_header(
        True, agreement.signed_document_name or f"overenskommelse-{agreement.pk}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@municipality_view("manage")
def agreement_renew(request, municipality, pk):
    agreement = _agreement(request, municipality, pk, CHANGE)
    if request.method == "POST":
        form = AgreementRenewForm(request.POST)
        if form.is_valid():
            try:
                new = services.agreement_renew(
                    actor=request.user, agreement=agreement, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The agreement was renewed: check the parties and priority areas, and "
                      "attach the new signed document."),
                )  # fmt: skip
                return redirect(_detail_url(municipality, new.pk))
    else:
        length = agreement.period_end - agreement.period_start
        start = agreement.period_end + dt.timedelta(days=1)
        form = AgreementRenewForm(
            initial={"title": agreement.title, "period_start": start, "period_end": start + length}
        )
    return render(
        request,
        "plans/agreement_renew.html",
        {"municipality": municipality, "plans_part": PART, "form": form, "agreement": agreement},
        status=400 if request.method == "POST" else 200,
    )
