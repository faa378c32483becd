"""Citizen promises: /kommuner/<code>/medborgarloften/ — the list, a new promise, its page (the
evidence: linked measures with their status and indicators; a warning when another promise
addresses one of the same problems in an overlapping period), its edit page, setting the
status (a closed status needs a justification), the extension and publication on the public
page.

Every member of the municipality reads them; coordinators (``manage``) write. The overlap is a
warning, not a refusal: after a save the page says so (a message) and the promise's page keeps
a notice (``#promise-overlaps``) listing the other promises."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from brygga.core.access import CHANGE, resolver_for
from brygga.core.forms import apply_errors
from brygga.core.views.decorators import municipality_view

from .. import services
from ..forms.agreements import (
    PromiseExtendForm,
    PromiseForm,
    PromisePublishForm,
    PromiseStatusForm,
)
from ..models import CitizenPromise
from ..selectors.agreements import (
    overlapping_promises,
    promise_evidence,
    promises_for,
    split_current,
)

__all__ = [
    "promise_detail",
    "promise_edit",
    "promise_extend",
    "promise_list",
    "promise_new",
    "promise_publish",
    "promise_status",
]

PART = "promises"


def _promise(request, municipality, pk, action="view") -> CitizenPromise:
    return get_object_or_404(promises_for(request.user, municipality, action), pk=pk)


def _detail(municipality, promise):
    return redirect(
        reverse("plans:promise_detail", kwargs={"code": municipality.code, "pk": promise.pk})
    )


def _warn_overlaps(request, promise) -> None:
    others = overlapping_promises(request.user, promise)
    if others:
        messages.warning(
            request,
            _("Other promises address the same problem in an overlapping period: %(list)s. "
              "Check that they do not promise the same thing twice.")
            % {"list": ", ".join(f"“{p.title}”" for p in others)},
        )  # fmt: skip


@require_safe
@municipality_view()
def promise_list(request, municipality):
    current, past = split_current(promises_for(request.user, municipality))
    return render(
        request,
        "plans/promise_list.html",
        {
            "municipality": municipality,
            "plans_part": PART,
            "current": current,
            "past": past,
            "can_manage": resolver_for(request.user).can_create_in(CitizenPromise, municipality),
        },
    )


@require_safe
@municipality_view()
def promise_detail(request, municipality, pk):
    promise = _promise(request, municipality, pk)
    return render(
        request,
        "plans/promise_detail.html",
        {
            "municipality": municipality,
            "plans_part": PART,
            "promise": promise,
            "problems": promise.problems.select_related("plan"),
            "evidence": promise_evidence(request.user, promise),
            "overlaps": overlapping_promises(request.user, promise),
            "can_change": resolver_for(request.user).can(CHANGE, promise),
        },
    )


def _form_page(request, municipality, promise=None):
    data = request.POST if request.method == "POST" else None
    form = PromiseForm(data, municipality=municipality, user=request.user, instance=promise)
    if request.method == "POST" and form.is_valid():
        try:
            if promise is None:
                obj = services.promise_create(
                    actor=request.user, municipality=municipality, **form.cleaned_data
                )
                messages.success(request, _("The promise “%(t)s” was added.") % {"t": obj})
            else:
                obj = services.promise_update(
                    actor=request.user,
                    municipality=municipality,
                    instance=promise,
                    **form.cleaned_data,
                )
                messages.success(request, _("Saved."))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            _warn_overlaps(request, obj)
            return _detail(municipality, obj)
    return render(
        request,
        "plans/promise_form.html",
        {"municipality": municipality, "plans_part": PART, "form": form, "object": promise},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@municipality_view("manage")
def promise_new(request, municipality):
    if not resolver_for(request.user).can_create_in(CitizenPromise, municipality):
        raise PermissionDenied
    return _form_page(request, municipality)


@require_http_methods(["GET", "HEAD", "POST"])
@municipality_view("manage")
def promise_edit(request, municipality, pk):
    return _form_page(request, municipality, _promise(request, municipality, pk, CHANGE))


def _action_page(request, municipality, pk, *, form_class, initial, template, apply):
    """A small form on one promise (status, extension, publication)."""
    promise = _promise(request, municipality, pk, CHANGE)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                apply(promise, form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return _detail(municipality, promise)
    else:
        form = form_class(initial=initial(promise))
    return render(
        request,
        template,
        {"municipality": municipality, "plans_part": PART, "form": form, "promise": promise},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@municipality_view("manage")
def promise_status(request, municipality, pk):
    return _action_page(
        request,
        municipality,
        pk,
        form_class=PromiseStatusForm,
        initial=lambda p: {"status": p.status, "status_justification": p.status_justification},
        template="plans/promise_status.html",
        apply=lambda p, d: services.promise_set_status(
            actor=request.user,
            promise=p,
            status=d["status"],
            justification=d["status_justification"],
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@municipality_view("manage")
def promise_extend(request, municipality, pk):
    return _action_page(
        request,
        municipality,
        pk,
        form_class=PromiseExtendForm,
        initial=lambda p: {"extended_to": p.extended_to},
        template="plans/promise_extend.html",
        apply=lambda p, d: services.promise_extend(
            actor=request.user, promise=p, extended_to=d["extended_to"]
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@municipality_view("manage")
def promise_publish(request, municipality, pk):
    return _action_page(
        request,
        municipality,
        pk,
        form_class=PromisePublishForm,
        initial=lambda p: {"published_on": p.published_on},
        template="plans/promise_publish.html",
        apply=lambda p, d: services.promise_publish(
            actor=request.user, promise=p, published_on=d["published_on"]
        ),
    )
