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
    County,
    Forum,
    Membership,
    Municipality,
    Organisation,
    PoliceArea,
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

# Which ability lets a user add a row of a model in a municipality (default: "manage").
CREATE_ABILITIES: dict[str, tuple[str, ...]] = {
    "core.rolesecuritypolicy": ("administer",),
    "incidents.incident": ("report", "manage"),
    "incidents.nilreport": ("report", "manage"),
    "incidents.importjob": ("analyse", "manage"),
    "incidents.importprofile": ("analyse", "manage"),
    "incidents.open311key": ("administer",),
}

RuleFn = Callable[["AccessResolver", QuerySet, str], QuerySet]
_RULES: dict[type[Model], RuleFn] = {}


def rule(*models: type[Model]) -> Callable[[RuleFn], RuleFn]:
    """Register the restriction rule for one or more models (used in this module only)."""

    def register(fn: RuleFn) -> RuleFn:
        for m in models:
            _RULES[m] = fn
        return fn

    return register


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
    def is_authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False)) and bool(
            getattr(self.user, "is_active", False)
        )

    @cached_property
    def is_system_admin(self) -> bool:
        return self.is_authenticated and bool(getattr(self.user, "is_superuser", False))

    @property
    def grants(self) -> list[Grant]:
        if self._grants is None:
            if not self.is_authenticated:
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

    def has_ability(self, ability: str, municipality: Municipality | int) -> bool:
        if self.is_system_admin:
            return True
        mid = getattr(municipality, "pk", municipality)
        return mid in self.municipalities_with(ability)

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


@rule(Organisation, Area)
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


@rule(Membership)
def _membership(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    managed = Q(municipality_id__in=resolver.municipalities_with("manage"))
    if action == VIEW:
        return qs.filter(managed | Q(user_id=resolver.user.pk))
    if action == CHANGE:
        return qs.filter(managed)
    return qs.none()


@rule(RoleSecurityPolicy)
def _security_policy(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    return qs.filter(municipality_id__in=resolver.municipalities_with("administer"))


@rule(get_user_model())
def _user(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    managed = resolver.municipalities_with("manage")
    in_managed = Q(memberships__municipality_id__in=managed) & Q(is_superuser=False)
    if action == VIEW:
        ids = qs.filter(in_managed | Q(pk=resolver.user.pk)).values("pk")
    elif action == CHANGE:
        ids = qs.filter(in_managed).values("pk")
    else:
        return qs.none()
    return qs.filter(pk__in=ids)


def register_rule(model: type[Model], fn: RuleFn) -> None:
    """Let another app's model join the resolver (rules still live beside their domain)."""
    _RULES[model] = fn


def resolver_for(user) -> AccessResolver:
    """The resolver for ``user``, cached on the user object for the length of a request."""
    if user is None:
        return AccessResolver(user=None)
    cached = getattr(user, "_brygga_resolver", None)
    if cached is None:
        cached = AccessResolver(user=user)
        user._brygga_resolver = cached
    return cached


def _register_audit_rule() -> None:
    from brygga.audit.models import AuditEvent

    @rule(AuditEvent)
    def _audit(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
        # The audit trail is read-only for everyone; municipal administrators read their own
        # municipality's part of it.
        if action != VIEW:
            return qs.none()
        audited = resolver.municipalities_with("audit")
        # Rows without a municipality (sign-ins, account changes) belong to the user who acted:
        # visible to the administrators of a municipality where that user has a role.
        members = Membership.objects.filter(municipality_id__in=audited).values("user_id")
        return qs.filter(
            Q(municipality_id__in=audited) | Q(municipality_id__isnull=True, actor_id__in=members)
        )


_register_audit_rule()


def register_incident_rules() -> None:
    """Rules for the incidents app (called from its AppConfig.ready)."""
    from brygga.incidents.models import (
        Category,
        ImportJob,
        ImportProfile,
        Incident,
        NilReport,
        Open311Contact,
        Open311Key,
        PoliceTypeMapping,
        Source,
        Status,
        Visibility,
    )

    @rule(Incident)
    def _incident(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
        qs = qs.filter(deleted_at__isnull=True)
        viewable = resolver.municipalities_with("view")
        managed = resolver.municipalities_with("manage")
        analysed = resolver.municipalities_with("analyse")
        own_orgs = {g.organisation_id for g in resolver.grants}
        if action == VIEW:
            # the viewable municipalities' incidents and their counties' county-level events
            qs = qs.in_scope_of(viewable, resolver.counties_of(viewable))
            # Need-to-know: personal data, organisation-only rows, rejected reports and
            # untrusted public tips not yet reviewed are shown to the reporting organisation
            # and to those who manage the municipality (analysts also see new public tips).
            restricted = (
                Q(has_personal_data=True)
                | Q(visibility=Visibility.ORGANISATION)
                | Q(status=Status.REJECTED)
            )
            untrusted = Q(source=Source.OPEN311, status=Status.NEW)
            privileged = Q(municipality_id__in=managed) | Q(reporting_organisation_id__in=own_orgs)
            return qs.filter(~restricted | privileged).filter(
                ~untrusted | privileged | Q(municipality_id__in=analysed)
            )
        if action == CHANGE:
            reporters = {
                g.organisation_id for g in resolver.grants if "report" in ROLE_ABILITIES[g.role]
            }
            return qs.filter(
                Q(municipality_id__in=managed)
                | Q(
                    reporting_organisation_id__in=reporters, status=Status.NEW, source=Source.MANUAL
                )
            )
        return qs.none()

    @rule(Category)
    def _category(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
        if action == VIEW:
            return qs.filter(
                Q(municipality__isnull=True)
                | Q(municipality_id__in=resolver.municipalities_with("view"))
            )
        return qs.filter(municipality_id__in=resolver.municipalities_with("manage"))

    @rule(PoliceTypeMapping)
    def _police_mapping(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
        # One table for the whole installation: read by all, changed by system administrators.
        return qs if action == VIEW and resolver.municipalities_with("view") else qs.none()

    @rule(ImportProfile, ImportJob)
    def _imports(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
        allowed = resolver.municipalities_with("manage") | resolver.municipalities_with("analyse")
        if action not in (VIEW, CHANGE):
            return qs.none()
        return qs.filter(municipality_id__in=allowed)

    @rule(NilReport)
    def _nil_report(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
        if action == VIEW:
            return qs.filter(municipality_id__in=resolver.municipalities_with("view"))
        reporters = {
            g.organisation_id for g in resolver.grants if "report" in ROLE_ABILITIES[g.role]
        }
        return qs.filter(
            Q(municipality_id__in=resolver.municipalities_with("manage"))
            | Q(organisation_id__in=reporters)
        )

    @rule(Open311Key)
    def _open311_key(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
        return qs.filter(municipality_id__in=resolver.municipalities_with("administer"))

    @rule(Open311Contact)
    def _open311_contact(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
        if action != VIEW:
            return qs.none()
        return qs.filter(municipality_id__in=resolver.municipalities_with("manage"))
