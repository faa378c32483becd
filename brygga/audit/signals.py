"""Sign-in events into the audit trail (the user name only; never passwords or tokens)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .context import actor_for_user
from .models import EventKind
from .services import record


@receiver(user_logged_in, dispatch_uid="brygga-audit-login")
def _logged_in(sender, request, user, **kwargs):
    record(kind=EventKind.LOGIN, subject=user, event_type="login", actor=actor_for_user(user))


@receiver(user_logged_out, dispatch_uid="brygga-audit-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(kind=EventKind.LOGOUT, subject=user, event_type="logout", actor=actor_for_user(user))


@receiver(user_login_failed, dispatch_uid="brygga-audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Record the attempted user name (it is what an administrator needs to spot an attack); the
    # password never reaches this handler's output.
    from brygga.core.security import refused_while_locked

    from .context import Actor

    # Refused unchecked because the user name is already locked: the attempt that locked it is
    # in the trail, and a row for every further attempt would let anyone fill the trail and
    # hold the chain lock.
    if request is not None and refused_while_locked(request):
        return
    username = str(credentials.get("username", ""))[:150]
    record(
        kind=EventKind.LOGIN_FAILED,
        event_type="login_failed",
        actor=Actor(None, "anonymous"),
        object_type="auth.user",
        object_repr=username,
    )
