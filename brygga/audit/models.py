"""The audit trail: one append-only, hash-chained table for changes, reads of personal data
and domain events.

Each row carries ``seq`` (1, 2, 3… without gaps), the hash of the previous row and its own
hash over a canonical JSON form of all its fields. ``brygga audit verify`` recomputes the chain
and names the first row that was edited, removed or inserted out of band. The ORM refuses to
update or delete rows; the chain catches what is done behind its back.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from django.db import models
from django.utils.translation import gettext_lazy as _

from brygga.core.querysets import RestrictedQuerySet

GENESIS_HASH = "0" * 64


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an audit row."""


class AuditQuerySet(RestrictedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit rows are append-only.")

    def delete(self):
        raise AppendOnlyError("Audit rows are append-only.")

    _raw_delete = delete


class EventKind(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    ACCESS = "access", _("Read personal data")
    ACTION = "action", _("Action")
    LOGIN = "login", _("Signed in")
    LOGOUT = "logout", _("Signed out")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")


class AuditEvent(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField(_("time"))
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150)
    municipality_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    event_type = models.CharField(_("event"), max_length=80, blank=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = models.Manager.from_queryset(AuditQuerySet)()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_id", "created_at"]),
            models.Index(fields=["municipality_id", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit rows are append-only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit rows are append-only.")

    def canonical(self) -> bytes:
        """The bytes the row's hash covers (every field but ``hash`` itself)."""
        created = self.created_at
        payload = {
            "seq": int(self.seq),
            "created_at": created.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "municipality_id": self.municipality_id,
            "kind": self.kind,
            "event_type": self.event_type,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "purpose": self.purpose,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


class ChainHead(models.Model):
    """The newest row of the chain; locked while a row is appended so writers serialise."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"head #{self.seq}"
