from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "brygga.surveys"
    label = "surveys"
    verbose_name = _("Safety survey")

    def ready(self) -> None:
        from brygga.audit.tracking import track_app_models

        from . import access

        access.register()
        register_layout()
        # Respondent rows are written in bulk by the import, which writes one audit row for the
        # whole wave; the stored file of an import never goes into the history.
        track_app_models(self, exclude={"SurveyImport": ("content",)}, skip=("SurveyResponse",))

    # --- what the app adds to core's pages (see brygga.core.hooks) --------------------------
    def overview_panels(self, request, municipality) -> list:
        from .panels import overview_panels

        return overview_panels(request, municipality)

    def area_panels(self, request, municipality, area) -> list:
        from .panels import area_panels

        return area_panels(request, municipality, area)


def register_layout() -> None:
    """Every table of the app is a tenant table on a Citus cluster (``brygga.core.citus``)."""
    from brygga.core.citus import register, tenant

    from .models import (
        PostcodeArea,
        SurveyImport,
        SurveyIndex,
        SurveyQuestion,
        SurveyResponse,
        SurveyWave,
    )

    register(
        tenant(SurveyWave),
        tenant(SurveyQuestion),
        tenant(SurveyIndex),
        tenant(SurveyImport),
        tenant(SurveyResponse),
        tenant(PostcodeArea),
    )
