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
        register_layout()


def register_layout() -> None:
    """Core's tables on a Citus cluster (``brygga.core.citus``): the shared data are reference
    tables; the tenant tables wait for keys that include the municipality (issue: scale out)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from .citus import Reference, register, register_pending
    from .models import (
        AccountState,
        Area,
        County,
        Forum,
        Membership,
        Municipality,
        Organisation,
        PoliceArea,
        RetentionPeriod,
        RoleSecurityPolicy,
    )

    user = get_user_model()
    register(
        *(
            Reference(m)
            for m in (
                ContentType,
                Permission,
                Group,
                Group.permissions.through,
                user,
                user.groups.through,
                user.user_permissions.through,
                County,
                Municipality,
                PoliceArea,
                PoliceArea.municipalities.through,
            )
        )
    )
    key = "primary key without municipality_id"
    for model in (Area, Organisation, Membership, RetentionPeriod, RoleSecurityPolicy):
        register_pending(model, key)
    register_pending(Forum, key)
    for through in (Forum.areas.through, Forum.organisations.through):
        register_pending(through, "many-to-many table without municipality_id")
    register_pending(AccountState, "per user: stays on the coordinator or becomes reference")
