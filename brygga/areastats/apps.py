from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreaStatsConfig(AppConfig):
    name = "brygga.areastats"
    label = "areastats"
    verbose_name = _("Area statistics")

    def ready(self) -> None:
        from brygga.audit.tracking import track_app_models

        from . import access

        access.register()
        register_layout()
        track_app_models(self, exclude={"StatImport": ("content",)})

    # --- what the app adds to core's commands (see brygga.core.hooks) -----------------------
    def load_demo(self, *, status) -> list[str]:
        """``brygga demo``: made-up population figures for Sundsvall's demo areas."""
        from .demo import load_population_demo

        with status("Laddar påhittade befolkningssiffror för demoområdena …"):
            result = load_population_demo()
        return [
            f"[bold]Områdesstatistik:[/] folkmängd (påhittad) för {result['areas']} demoområden, "
            f"{result['created']} nya värden ({result['unchanged']} fanns redan)."
        ]

    def worker_starting(self) -> list[str]:
        """``brygga worker``: fail the statistics imports an interrupted worker left running."""
        from .services import recover_stale_imports

        failed = recover_stale_imports()
        if not failed:
            return []
        from django.utils.translation import gettext

        return [
            gettext(
                "Statistics imports marked as failed (they stopped without finishing): %(jobs)s"
            )
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

    from .models import StatFeed, StatImport, StatValue

    register(tenant(StatImport), tenant(StatValue), tenant(StatFeed))
