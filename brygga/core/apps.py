from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "brygga.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from brygga.audit.tracking import track_app_models

        from . import signals  # noqa: F401
        from .retention_rules import register_rules

        track_app_models(self)
        register_rules()
