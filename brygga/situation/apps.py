from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SituationConfig(AppConfig):
    name = "brygga.situation"
    label = "situation"
    verbose_name = _("Situation report")

    def ready(self) -> None:
        from brygga.audit.tracking import track_app_models

        from . import access

        access.register()
        register_layout()
        # the snapshot is recorded by the "situation_report_published" action (its hash), not
        # copied into the change history
        track_app_models(self, exclude={"SituationReport": ("snapshot",)})

    # --- what the app adds to core's pages (see brygga.core.hooks) --------------------------
    def forum_panels(self, request, municipality, forum) -> list:
        from .panels import forum_panels

        return forum_panels(request, municipality, forum)


def register_layout() -> None:
    """Every table of the app is a tenant table on a Citus cluster (``brygga.core.citus``)."""
    from brygga.core.citus import register, tenant

    from .models import AreaAssessment, DigestSubscription, ReportComment, SituationReport

    register(
        tenant(SituationReport),
        tenant(ReportComment),
        tenant(AreaAssessment),
        tenant(DigestSubscription),
    )
