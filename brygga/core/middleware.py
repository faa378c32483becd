"""Request middleware of the core app: the interface language and the gates of a signed-in
session, in this order (settings.MIDDLEWARE):

1. :class:`SessionLifetimeMiddleware`: a session ends ``SESSION_IDLE_SECONDS`` after the last
   activity and ``SESSION_ABSOLUTE_SECONDS`` after sign-in, whatever happens in between.
2. :class:`TwoFactorEnforcementMiddleware`: a user whose roles require a second factor reaches
   nothing but sign-in, the second factor itself (enter a code, enrol an app) and sign-out
   until the code is verified in this session.
3. :class:`PasswordChangeRequiredMiddleware`: a user who signed in with a password someone else
   set (a manager creating the account or setting a new password) reaches nothing but the
   password-change page and sign-out until they have chosen their own.

Static files, the language switch, the health check, the OIDC callback and the public Open311
API stay open through all three.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from .selectors import otp_required_for, password_change_required

_OPEN_PREFIXES = ("/static/", "/i18n/", "/healthz", "/oidc/", "/open311/")
# The account pages reachable before the second factor is verified, and before a password
# someone else set has been changed (URL names; everything else under /konto/ waits too).
_BEFORE_SECOND_FACTOR = (
    "account:login",
    "account:logout",
    "account:otp_verify",
    "account:otp_setup",
)
# The second factor comes first (its gate runs first), so its pages stay open here too;
# otherwise the two gates would send the user back and forth.
_BEFORE_PASSWORD_CHANGE = (
    "account:login",
    "account:logout",
    "account:password_change",
    "account:otp_verify",
    "account:otp_setup",
)

# Session keys (seconds since the epoch, as integers).
SIGNED_IN_AT_KEY = "brygga_signed_in_at"
ACTIVE_AT_KEY = "brygga_active_at"
# Why the last session ended ("idle" or "absolute"), for the sign-in page to say so.
SESSION_ENDED_KEY = "brygga_session_ended"


def _open(request, names: tuple[str, ...]) -> bool:
    return request.path.startswith(_OPEN_PREFIXES) or request.path in {reverse(n) for n in names}


def _next(request) -> str:
    return urlencode({"next": request.get_full_path()})


def now_seconds() -> int:
    return int(timezone.now().timestamp())


def is_background_request(request) -> bool:
    """A request the page makes by itself, not the person: an htmx GET that is not a boosted
    link, such as a job page polling its progress every second. It does not count as activity,
    so polling cannot keep a session alive."""
    return (
        request.method in ("GET", "HEAD")
        and request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
    )


def start_session_clock(request) -> None:
    """At sign-in (``user_logged_in``, core/signals.py): the session's lifetime starts now."""
    now = now_seconds()
    request.session[SIGNED_IN_AT_KEY] = now
    request.session[ACTIVE_AT_KEY] = now
    request.session.pop(SESSION_ENDED_KEY, None)


def session_end_reason(session, now: int) -> str:
    """ "absolute" if the session is older than ``SESSION_ABSOLUTE_SECONDS`` (or has no sign-in
    time: it was started before Brygga kept one), "idle" if nothing happened for
    ``SESSION_IDLE_SECONDS``, else ""."""
    signed_in = session.get(SIGNED_IN_AT_KEY)
    if not isinstance(signed_in, int) or now - signed_in >= settings.SESSION_ABSOLUTE_SECONDS:
        return "absolute"
    active = session.get(ACTIVE_AT_KEY, signed_in)
    if not isinstance(active, int) or now - active >= settings.SESSION_IDLE_SECONDS:
        return "idle"
    return ""


class SessionLifetimeMiddleware:
    """End a signed-in session that has been idle too long or has reached its maximum age.

    The request then goes on as an anonymous one: a page sends the user to the sign-in page
    (which says why), the API answers 403, an htmx request gets ``HX-Redirect`` to the sign-in
    page. Every other request of a signed-in user, except background ones
    (:func:`is_background_request`), records activity, and only those save the session. The
    session store keeps a session ``SESSION_COOKIE_AGE`` (= ``SESSION_ABSOLUTE_SECONDS``) after
    its last save, so this middleware, not the store, sees it expire and can say why.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = now_seconds()
            reason = session_end_reason(request.session, now)
            if reason:
                logout(request)
                request.session[SESSION_ENDED_KEY] = reason
                if request.headers.get("HX-Request") == "true":
                    # htmx would put the sign-in page inside the fragment: load it instead.
                    page = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
                    login = reverse("account:login")
                    return HttpResponseClientRedirect(f"{login}?{urlencode({'next': page})}")
            elif not is_background_request(request):
                request.session[ACTIVE_AT_KEY] = now
        return self.get_response(request)


class TwoFactorEnforcementMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not _open(request, _BEFORE_SECOND_FACTOR)
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
            return redirect(f"{reverse('account:otp_verify')}?{_next(request)}")
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not _open(request, _BEFORE_PASSWORD_CHANGE)
            and password_change_required(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": _(
                            "Your password was set by someone else. Change it in the web "
                            "interface first."
                        )
                    },
                    status=403,
                )
            return redirect("account:password_change")
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
