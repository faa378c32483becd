"""Sign-in events into the audit trail (the user name only; never passwords or tokens)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .context import actor_for_user
from .keys import fingerprint
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
    """A failed sign-in. The row names the account when the typed user name is one; a name
    that matches no account (often a password typed into the wrong field) is kept only as a
    keyed fingerprint, so repeated tries of one name can be seen but the text never enters
    the append-only trail. The password never reaches this handler's output."""
    from brygga.core.security import refused_while_locked

    from .context import Actor

    # Refused unchecked because the user name is already locked: the attempt that locked it is
    # in the trail, and a row for every further attempt would let anyone fill the trail and
    # hold the chain lock.
    if request is not None and refused_while_locked(request):
        return
    typed = str(credentials.get("username", ""))
    account = _account_named(typed)
    record(
        kind=EventKind.LOGIN_FAILED,
        event_type="login_failed",
        actor=Actor(None, "anonymous"),
        object_type="auth.user",
        object_id=str(account.pk) if account is not None else "",
        object_repr=account.get_username()[:150] if account is not None else "",
        changes={}
        if account is not None or not typed
        else {"unknown_username": fingerprint(typed)},
    )


def _account_named(username: str):
    """The account the sign-in form would have checked for ``username`` (the model's natural
    key, as ModelBackend looks it up), or None."""
    from django.contrib.auth import get_user_model

    if not username:
        return None
    user_model = get_user_model()
    try:
        return user_model._default_manager.get_by_natural_key(username)
    except user_model.DoesNotExist:
        return None
