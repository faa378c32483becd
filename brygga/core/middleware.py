"""Request middleware of the core app: the interface language and second-factor enforcement."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .selectors import otp_required_for

_OPEN_PREFIXES = ("/konto/", "/static/", "/i18n/", "/healthz", "/oidc/", "/open311/")


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
                    {
                        "detail": _(
                            "Your role requires two-factor sign-in. Verify your code "
                            "in the web interface first."
                        )
                    },
                    status=403,
                )
            return redirect(f"{reverse('account:otp_verify')}?next={request.path}")
        return self.get_response(request)


class LanguageMiddleware:
    """Swedish unless the user chose another language with the switch (language cookie).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language header: the
    interface of a Swedish municipality is Swedish by default for everyone.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
