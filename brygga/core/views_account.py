"""Sign-in, second factor (TOTP), sign-out, own profile and password."""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from .access import resolver_for
from .forms import OwnPasswordChangeForm, SecondFactorForm
from .middleware import SESSION_ENDED_KEY
from .models import Membership
from .selectors import (
    has_second_factor,
    otp_required_for,
    password_change_required,
    second_factor_devices,
)
from .services import otp_enrol, otp_enrolment_device, user_change_own_password


def _session_ended_notice(request) -> str:
    """Why the previous session ended, if the session middleware ended it (once)."""
    reason = request.session.pop(SESSION_ENDED_KEY, "")
    if reason == "idle":
        minutes = max(1, settings.SESSION_IDLE_SECONDS // 60)
        return ngettext(
            "You were signed out after %(n)d minute without activity. Sign in again.",
            "You were signed out after %(n)d minutes without activity. Sign in again.",
            minutes,
        ) % {"n": minutes}
    if reason:
        hours = max(1, settings.SESSION_ABSOLUTE_SECONDS // 3600)
        return ngettext(
            "A session lasts at most %(n)d hour, so you were signed out. Sign in again.",
            "A session lasts at most %(n)d hours, so you were signed out. Sign in again.",
            hours,
        ) % {"n": hours}
    return ""


class LoginView(auth_views.LoginView):
    template_name = "account/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["oidc_enabled"] = settings.OIDC_ENABLED
        ctx["oidc_label"] = getattr(settings, "OIDC_LOGIN_LABEL", "")
        ctx["session_ended"] = _session_ended_notice(self.request)
        return ctx


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password. Reached only after the second factor; the only page (with
    sign-out) open while a password someone else set must be replaced."""

    template_name = "account/password_change.html"
    form_class = OwnPasswordChangeForm
    success_url = reverse_lazy("account:profile")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["change_required"] = password_change_required(self.request.user)
        return ctx

    def form_valid(self, form):
        user_change_own_password(
            actor=self.request.user, password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return HttpResponseRedirect(self.get_success_url())


def _safe_next(request) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return "/"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """Second step of sign-in: the code from the user's authenticator app."""
    if request.user.is_verified():
        return redirect(_safe_next(request))
    devices = list(second_factor_devices(request.user))
    if not devices:
        return redirect(f"{reverse_lazy('account:otp_setup')}?next={_safe_next(request)}")
    form = SecondFactorForm(
        request.user,
        request,
        request.POST or None,
        initial={"otp_device": devices[0].persistent_id} if devices else None,
    )
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.get_user().otp_device)
        return redirect(_safe_next(request))
    return render(
        request,
        "account/otp_verify.html",
        {"form": form, "next": _safe_next(request), "several": len(devices) > 1},
        status=400 if request.method == "POST" else 200,
    )


def _qr_svg(uri: str) -> str:
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = BytesIO()
    img.save(buf)
    return buf.getvalue().decode("utf-8")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Enrol an authenticator app: show the QR code and key, confirm with a first code."""
    user = request.user
    if has_second_factor(user):
        if not user.is_verified():
            return redirect("account:otp_verify")
        messages.info(request, _("Two-factor sign-in is already active for your account."))
        return redirect("account:profile")
    device = otp_enrolment_device(user=user)
    error = ""
    if request.method == "POST":
        token = (request.POST.get("otp_token") or "").replace(" ", "")
        if otp_enrol(user=user, device=device, token=token):
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is now active for your account."))
            return redirect(_safe_next(request))
        error = _(
            "The code was not accepted. Check the time on your phone and try the newest code."
        )
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return render(
        request,
        "account/otp_setup.html",
        {
            "qr_svg": _qr_svg(device.config_url),
            "secret": secret,
            "error": error,
            "next": _safe_next(request),
        },
        status=400 if error else 200,
    )


@login_required
def profile(request):
    memberships = (
        Membership.objects.visible_to(request.user)
        .filter(user=request.user)
        .select_related("organisation", "municipality")
    )
    return render(
        request,
        "account/profile.html",
        {
            "memberships": memberships,
            "otp_required": otp_required_for(request.user),
            "otp_active": has_second_factor(request.user),
            "is_system_admin": resolver_for(request.user).is_system_admin,
        },
    )
