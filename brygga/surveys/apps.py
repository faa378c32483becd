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
        from .retention import register_rules

        register_rules()
        # Respondent rows are written in bulk by the import, which writes one audit row for the
        # whole wave; the stored file of an import never goes into the history.
        track_app_models(self, exclude={"SurveyImport": ("content",)}, skip=("SurveyResponse",))

    # --- what the app adds to core's commands (see brygga.core.hooks) -----------------------
    def load_demo(self, *, status) -> list[str]:
        """``brygga demo``: three made-up safety survey waves for Sundsvall's demo areas."""
        from .demo import load_survey_demo

        with status("Laddar påhittade trygghetsmätningar för demoområdena …"):
            result = load_survey_demo()
        return [
            f"[bold]Trygghetsmätning:[/] {result['waves']} nya demomätningar med "
            f"{result['respondents']} påhittade svarande i {result['areas']} områden "
            f"({result['existing']} fanns redan)."
        ]

    def worker_starting(self) -> list[str]:
        """``brygga worker``: fail the survey imports an interrupted worker left running."""
        from django.utils.translation import gettext

        from .services.imports import recover_stale_imports

        failed = recover_stale_imports()
        if not failed:
            return []
        return [
            gettext("Survey imports marked as failed (they stopped without finishing): %(jobs)s")
            % {"jobs": ", ".join(str(pk) for pk in failed)}
        ]

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
