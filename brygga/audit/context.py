"""Who is acting, in which request and for which municipality: carried in context variables
to the audit writer."""

from __future__ import annotations

import contextlib
import uuid
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str


_request_id: ContextVar[str] = ContextVar("brygga_request_id", default="")
_actor: ContextVar[Actor | None] = ContextVar("brygga_actor", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def get_request_id() -> str:
    return _request_id.get()


def get_actor() -> Actor | None:
    return _actor.get()


def set_request_context(request_id: str, actor: Actor | None):
    return _request_id.set(request_id), _actor.set(actor)


def reset_request_context(tokens) -> None:
    rid, act = tokens
    _request_id.reset(rid)
    _actor.reset(act)


def actor_for_user(user) -> Actor | None:
    """The audit actor of ``user``: a signed-in user by id and name, Brygga's own
    ``SystemActor`` by its name without an id; ``None`` for anyone else."""
    from brygga.core.access import SystemActor  # at call time: this module loads early

    if isinstance(user, SystemActor):
        return Actor(user_id=None, label=user.name)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Actor(user_id=user.pk, label=user.get_username())


@contextlib.contextmanager
def acting_as(user=None, *, label: str | None = None):
    """Attribute the audit rows written inside the block to ``user`` (a user or a
    ``SystemActor``), or to a system label."""
    actor = actor_for_user(user) if user is not None else Actor(None, label or "system")
    tokens = set_request_context(get_request_id() or new_request_id(), actor)
    try:
        yield actor
    finally:
        reset_request_context(tokens)


_request: ContextVar[object | None] = ContextVar("brygga_request", default=None)


def set_current_request(request):
    return _request.set(request)


def reset_current_request(token) -> None:
    _request.reset(token)


def current_actor() -> Actor | None:
    """The explicit actor if one is set, else the authenticated user of the current request."""
    actor = _actor.get()
    if actor is not None:
        return actor
    request = _request.get()
    if request is not None:
        return actor_for_user(getattr(request, "user", None))
    return None


_municipality: ContextVar[int | None] = ContextVar("brygga_audit_municipality", default=None)


@contextlib.contextmanager
def concerning(municipality):
    """Attribute the audit rows written inside the block that have no municipality of their
    own (a user account has none) to ``municipality`` (a ``Municipality`` or its id): the
    municipality in whose administration the action happens."""
    token = _municipality.set(getattr(municipality, "pk", municipality))
    try:
        yield
    finally:
        _municipality.reset(token)


def current_municipality_id() -> int | None:
    """The municipality an action without a municipality of its own concerns: the one set with
    ``concerning``, else the municipality of the current page (``request.municipality``, set
    by ``brygga.core.views.resolve_municipality`` for every ``/kommuner/<code>/…`` page), else
    ``None`` (sign-ins and other rows that concern no municipality)."""
    explicit = _municipality.get()
    if explicit is not None:
        return int(explicit)
    request = _request.get()
    municipality = getattr(request, "municipality", None) if request is not None else None
    mid = getattr(municipality, "pk", municipality)
    return int(mid) if mid is not None else None
