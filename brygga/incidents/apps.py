from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "brygga.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        from brygga.audit.tracking import track_app_models

        from . import access  # noqa: F401  (registers the resolver rules)

        track_app_models(
            self,
            exclude={
                "Open311Key": ("key_hash",),
                "ImportJob": ("progress", "processed_rows", "errors"),
                "Open311Contact": ("email", "first_name", "last_name", "phone"),
            },
            skip=("Open311Submission",),
            redact={"Incident": ("description", "place_description")},
        )
