from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "brygga.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from . import access, signals  # noqa: F401
        from .tracking import track_model

        access.register()
        track_model(get_user_model(), exclude=("password", "last_login"))
