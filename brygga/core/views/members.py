"""Users and roles of a municipality: /kommuner/<code>/medlemmar/… and the security policy.

The list and the removal of a role are generic pages; creating a user with a first role, a
user's page and the account actions do not fit the one-model shape and stay function views.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from brygga.core import selectors, services
from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.forms import (
    MemberCreateForm,
    MembershipAddForm,
    SecurityPolicyForm,
    apply_errors,
)
from brygga.core.models import Membership

from .decorators import municipality_view
from .generic import PAGE_SIZE, ObjectDeleteView, ObjectListView, ReadsOnAnyMethod, Service

User = get_user_model()


class MemberList(ReadsOnAnyMethod, ObjectListView):
    ability = "manage"
    model = Membership
    selector = staticmethod(selectors.memberships_for)
    ordering = ("user__username", "organisation__name")
    template_name = "core/member_list.html"
    paginate_by = PAGE_SIZE
    filter_field = "role"
    filter_param = "roll"


class MembershipDelete(ObjectDeleteView):
    model = Membership
    service = Service(delete=services.membership_revoke)
    success_url = "core:member_list"

    def get_back_url(self) -> str:
        return reverse(
            "core:user_detail", kwargs={"code": self.municipality.code, "pk": self.object.user_id}
        )


member_list = MemberList.as_view()
membership_delete = MembershipDelete.as_view()


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def member_create(request, municipality):
    form = MemberCreateForm(request.POST or None, municipality=municipality, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                user = services.user_create(
                    actor=request.user,
                    municipality=municipality,
                    username=d["username"],
                    first_name=d["first_name"],
                    last_name=d["last_name"],
                    email=d["email"],
                    password=d["password"] or None,
                )
                services.membership_grant(
                    actor=request.user, user=user, organisation=d["organisation"], role=d["role"]
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The user %(u)s was created.") % {"u": user.username})
            return redirect("core:user_detail", code=municipality.code, pk=user.pk)
    return render(
        request,
        "core/member_form.html",
        {"municipality": municipality, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _member(request, municipality, pk: int):
    """The user ``pk`` if visible to the requester and holding a role in ``municipality``."""
    user = get_object_or_404(resolver_for(request.user).restrict(User.objects.all(), VIEW), pk=pk)
    if not selectors.memberships_for(request.user, municipality).filter(user=user).exists():
        raise Http404
    return user


def _user_page(request, municipality, user, *, form, password_form, status: int):
    resolver = resolver_for(request.user)
    memberships = selectors.memberships_for(request.user, municipality).filter(user=user)
    revocable = set(
        selectors.memberships_for(request.user, municipality, CHANGE)
        .filter(user=user)
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "core/user_detail.html",
        {
            "municipality": municipality,
            "member": user,
            "memberships": memberships,
            "revocable": revocable,
            "is_self": user.pk == request.user.pk,
            "can_manage_account": resolver.can_manage_account(user),
            "form": form,
            "password_form": password_form,
            "has_second_factor": selectors.has_second_factor(user),
        },
        status=status,
    )


@municipality_view("manage")
@require_http_methods(["GET", "POST"])
def user_detail(request, municipality, pk: int):
    user = _member(request, municipality, pk)
    form = MembershipAddForm(
        request.POST or None, municipality=municipality, actor=request.user, member=user
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_grant(
                actor=request.user,
                user=user,
                organisation=form.cleaned_data["organisation"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The role was added."))
            return redirect("core:user_detail", code=municipality.code, pk=user.pk)
    return _user_page(
        request,
        municipality,
        user,
        form=form,
        password_form=SetPasswordForm(user),
        status=400 if request.method == "POST" and form.errors else 200,
    )


@municipality_view("manage")
@require_POST
def user_account(request, municipality, pk: int):
    """Account actions for a member: deactivate/activate, reset second factor, set password.
    Only on an account whose every role the requester could grant, and not their own
    (``AccessResolver.can_manage_account``; the services ask again)."""
    user = _member(request, municipality, pk)
    if not resolver_for(request.user).can_manage_account(user):
        raise PermissionDenied
    action = request.POST.get("action", "")
    back = redirect("core:user_detail", code=municipality.code, pk=user.pk)
    if action in ("deactivate", "activate"):
        services.user_set_active(actor=request.user, user=user, active=action == "activate")
        messages.success(
            request,
            _("The account was activated.")
            if action == "activate"
            else _("The account was deactivated; the user can no longer sign in."),
        )
        return back
    if action == "reset_otp":
        services.user_reset_second_factor(actor=request.user, user=user)
        messages.success(
            request,
            _(
                "The second factor was reset; the user enrols a new "
                "authenticator app at the next sign-in."
            ),
        )
        return back
    if action == "set_password":
        form = SetPasswordForm(user, request.POST)
        if form.is_valid():
            services.user_set_password(
                actor=request.user, user=user, password=form.cleaned_data["new_password1"]
            )
            messages.success(request, _("The new password was set."))
            return back
        add_form = MembershipAddForm(municipality=municipality, actor=request.user, member=user)
        return _user_page(
            request, municipality, user, form=add_form, password_form=form, status=400
        )
    return HttpResponse(_("Unknown action."), status=400, content_type="text/plain")


@municipality_view("administer")
@require_http_methods(["GET", "POST"])
def security_policy(request, municipality):
    policies = selectors.security_policies_for(request.user, municipality)
    form = SecurityPolicyForm(request.POST or None, policies=policies)
    if request.method == "POST" and form.is_valid():
        for p in policies:
            new = bool(form.cleaned_data.get(p["role"]))
            if new != p["otp_required"] and not p["locked"]:
                services.security_policy_set(
                    actor=request.user, municipality=municipality, role=p["role"], otp_required=new
                )
        messages.success(request, _("The security settings were saved."))
        return redirect("core:security_policy", code=municipality.code)
    return render(
        request, "core/security_policy.html", {"municipality": municipality, "form": form}
    )
