from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "brygga.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        from brygga.audit.tracking import track_app_models
        from brygga.core.services.areas import layer_changed

        from . import access, placements, retention

        access.register()
        retention.register_rules()
        register_layout()
        layer_changed.connect(placements.on_layer_changed, dispatch_uid="incidents.placements")
        track_app_models(
            self,
            exclude={
                "Open311Key": ("key_hash",),
                "ImportJob": ("progress", "processed_rows", "errors"),
                "Open311Contact": ("email", "first_name", "last_name", "phone"),
            },
            # placements and counts are derived from the incidents and the areas (tracked)
            skip=(
                "Open311Submission",
                "DisposedSource",
                "IncidentPlacement",
                "IncidentCount",
                "IncidentDayCount",
            ),
            redact={
                "Incident": ("description", "place_description", "attributes"),
                "Open311Request": ("published_text",),
            },
        )

    # --- what the app adds to core's commands (see brygga.core.hooks) -----------------------
    def load_demo(self, *, status) -> list[str]:
        """``brygga demo``: the demo incidents (partner reports and the police events)."""
        from .demo import load_incident_demo

        with status("Laddar demohändelser (partnerrapporter och polisens händelser) …"):
            incidents = load_incident_demo()
        synthetic, police = incidents["synthetic"], incidents["police"]
        records = incidents["records"]
        return [
            f"[bold]Händelser:[/] {synthetic['created']} nya partnerrapporter "
            f"({synthetic['existing']} fanns redan; {synthetic['first']} – {synthetic['last']}), "
            f"{police['created']} nya polishändelser för Västernorrland "
            f"({police['unchanged']} fanns redan).",
            f"[bold]Övrigt:[/] {records['tips']} tips från allmänheten, {records['personal']} "
            f"rapporter med personuppgifter, {records['deleted']} borttagna händelser och "
            f"{records['imports']} importer (för sidorna och gallringen).",
        ]

    def worker_starting(self) -> list[str]:
        """``brygga worker``: fail the import jobs an interrupted worker left behind. Only jobs
        unchanged for longer than ``BRYGGA_IMPORT_STALE_MINUTES`` are touched: a job that
        another worker is running keeps being updated."""
        from django.utils.translation import gettext

        from .imports.jobs import recover_stale_jobs

        recovered = recover_stale_jobs()
        if not recovered:
            return []
        return [
            gettext("Import jobs marked as failed (they stopped without finishing): %(jobs)s")
            % {"jobs": ", ".join(str(j.pk) for j in recovered)}
        ]

    # --- what the app adds to core's pages (see brygga.core.hooks) --------------------------
    def overview_panels(self, request, municipality) -> list:
        """The start page per role: reporting for reporters, the weekly counts, the weekly
        round and the imports that need attention for analysts and coordinators."""
        from .panels import overview_panels

        return overview_panels(request, municipality)

    def area_panels(self, request, municipality, area) -> list:
        from .panels import area_panels

        return area_panels(request, municipality, area)

    def area_list_panels(self, request, municipality) -> list:
        """The areas page: the runs that place incidents in a changed layer, with progress."""
        from .placements import area_list_panels

        return area_list_panels(request, municipality)

    def forum_panels(self, request, municipality, forum) -> list:
        from .panels import forum_panels

        return forum_panels(request, municipality, forum)


def register_layout() -> None:
    """The incident tables on a Citus cluster (``brygga.core.citus``): incidents and the rest
    of a municipality's data are distributed by municipality (county-level police events are
    copied to each municipality of the county: ``Incident.county_event``). Import jobs (the
    feed's belong to no municipality) and the source ids gallring removed (county-level ones
    too) are small shared tables; public-intake submissions are throttling data that stay on
    the coordinator, like sign-in attempts."""
    from brygga.core.citus import Coordinator, Reference, register, tenant

    from .models import (
        Category,
        DisposedSource,
        ImportJob,
        ImportProfile,
        Incident,
        IncidentCount,
        IncidentDayCount,
        IncidentPlacement,
        NilReport,
        Open311Contact,
        Open311Key,
        Open311Request,
        Open311Submission,
        PoliceTypeMapping,
    )

    register(
        Reference(Category),
        Reference(PoliceTypeMapping),
        Reference(ImportJob),
        Reference(DisposedSource),
        Coordinator(Open311Submission),
        *(
            tenant(m)
            for m in (
                Incident,
                IncidentPlacement,
                IncidentCount,
                IncidentDayCount,
                ImportProfile,
                NilReport,
                Open311Key,
                Open311Contact,
                Open311Request,
            )
        ),
    )
