"""Reads for the core domain: every function returns rows already restricted to the user."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from .access import VIEW, otp_always_required, resolver_for
from .geo import areas_containing
from .models import (
    AccountState,
    Area,
    AreaLayer,
    Forum,
    Membership,
    Municipality,
    Organisation,
    Role,
    RoleSecurityPolicy,
)


def municipalities_for(user, action: str = VIEW) -> QuerySet[Municipality]:
    return Municipality.objects.visible_to(user, action).select_related("county")


def organisations_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet:
    return (
        Organisation.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("parent")
        .annotate(n_members=Count("memberships", distinct=True))
        .order_by("name")
    )


def areas_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Area]:
    return (
        Area.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("layer")
    )


def layers_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[AreaLayer]:
    """The municipality's area layers, with how many areas each has (and with a boundary)."""
    return (
        AreaLayer.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .annotate(
            n_areas=Count("areas"),
            n_with_boundary=Count("areas", filter=Q(areas__geometry__isnull=False)),
        )
        .order_by("name")
    )


def forums_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet[Forum]:
    return (
        Forum.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("convener")
        .annotate(
            n_orgs=Count("organisations", distinct=True), n_areas=Count("areas", distinct=True)
        )
        .order_by("kind", "name")
    )


def memberships_for(user, municipality: Municipality, action: str = VIEW) -> QuerySet:
    return (
        Membership.objects.visible_to(user, action)
        .filter(municipality=municipality)
        .select_related("user", "organisation")
    )


def area_lookup(user, municipality: Municipality, lon: float, lat: float) -> list[Area]:
    """The areas of ``municipality`` visible to ``user`` that contain the point."""
    candidates = areas_for(user, municipality).filter(
        Q(min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat)
    )
    return areas_containing(candidates, lon, lat)


def otp_required_for(user) -> bool:
    """Whether ``user`` must pass a TOTP second factor (any role that requires it). A role
    that always needs it (``access.otp_always_required``) does whatever a stored policy says."""
    if not getattr(user, "is_authenticated", False):
        return False
    defaults = set(settings.BRYGGA_OTP_REQUIRED_ROLES_DEFAULT)
    if user.is_superuser and "system_admin" in defaults:
        return True
    pairs = set(Membership.objects.filter(user=user).values_list("municipality_id", "role"))
    if not pairs:
        return False
    if any(otp_always_required(r) for _m, r in pairs):
        return True
    policies = {
        (p.municipality_id, p.role): p.otp_required
        for p in RoleSecurityPolicy.objects.filter(municipality_id__in={m for m, _ in pairs})
    }
    return any(policies.get((m, r), r in defaults) for m, r in pairs)


def password_change_required(user) -> bool:
    """Whether ``user`` signed in with a password someone else set and must change it first."""
    if not getattr(user, "is_authenticated", False):
        return False
    return AccountState.objects.filter(user_id=user.pk, password_change_required=True).exists()


def security_policies_for(user, municipality: Municipality) -> list[dict]:
    """Each role's second-factor policy in ``municipality`` as the Security page shows it:
    ``otp_required`` (in force) and ``locked`` (``user`` may not switch it off), with
    ``locked_reason`` "always" (the role reaches SSPF data or administers) or "own" (``user``
    holds the role there)."""
    defaults = set(settings.BRYGGA_OTP_REQUIRED_ROLES_DEFAULT)
    resolver = resolver_for(user)
    own = resolver.roles_in(municipality)
    stored = {
        p.role: p.otp_required
        for p in RoleSecurityPolicy.objects.visible_to(user, "administer").filter(
            municipality=municipality
        )
    }
    policies = []
    for value, label in Role.choices:
        always = otp_always_required(value)
        required = always or stored.get(value, value in defaults)
        locked = required and not resolver.can_set_otp_policy(value, municipality, required=False)
        reason = "always" if always else ("own" if value in own else "")
        policies.append(
            {
                "role": value,
                "label": label,
                "otp_required": required,
                "locked": locked,
                "locked_reason": reason if locked else "",
            }
        )
    return policies


def second_factor_devices(user) -> QuerySet:
    """The user's own confirmed authenticator devices (the account pages of that user, and the
    user page of someone the requester may already see)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True)


def has_second_factor(user) -> bool:
    return second_factor_devices(user).exists()


def retention_overview(user, municipality: Municipality, now=None) -> dict:
    """The Gallring page: each rule a municipality can set, with its period, default and range,
    and what a run would remove now (the plan of ``brygga gallra --dry-run`` for this
    municipality). Administrators only."""
    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    from . import retention

    if not resolver_for(user).has_ability("administer", municipality):
        raise PermissionDenied
    now = now or timezone.now()
    periods = retention.periods_for(municipality)
    items = retention.plan_scope(municipality, now)
    counts = Counter(item.rule for item in items)
    rules = [
        {
            "rule": r,
            "value": periods[r.key],
            "default": r.effective_default(),
            "maximum": r.effective_maximum(),
            "count": counts.get(r.key, 0),
        }
        for r in retention.rules(retention.MUNICIPALITY)
    ]
    return {"rules": rules, "items": items, "now": now}
