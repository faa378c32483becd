"""The one access resolver.

Every question of the form "may this user do X to Y" is answered here, and every queryset that
serves a view or an API route is narrowed through :meth:`AccessResolver.restrict` (reached as
``Model.objects.visible_to(user, action)``). The rules are default deny: a model without a rule,
an anonymous or inactive user, or an unknown action sees nothing.

Roles are held per organisation (``Membership``) and so per municipality. What each role may do:

============== =====================================================================
role           abilities
============== =====================================================================
viewer         view the municipality's shared data (areas, organisations, forums)
reporter       viewer + report incidents
analyst        reporter + run analyses
coordinator    analyst + manage organisations, members, areas and forums
case_worker    view + SSPF work in the SSPF forums of their own organisation
municipal_admin view + manage + security policy + the municipality's audit log
system admin   (``is_superuser``) everything in every municipality
============== =====================================================================

Who may hand out roles and manage accounts is answered here too (``grantable_roles``,
``can_grant``, ``can_revoke``, ``can_manage_account``): a coordinator grants
and revokes only roles within their own (viewer, reporter, analyst, coordinator); the roles that
reach SSPF data or the administration only a municipal administrator; nobody grants themself a
role; and an account is managed (password, second factor, deactivation) only by someone who
could grant every role it holds, in every municipality. ``can_set_otp_policy`` says which
second-factor policies a municipal administrator may switch off.

This module is the engine and core's own rules. Every other app keeps its rules in its own
``access.py`` and registers them from its ``AppConfig.ready`` with :func:`register_rule` and
:func:`register_create_abilities`; the engine imports no app.

Work that no person starts (a command, a background task, the recovery of a stuck job) acts as
a :class:`SystemActor`, never as ``None``: ``None`` is refused like an anonymous user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet

from .models import (
    SSPF_FORUM_KINDS,
    Area,
    AreaLayer,
    County,
    Forum,
    Membership,
    Municipality,
    Organisation,
    PoliceArea,
    RetentionPeriod,
    Role,
    RoleSecurityPolicy,
)

VIEW = "view"
CHANGE = "change"
ADMINISTER = "administer"

ROLE_ABILITIES: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({"view"}),
    Role.REPORTER: frozenset({"view", "report"}),
    Role.ANALYST: frozenset({"view", "report", "analyse"}),
    Role.COORDINATOR: frozenset({"view", "report", "analyse", "manage"}),
    Role.CASE_WORKER: frozenset({"view", "case"}),
    Role.MUNICIPAL_ADMIN: frozenset({"view", "manage", "administer", "audit"}),
}

# Importing data into a municipality (files of incidents, police events, …) needs one of these.
IMPORT_ABILITIES: tuple[str, ...] = ("analyse", "manage")

# A role with any of these abilities reaches SSPF case data or the municipality's security and
# audit log: only a municipal administrator (``administer``) grants or revokes it, and only a
# municipal administrator manages the account (password, second factor, deactivation) of a user
# who holds it. See :meth:`AccessResolver.grantable_roles`.
ADMINISTRATOR_ONLY_ABILITIES = frozenset({"case", "administer", "audit"})

# A role with any of these abilities always needs a second factor: no municipal security policy
# switches it off (:func:`otp_always_required`).
OTP_MANDATORY_ABILITIES = frozenset({"case", "administer"})


def otp_always_required(role: str) -> bool:
    """Whether ``role`` needs a TOTP second factor whatever the municipality's policy says: it
    reaches SSPF data (case worker) or administers the municipality (municipal administrator)."""
    return bool(ROLE_ABILITIES.get(role, frozenset()) & OTP_MANDATORY_ABILITIES)


# Which ability lets a user add a row of a model in a municipality (default: "manage"); other
# apps add theirs with register_create_abilities().
CREATE_ABILITIES: dict[str, tuple[str, ...]] = {
    "core.rolesecuritypolicy": ("administer",),
}

RuleFn = Callable[["AccessResolver", QuerySet, str], QuerySet]
_RULES: dict[type[Model], RuleFn] = {}


def register_rule(model: type[Model], fn: RuleFn) -> None:
    """Make ``fn(resolver, qs, action)`` the restriction rule of ``model``: the rows of ``qs``
    the resolver's user may ``action``. Apps call this from their ``AppConfig.ready``, so the
    rules live beside their domain and this engine knows no app."""
    _RULES[model] = fn


def register_create_abilities(model: type[Model], abilities: tuple[str, ...]) -> None:
    """Let a user who has any of ``abilities`` in a municipality add a ``model`` row there
    (:meth:`AccessResolver.can_create_in`; without an entry it takes ``manage``)."""
    CREATE_ABILITIES[model._meta.label_lower] = tuple(abilities)


def rule(*models: type[Model]) -> Callable[[RuleFn], RuleFn]:
    """Decorator form of :func:`register_rule`, for core's own rules in this module."""

    def register(fn: RuleFn) -> RuleFn:
        for m in models:
            register_rule(m, fn)
        return fn

    return register


