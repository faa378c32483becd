"""Sign-in, second factor (TOTP), sign-out, own profile and password."""

from __future__ import annotations

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm
from django_otp.plugins.otp_totp.models import TOTPDevice

from brygga.audit.services import log_action

from .access import resolver_for
from .models import Membership
from .selectors import otp_required_for


class LoginView(auth_views.LoginView):
    template_name = "account/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["oidc_enabled"] = settings.OIDC_ENABLED
        ctx["oidc_label"] = getattr(settings, "OIDC_LOGIN_LABEL", "")
        return ctx


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "account/password_change.html"
    success_url = reverse_lazy("account:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)


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
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"{reverse_lazy('account:otp_setup')}?next={_safe_next(request)}")
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
    form = OTPTokenForm(
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
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        if not user.is_verified():
            return redirect("account:otp_verify")
        messages.info(request, _("Two-factor sign-in is already active for your account."))
        return redirect("account:profile")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    error = ""
    if request.method == "POST":
        token = (request.POST.get("otp_token") or "").replace(" ", "")
        if token.isdigit() and device.verify_token(token):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            log_action(event_type="otp_enrolled", subject=user)
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
            "otp_active": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
            "is_system_admin": resolver_for(request.user).is_system_admin,
        },
    )
