"""Writes for the core domain. Keyword-only, typed, atomic; the audit rows are written by the
change tracker inside the same transaction, and each service checks the resolver first."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from brygga.audit.services import log_action

from .access import CHANGE, resolver_for
from .geo import GeometryError, parse_polygon
from .models import (
    Area,
    Forum,
    Membership,
    Municipality,
    Organisation,
    Role,
    RoleSecurityPolicy,
)

User = get_user_model()


def _require_manage(actor, municipality: Municipality, model) -> None:
    if not resolver_for(actor).can_create_in(model, municipality):
        raise PermissionDenied


def _require_change(actor, obj) -> None:
    if not resolver_for(actor).can(CHANGE, obj):
        raise PermissionDenied


@transaction.atomic
def organisation_save(
    *,
    actor,
    municipality: Municipality,
    instance: Organisation | None = None,
    name: str,
    kind: str,
    parent: Organisation | None = None,
    description: str = "",
    contact_email: str = "",
    is_active: bool = True,
) -> Organisation:
    if instance is None:
        _require_manage(actor, municipality, Organisation)
        instance = Organisation(municipality=municipality)
    else:
        _require_change(actor, instance)
    if parent is not None and parent.municipality_id != municipality.pk:
        raise ValidationError(
            {"parent": _("The parent organisation belongs to another municipality.")}
        )
    if parent is not None and instance.pk is not None:
        node = parent
        while node is not None:
            if node.pk == instance.pk:
                raise ValidationError({"parent": _("An organisation cannot be part of itself.")})
            node = node.parent
    instance.name, instance.kind, instance.parent = name, kind, parent
    instance.description, instance.contact_email, instance.is_active = (
        description,
        contact_email,
        is_active,
    )
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def organisation_delete(*, actor, organisation: Organisation) -> None:
    _require_change(actor, organisation)
    if organisation.children.exists():
        raise ValidationError(_("Remove or move the organisation's departments first."))
    organisation.delete()


@transaction.atomic
def area_save(
    *,
    actor,
    municipality: Municipality,
    instance: Area | None = None,
    name: str,
    kind: str,
    geometry,
    official_code: str = "",
    description: str = "",
    is_demo_geometry: bool = False,
) -> Area:
    if instance is None:
        _require_manage(actor, municipality, Area)
        instance = Area(municipality=municipality)
    else:
        _require_change(actor, instance)
    try:
        geom = parse_polygon(geometry, municipality=municipality)
    except GeometryError as exc:
        raise ValidationError({"geometry": str(exc)}) from None
    from .geo import as_geojson

    instance.name, instance.kind, instance.official_code = name, kind, official_code
    instance.description, instance.is_demo_geometry = description, is_demo_geometry
    instance.geometry = as_geojson(geom)
    instance.set_bounds_from(geom)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def area_delete(*, actor, area: Area) -> None:
    _require_change(actor, area)
    area.delete()


@transaction.atomic
def forum_save(
    *,
    actor,
    municipality: Municipality,
    instance: Forum | None = None,
    name: str,
    kind: str,
    description: str = "",
    organisations=(),
    areas=(),
    convener: Organisation | None = None,
    is_active: bool = True,
) -> Forum:
    if instance is None:
        _require_manage(actor, municipality, Forum)
        instance = Forum(municipality=municipality)
    else:
        _require_change(actor, instance)
    for org in [*organisations, *([convener] if convener else [])]:
        if org.municipality_id != municipality.pk:
            raise ValidationError(
                {
                    "organisations": _("All organisations must belong to %(m)s.")
                    % {"m": municipality.name}
                }
            )
    for area in areas:
        if area.municipality_id != municipality.pk:
            raise ValidationError(
                {"areas": _("All areas must belong to %(m)s.") % {"m": municipality.name}}
            )
    instance.name, instance.kind, instance.description = name, kind, description
    instance.convener, instance.is_active = convener, is_active
    instance.full_clean()
    instance.save()
    instance.organisations.set(organisations)
    instance.areas.set(areas)
    return instance


@transaction.atomic
def forum_delete(*, actor, forum: Forum) -> None:
    _require_change(actor, forum)
    forum.delete()


@transaction.atomic
def user_create(
    *,
    actor,
    municipality: Municipality,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    password: str | None = None,
):
    """Create a user account for someone who will get a role in ``municipality``."""
    _require_manage(actor, municipality, Membership)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("A user with that user name already exists.")})
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    if password:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def membership_grant(*, actor, user, organisation: Organisation, role: str) -> Membership:
    _require_manage(actor, organisation.municipality, Membership)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if role == Role.MUNICIPAL_ADMIN and not resolver_for(actor).has_ability(
        "administer", organisation.municipality
    ):
        raise PermissionDenied
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role
    )
    if not created:
        raise ValidationError(
            _("%(user)s already has that role in %(org)s.")
            % {"user": user.get_username(), "org": organisation.name}
        )
    return membership


@transaction.atomic
def membership_revoke(*, actor, membership: Membership) -> None:
    _require_change(actor, membership)
    if membership.role == Role.MUNICIPAL_ADMIN and not resolver_for(actor).has_ability(
        "administer", membership.municipality_id
    ):
        raise PermissionDenied
    membership.delete()


@transaction.atomic
def security_policy_set(
    *, actor, municipality: Municipality, role: str, otp_required: bool
) -> RoleSecurityPolicy:
    if not resolver_for(actor).has_ability("administer", municipality):
        raise PermissionDenied
    policy, _created = RoleSecurityPolicy.objects.update_or_create(
        municipality=municipality, role=role, defaults={"otp_required": otp_required}
    )
    log_action(
        event_type="security_policy_changed",
        subject=municipality,
        details={"role": role, "otp_required": otp_required},
    )
    return policy


def _require_account_control(actor, user) -> None:
    """``actor`` may manage ``user``'s account only if they manage every municipality where
    the user has a role (an account is shared between municipalities), the user is not a
    system administrator, and municipal administrators are handled by administrators."""
    resolver = resolver_for(actor)
    if resolver.is_system_admin:
        return
    if user.is_superuser or user.pk == actor.pk:
        raise PermissionDenied
    grants = list(Membership.objects.filter(user=user).values_list("municipality_id", "role"))
    if not grants:
        raise PermissionDenied
    for municipality_id, role in grants:
        ability = "administer" if role == Role.MUNICIPAL_ADMIN else "manage"
        if not resolver.has_ability(ability, municipality_id):
            raise PermissionDenied


@transaction.atomic
def user_set_active(*, actor, user, active: bool) -> None:
    _require_account_control(actor, user)
    user.is_active = active
    user.save(update_fields=["is_active"])


@transaction.atomic
def user_reset_second_factor(*, actor, user) -> int:
    """Remove the user's authenticator devices; they enrol again at their next sign-in."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _require_account_control(actor, user)
    n = TOTPDevice.objects.filter(user=user).delete()[0]
    n += StaticDevice.objects.filter(user=user).delete()[0]
    log_action(event_type="second_factor_reset", subject=user, details={"devices": n})
    return n


@transaction.atomic
def user_set_password(*, actor, user, password: str) -> None:
    from django.contrib.auth.password_validation import validate_password

    _require_account_control(actor, user)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    log_action(event_type="password_set_by_administrator", subject=user)
