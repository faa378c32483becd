from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "brygga.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.backends.signals import connection_created

        from . import access, signals  # noqa: F401
        from .keys import audit_keys
        from .protection import on_connection_created
        from .tracking import track_model

        access.register()
        # A user's name and e-mail address appear in the history as keyed fingerprints (the user
        # name stays readable: it is the actor label that accountability needs).
        track_model(
            get_user_model(),
            exclude=("password", "last_login"),
            redact=("first_name", "last_name", "email"),
        )
        connection_created.connect(on_connection_created, dispatch_uid="brygga-audit-protection")
        register_layout()
        audit_keys()  # a malformed BRYGGA_AUDIT_KEYS stops every command here, with its reason


# On Citus a statement-level trigger for UPDATE or DELETE on a distributed table does not
# fire (the statements run on the shards), and a table with triggers cannot be distributed:
# the append-only guard becomes row-level UPDATE/DELETE triggers, which Citus creates on every
# shard, and a statement-level TRUNCATE trigger, which fires on the coordinator's table.
_CITUS_TRIGGERS = (
    "CREATE TRIGGER audit_auditevent_append_only_row BEFORE UPDATE OR DELETE ON "
    "audit_auditevent FOR EACH ROW EXECUTE FUNCTION brygga_audit_append_only()",
    "CREATE TRIGGER audit_auditevent_append_only BEFORE TRUNCATE ON audit_auditevent "
    "FOR EACH STATEMENT EXECUTE FUNCTION brygga_audit_append_only()",
)


def register_layout() -> None:
    """The audit tables on a Citus cluster: each chain lives with its municipality's rows."""
    from brygga.core.citus import Distributed, Reference, register

    from .models import AuditEvent, ChainHead, SigningKey

    register(
        Reference(SigningKey),
        Distributed(
            AuditEvent,
            "chain",
            primary_key=("chain", "seq"),
            before=("DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",),
            after=_CITUS_TRIGGERS,
        ),
        Distributed(ChainHead, "id", primary_key=("id",)),
    )
