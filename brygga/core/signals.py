"""Core signal handlers: a session's lifetime starts at sign-in (core/middleware.py)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import start_session_clock


@receiver(user_logged_in, dispatch_uid="brygga-core-session-clock")
def _signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        start_session_clock(request)
