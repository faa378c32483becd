"""The audit trail: one append-only, hash-chained table for changes, reads of personal data
and domain events.

There is one chain per municipality and one for the installation (``chain``: the
municipality's id, 0 for rows of no municipality — sign-ins, installation-wide imports — and for
every row written before the chains were split, version 0.x's one global chain). Writers in
different municipalities lock different heads (``ChainHead``), so they never wait on one
another, and a chain can live with its tenant when the tables are distributed (Citus).

Each row carries ``seq`` (an installation-wide number from a sequence: ascending, unique, with
gaps), its chain, the hash of the previous row of its chain and its own hash: an HMAC-SHA256,
with a key kept outside the database (``brygga.audit.keys``), over a canonical JSON form of all
its fields. ``brygga audit verify`` recomputes every chain and names the first row that was
edited, removed or inserted out of band. The ORM refuses to update or
delete rows, and so does the database (triggers, migration 0003); the chain catches what is
done behind their back.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from brygga.core.querysets import RestrictedQuerySet

from . import keys

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


INSTALLATION_CHAIN = 0


class AuditEvent(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    # The chain the row belongs to: its municipality's id, or 0 (INSTALLATION_CHAIN).
    chain = models.BigIntegerField(_("chain"), default=INSTALLATION_CHAIN)
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
    # The id of the key in BRYGGA_AUDIT_KEYS that signed the row; "" for the plain SHA-256 rows
    # written before the chain was keyed (keys.LEGACY_KEY_ID).
    key_id = models.CharField(_("key id"), max_length=32, blank=True, default="")
    # Unique within its chain (a distributed table's unique constraints must include the column
    # it is distributed by: the chain).
    hash = models.CharField(max_length=64)

    objects = models.Manager.from_queryset(AuditQuerySet)()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_id", "created_at"]),
            models.Index(fields=["municipality_id", "created_at"]),
            # services._check_signing_key: has a key signed rows before?
            models.Index(fields=["key_id"], name="audit_audit_key_id_idx"),
            # one chain in order (verify, the head checks)
            models.Index(fields=["chain", "seq"], name="audit_chain_seq_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "hash"], name="audit_hash_unique_in_chain"),
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
        return keys.canonical({name: getattr(self, name) for name in keys.HASHED_FIELDS})

    def compute_hash(self, audit_keys: keys.AuditKeys | None = None) -> str:
        """The row's hash with the key it names (``keys.UnknownKeyError`` if not configured)."""
        return keys.row_hash(self.canonical(), self.key_id, audit_keys)


class ChainHead(models.Model):
    """The newest row of one chain (``id``: the chain, see ``AuditEvent.chain``); locked while
    a row is appended to that chain, so the writers of one municipality serialise and those of
    different municipalities do not."""

    id = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"chain {self.id} head #{self.seq}"


class SigningKey(models.Model):
    """Which key of ``BRYGGA_AUDIT_KEYS`` signs now (one row): read by every writer, written
    only when a new key signs its first row. A process still running with a replaced key finds
    another key here and refuses to write (``services._check_signing_key``), in every chain,
    also one that no row has reached since the rotation."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    key_id = models.CharField(max_length=32)
    since_seq = models.BigIntegerField()

    class Meta:
        verbose_name = _("audit signing key")

    def __str__(self) -> str:
        return f"{self.key_id} since #{self.since_seq}"
