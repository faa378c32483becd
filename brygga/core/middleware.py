"""Second-factor enforcement: a signed-in user whose role requires TOTP must verify (or enrol)
before reaching anything but the account pages."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .selectors import otp_required_for

_OPEN_PREFIXES = ("/konto/", "/static/", "/i18n/", "/healthz", "/oidc/")


class TwoFactorEnforcementMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and not user.is_verified()
            and otp_required_for(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Your role requires two-factor sign-in. Verify your code "
                                 "in the web interface first.")},
                    status=403,
                )
            return redirect(f"{reverse('account:otp_verify')}?next={request.path}")
        return self.get_response(request)