@dataclass(frozen=True)
class SystemActor:
    """Brygga itself, acting where no person does: a command (``brygga import-incidents``), a
    background task whose user is gone, the recovery of a stuck job.

    The resolver allows it everything, like a system administrator; only code creates one, a
    request never carries it. It is not a user: it is not ``is_authenticated``, so no
    ``created_by``/``reported_by`` points at it, and its audit rows carry no user id and
    ``name`` as the actor (``brygga.audit.context.actor_for_user``).
    """

    name: str
    pk = None
    is_authenticated = False

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Grant:
    municipality_id: int
    organisation_id: int
    role: str


@dataclass
class AccessResolver:
    user: object
    _grants: list[Grant] | None = field(default=None, repr=False)

    # --- who is this user ------------------------------------------------------------------
    @cached_property
    def is_system(self) -> bool:
        """Brygga itself (a :class:`SystemActor`), not a person."""
        return isinstance(self.user, SystemActor)

    @cached_property
    def is_authenticated(self) -> bool:
        if self.is_system:
            return True
        return bool(getattr(self.user, "is_authenticated", False)) and bool(
            getattr(self.user, "is_active", False)
        )

    @cached_property
    def is_system_admin(self) -> bool:
        if self.is_system:
            return True
        return self.is_authenticated and bool(getattr(self.user, "is_superuser", False))

    @property
    def grants(self) -> list[Grant]:
        if self._grants is None:
            if not self.is_authenticated or self.is_system:
                self._grants = []
            else:
                self._grants = [
                    Grant(m, o, r)
                    for m, o, r in Membership.objects.filter(
                        user_id=self.user.pk, organisation__is_active=True
                    ).values_list("municipality_id", "organisation_id", "role")
                ]
        return self._grants

    def roles_in(self, municipality: Municipality | int) -> set[str]:
        mid = getattr(municipality, "pk", municipality)
        return {g.role for g in self.grants if g.municipality_id == mid}

    def municipalities_with(self, ability: str) -> set[int]:
        return {g.municipality_id for g in self.grants if ability in ROLE_ABILITIES[g.role]}

    def counties_of(self, municipality_ids) -> set[int]:
        """The counties of ``municipality_ids`` (cached for the request). Rules pass them as
        constants rather than a subquery: the planner can then use them for index bounds."""
        key = frozenset(municipality_ids)
        cache = self.__dict__.setdefault("_counties", {})
        if key not in cache:
            cache[key] = set(
                Municipality.objects.filter(pk__in=key).values_list("county_id", flat=True)
            )
        return cache[key]

    def organisations_with_role(self, role: str) -> set[int]:
        return {g.organisation_id for g in self.grants if g.role == role}

    def member_organisations(self, municipality: Municipality | int | None = None) -> set[int]:
        """The organisations the user holds any role in (in ``municipality`` if given)."""
        mid = getattr(municipality, "pk", municipality)
        return {g.organisation_id for g in self.grants if mid is None or g.municipality_id == mid}

    def organisations_with_ability(
        self, ability: str, municipality: Municipality | int | None = None
    ) -> set[int]:
        """The organisations in which the user holds a role with ``ability`` (in
        ``municipality`` if given): whom they may act for, e.g. report for."""
        mid = getattr(municipality, "pk", municipality)
        return {
            g.organisation_id
            for g in self.grants
            if ability in ROLE_ABILITIES.get(g.role, frozenset())
            and (mid is None or g.municipality_id == mid)
        }

    def has_ability(self, ability: str, municipality: Municipality | int) -> bool:
        if self.is_system_admin:
            return True
        mid = getattr(municipality, "pk", municipality)
        return mid in self.municipalities_with(ability)

    def abilities_in(self, municipality: Municipality | int) -> frozenset[str]:
        """The abilities the user's roles give in ``municipality`` (not a system
        administrator's blanket access: ask :meth:`has_ability` for that)."""
        mid = getattr(municipality, "pk", municipality)
        return frozenset().union(
            *(
                ROLE_ABILITIES.get(g.role, frozenset())
                for g in self.grants
                if g.municipality_id == mid
            )
        )

    def all_roles(self) -> set[str]:
        roles = {g.role for g in self.grants}
        if self.is_system_admin:
            roles.add("system_admin")
        return roles

    # --- the two questions ------------------------------------------------------------------
    def restrict(self, qs: QuerySet, action: str = VIEW) -> QuerySet:
        """Narrow ``qs`` to the rows this user may ``action`` (default deny)."""
        if not self.is_authenticated:
            return qs.none()
        if self.is_system_admin:
            # Everything, except what was removed (soft delete hides a row from everyone).
            if any(f.name == "deleted_at" for f in qs.model._meta.concrete_fields):
                return qs.filter(deleted_at__isnull=True)
            return qs
        fn = _RULES.get(qs.model)
        if fn is None:
            return qs.none()
        return fn(self, qs, action)

    def can(self, action: str, obj: Model) -> bool:
        """May the user ``action`` this object?"""
        if obj is None or obj.pk is None:
            return False
        return self.restrict(type(obj)._default_manager.filter(pk=obj.pk), action).exists()

    def can_create_in(self, model: type[Model], municipality: Municipality | int) -> bool:
        """May the user add a new ``model`` row in this municipality?"""
        abilities = CREATE_ABILITIES.get(model._meta.label_lower, ("manage",))
        return any(self.has_ability(a, municipality) for a in abilities)

    def can_import(
        self, municipality: Municipality | int, *, all_municipalities: bool = False
    ) -> bool:
        """May the user import data (a file of incidents, police events) into
        ``municipality``? With ``all_municipalities``: an import whose rows go to every
        municipality at once, for system administrators only."""
        if all_municipalities and not self.is_system_admin:
            return False
        return any(self.has_ability(a, municipality) for a in IMPORT_ABILITIES)

    # --- roles and accounts -----------------------------------------------------------------
    def grantable_roles(self, municipality: Municipality | int) -> set[str]:
        """The roles the user may grant, and revoke, in ``municipality``.

        Every role for a municipal administrator there (``administer``) and for system
        administrators. For someone who only manages (a coordinator): the roles whose abilities
        they hold there themselves, except those that reach SSPF data or the administration
        (:data:`ADMINISTRATOR_ONLY_ABILITIES`). Nothing for anyone else."""
        if self.has_ability("administer", municipality):
            return set(Role.values)
        held = self.abilities_in(municipality)
        if "manage" not in held:
            return set()
        return {
            role
            for role in Role.values
            if not ROLE_ABILITIES[role] & ADMINISTRATOR_ONLY_ABILITIES
            and ROLE_ABILITIES[role] <= held
        }

    def can_grant(self, role: str, municipality: Municipality | int, to_user) -> bool:
        """May the user give ``to_user`` the role ``role`` in ``municipality``? ``to_user`` is
        ``None`` for an account about to be created. Nobody grants themself a role."""
        if not self.is_authenticated:
            return False
        if (
            to_user is not None
            and not self.is_system
            and (getattr(to_user, "pk", None) is None or to_user.pk == self.user.pk)
        ):
            return False
        return role in self.grantable_roles(municipality)

    def can_revoke(self, membership: Membership) -> bool:
        """May the user take this role away? The same roles as :meth:`grantable_roles` (the
        ``Membership`` rule's ``change``)."""
        return self.can(CHANGE, membership)

    def can_manage_account(self, user) -> bool:
        """May the user set ``user``'s password, reset their second factor or (de)activate the
        account? Only for an account whose every role, in every municipality, the user could
        grant (:meth:`grantable_roles`); never their own account (the profile pages are for
        that) and a system administrator's only for a system administrator (the ``User``
        rule's ``change``)."""
        if user is None or getattr(user, "pk", None) is None:
            return False
        if not self.is_system and user.pk == getattr(self.user, "pk", None):
            return False
        return self.can(CHANGE, user)

    def can_set_otp_policy(
        self, role: str, municipality: Municipality | int, *, required: bool
    ) -> bool:
        """May the user require (``required=True``) or stop requiring a second factor for
        ``role`` in ``municipality``? Requiring it: whoever administers the municipality.
        Switching it off: never for a role that always needs it (:func:`otp_always_required`),
        nor for a role the user holds there themself."""
        if role not in ROLE_ABILITIES or not self.has_ability("administer", municipality):
            return False
        if required:
            return True
        return not otp_always_required(role) and role not in self.roles_in(municipality)

    def can_view_audit(self, municipality: Municipality | int | None = None) -> bool:
        if self.is_system_admin:
            return True
        if municipality is None:
            return bool(self.municipalities_with("audit"))
        return self.has_ability("audit", municipality)


