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
        audit_keys()  # a malformed BRYGGA_AUDIT_KEYS stops every command here, with its reason
