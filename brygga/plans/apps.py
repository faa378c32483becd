from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "brygga.plans"
    label = "plans"
    verbose_name = _("Plans and follow-up")

    def ready(self) -> None:
        from brygga.audit.tracking import track_app_models

        from . import access

        access.register()
        register_layout()
        track_app_models(
            self,
            # the signed document's bytes and the report-back's snapshot are not copied into
            # the change history (the document's name and type are)
            exclude={"Agreement": ("signed_document",), "FollowUpReport": ("snapshot",)},
        )

    def load_demo(self, *, status) -> list[str]:
        """``brygga demo``: the seed stories of plans and follow-up for Sundsvall."""
        from .demo import load_plans_demo

        with status("Laddar demoplaner (överenskommelse, löften, åtgärdsplan, uppföljning) …"):
            counts = load_plans_demo()
        if not counts:
            return ["[bold]Planer:[/] demoplanerna fanns redan."]
        return [
            "[bold]Planer:[/] "
            + ", ".join(f"{n} {what}" for what, n in counts.items())
            + " (en samverkansöverenskommelse, medborgarlöften, en åtgärdsplan med åtgärder, "
            "insatser, indikatorer, en utvärdering, möten och en återrapport)."
        ]


def register_layout() -> None:
    """Every table of the app is a tenant table on a Citus cluster (``brygga.core.citus``)."""
    from django.apps import apps

    from brygga.core.citus import register, tenant

    register(*(tenant(model) for model in apps.get_app_config("plans").get_models()))