def _ability_for(action: str) -> str:
    return {VIEW: "view", CHANGE: "manage", ADMINISTER: "administer"}.get(action, "")


def _by_municipality(
    resolver: AccessResolver, qs: QuerySet, action: str, field_name: str = "municipality_id"
) -> QuerySet:
    ability = _ability_for(action)
    if not ability:
        return qs.none()
    return qs.filter(**{f"{field_name}__in": resolver.municipalities_with(ability)})


@rule(Municipality)
def _municipality(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    return _by_municipality(resolver, qs, action, "pk")


@rule(Organisation, AreaLayer, Area)
def _tenant_shared(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    return _by_municipality(resolver, qs, action)


@rule(County)
def _county(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action != VIEW:
        return qs.none()
    return qs.filter(municipalities__in=resolver.municipalities_with("view")).distinct()


@rule(PoliceArea)
def _police_area(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action != VIEW:
        return qs.none()
    return qs.filter(municipalities__in=resolver.municipalities_with("view")).distinct()


@rule(Forum)
def _forum(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action != VIEW:
        return _by_municipality(resolver, qs, action)
    # Everyone in the municipality sees the open forums; SSPF groups only their members' case
    # workers and those who manage the municipality (need-to-know).
    open_forums = Q(municipality_id__in=resolver.municipalities_with("view")) & ~Q(
        kind__in=SSPF_FORUM_KINDS
    )
    managed = Q(municipality_id__in=resolver.municipalities_with("manage"))
    sspf_member = Q(kind__in=SSPF_FORUM_KINDS) & Q(
        organisations__in=resolver.organisations_with_role(Role.CASE_WORKER)
    )
    ids = qs.filter(open_forums | managed | sspf_member).values("pk")
    return qs.filter(pk__in=ids)


def _revocable(resolver: AccessResolver) -> Q:
    """The memberships ``resolver``'s user may grant and revoke: per municipality they manage,
    the roles of :meth:`AccessResolver.grantable_roles`."""
    q = Q(pk__in=[])
    for mid in sorted(resolver.municipalities_with("manage")):
        roles = resolver.grantable_roles(mid)
        if roles:
            q |= Q(municipality_id=mid, role__in=sorted(roles))
    return q


@rule(Membership)
def _membership(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    managed = Q(municipality_id__in=resolver.municipalities_with("manage"))
    if action == VIEW:
        return qs.filter(managed | Q(user_id=resolver.user.pk))
    if action == CHANGE:
        return qs.filter(_revocable(resolver))
    return qs.none()


@rule(RoleSecurityPolicy)
def _security_policy(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    return qs.filter(municipality_id__in=resolver.municipalities_with("administer"))


@rule(RetentionPeriod)
def _retention_period(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    return qs.filter(municipality_id__in=resolver.municipalities_with("administer"))


@rule(get_user_model())
def _user(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    managed = resolver.municipalities_with("manage")
    in_managed = Q(memberships__municipality_id__in=managed) & Q(is_superuser=False)
    if action == VIEW:
        ids = qs.filter(in_managed | Q(pk=resolver.user.pk)).values("pk")
    elif action == CHANGE:
        # An account is shared between municipalities: it is changed only by someone who could
        # grant every role it holds, in every municipality (organisations that are not active
        # included: their roles count again when they are reactivated).
        beyond_reach = Membership.objects.exclude(_revocable(resolver)).values("user_id")
        ids = (
            qs.filter(in_managed)
            .exclude(pk__in=beyond_reach)
            .exclude(pk=resolver.user.pk)
            .values("pk")
        )
    else:
        return qs.none()
    return qs.filter(pk__in=ids)


def resolver_for(user) -> AccessResolver:
    """The resolver for ``user``, cached on the user object for the length of a request."""
    if user is None or isinstance(user, SystemActor):
        return AccessResolver(user=user)
    cached = getattr(user, "_brygga_resolver", None)
    if cached is None:
        cached = AccessResolver(user=user)
        user._brygga_resolver = cached
    return cached
