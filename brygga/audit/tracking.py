"""Change history for every domain model: before/after of each changed field.

Connected in each app's ``ready()`` (``track_app_models``). The rows are written by signal
handlers, so they land in the same transaction as the save or delete that caused them, whoever
made it (a view, a service, the API, a management command).
"""

from __future__ import annotations

import contextlib

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from .keys import fingerprint
from .models import EventKind

_tracked: dict[type[models.Model], tuple[str, ...]] = {}
_redacted: dict[type[models.Model], tuple[str, ...]] = {}
_SKIP_ALWAYS = ("created_at", "updated_at")
REDACTED = "[redacted]"


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    data = {}
    redacted = _redacted.get(type(instance), ())
    for f in instance._meta.concrete_fields:
        if f.name in exclude or f.name in _SKIP_ALWAYS:
            continue
        value = f.value_from_object(instance)
        if f.name in redacted and value not in (None, ""):
            # Personal data (free text, names, contact details): the history says that it
            # changed, and a keyed fingerprint tells versions apart, but the value itself never
            # enters the append-only trail (so erasing it elsewhere erases it everywhere).
            value = f"{REDACTED} {fingerprint(value)}"
        data[f.attname] = value
    return data


def _pre_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    try:
        old = sender._default_manager.get(pk=instance.pk)
    except sender.DoesNotExist:
        instance._audit_before = None
    else:
        instance._audit_before = snapshot(old, _tracked[sender])


def _post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    from .services import record

    after = snapshot(instance, _tracked[sender])
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [], {})}
        record(kind=EventKind.CREATE, subject=instance, changes=changes)
    else:
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if changes:
            record(kind=EventKind.UPDATE, subject=instance, changes=changes)
    instance._audit_before = None


def _post_delete(sender, instance, **kwargs):
    from .services import record

    before = snapshot(instance, _tracked[sender])
    record(
        kind=EventKind.DELETE,
        subject=instance,
        changes={k: [v, None] for k, v in before.items() if v not in (None, "")},
    )


def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    if type(instance) not in _tracked or (action != "post_clear" and not pk_set):
        return
    from .services import record

    field = next(
        (f.name for f in instance._meta.many_to_many if f.remote_field.through is sender), "m2m"
    )
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    record(kind=EventKind.UPDATE, subject=instance, changes={field: {verb: sorted(pk_set or [])}})


def track_model(
    model: type[models.Model], exclude: tuple[str, ...] = (), redact: tuple[str, ...] = ()
) -> None:
    if model in _tracked:
        return
    _tracked[model] = tuple(exclude)
    _redacted[model] = tuple(redact)
    uid = f"brygga-audit-{model._meta.label_lower}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "-pre")
    post_save.connect(_post_save, sender=model, dispatch_uid=uid + "-post")
    post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + "-del")
    for m2m in model._meta.many_to_many:
        m2m_changed.connect(
            _m2m_changed, sender=m2m.remote_field.through, dispatch_uid=f"{uid}-m2m-{m2m.name}"
        )


def track_app_models(
    app_config,
    exclude: dict[str, tuple[str, ...]] | None = None,
    skip: tuple[str, ...] = (),
    redact: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """Track every concrete model of a domain app (``exclude``: fields left out of the history,
    e.g. personal data or secrets; ``skip``: technical models with no history of their own)."""
    exclude = exclude or {}
    for model in app_config.get_models():
        if model._meta.abstract or model._meta.proxy or model.__name__ in skip:
            continue
        track_model(model, exclude.get(model.__name__, ()), (redact or {}).get(model.__name__, ()))


def is_tracked(model: type[models.Model]) -> bool:
    return model in _tracked


@contextlib.contextmanager
def untracked(*models: type[models.Model]):
    """Write no change history for ``models`` inside the block (reference data reloaded
    outside any request, e.g. by the test suite after a flush)."""
    uids = [(m, f"brygga-audit-{m._meta.label_lower}") for m in models if m in _tracked]
    for model, uid in uids:
        pre_save.disconnect(sender=model, dispatch_uid=uid + "-pre")
        post_save.disconnect(sender=model, dispatch_uid=uid + "-post")
    try:
        yield
    finally:
        for model, uid in uids:
            pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "-pre")
            post_save.connect(_post_save, sender=model, dispatch_uid=uid + "-post")
