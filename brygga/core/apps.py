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
    tables; the tenant tables are distributed by municipality, with the keys the migrations
    give them on PostgreSQL (``brygga.core.tenant_keys``). The order is the order Citus needs:
    a table before the tables whose foreign keys point at it."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from .citus import Reference, register, tenant
    from .models import (
        AccountState,
        Area,
        AreaLayer,
        County,
        Forum,
        ForumArea,
        ForumOrganisation,
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
                AccountState,  # one row per user, like the user table
                # read by user on every request (the resolver), across municipalities: a copy
                # on every node is read locally instead of asking every shard
                Membership,
                County,
                Municipality,
                PoliceArea,
                PoliceArea.municipalities.through,
            )
        ),
        *(
            tenant(m)
            for m in (
                Organisation,
                AreaLayer,
                Area,
                Forum,
                RoleSecurityPolicy,
                RetentionPeriod,
                ForumOrganisation,
                ForumArea,
            )
        ),
    )
