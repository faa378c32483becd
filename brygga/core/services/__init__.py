"""Writes for the core domain. Keyword-only, typed, atomic; the audit rows are written by the
change tracker inside the same transaction, and each service checks the resolver first."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from brygga.audit.context import actor_for_user, concerning
from brygga.audit.services import log_action

from ..access import CHANGE, resolver_for
from ..models import (
    AccountState,
    Forum,
    Membership,
    Municipality,
    Organisation,
    RetentionPeriod,
    Role,
    RoleSecurityPolicy,
    forum_link_defaults,
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
    # Deactivating suspends the organisation's roles: only for whoever could revoke them all.
    # (The stored value: a model form has already copied its data onto ``instance``.)
    was_active = Organisation.objects.filter(pk=instance.pk, is_active=True).exists()
    if was_active and not is_active and _roles_beyond_reach(actor, instance):
        raise ValidationError(
            {
                "is_active": _(
                    "Members of this organisation hold roles that only a municipal "
                    "administrator can remove, so only they can deactivate it."
                )
            }
        )
    instance.name, instance.kind, instance.parent = name, kind, parent
    instance.description, instance.contact_email, instance.is_active = (
        description,
        contact_email,
        is_active,
    )
    instance.full_clean()
    instance.save()
    return instance


def _roles_beyond_reach(actor, organisation: Organisation) -> bool:
    """Whether the organisation holds roles that ``actor`` may not revoke (removing or
    deactivating the organisation would take them away)."""
    revocable = Membership.objects.visible_to(actor, CHANGE).values("pk")
    return organisation.memberships.exclude(pk__in=revocable).exists()


@transaction.atomic
def _delete_unless_referenced(obj) -> None:
    """Delete ``obj``; rows that other data protects (incidents reported by an organisation, in
    an area) make it a clear validation error, not a server error."""
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("It cannot be removed because other data refers to it (for example incidents).")
        ) from exc


def organisation_delete(*, actor, organisation: Organisation) -> None:
    _require_change(actor, organisation)
    if organisation.children.exists():
        raise ValidationError(_("Remove or move the organisation's departments first."))
    if _roles_beyond_reach(actor, organisation):
        raise ValidationError(
            _(
                "Members of this organisation hold roles that only a municipal administrator "
                "can remove."
            )
        )
    for membership in organisation.memberships.select_related("user"):
        _log_role_change("role_revoked", actor, membership, reason="organisation_removed")
    _delete_unless_referenced(organisation)


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
    links = forum_link_defaults(instance)
    instance.organisations.set(organisations, through_defaults=links)
    instance.areas.set(areas, through_defaults=links)
    return instance


@transaction.atomic
def forum_delete(*, actor, forum: Forum) -> None:
    _require_change(actor, forum)
    _delete_unless_referenced(forum)


def _require_password_change(user, required: bool) -> None:
    """Mark (or clear) that ``user`` must choose a new password at the next sign-in."""
    if required:
        state, _created = AccountState.objects.get_or_create(user=user)
    else:
        state = AccountState.objects.filter(user=user).first()
    if state is not None and state.password_change_required != required:
        state.password_change_required = required
        state.save(update_fields=["password_change_required"])


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
    """Create a user account for someone who will get a role in ``municipality``. A password
    given here is an initial one: the user must change it at the first sign-in."""
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
    with concerning(municipality):  # the account's audit rows belong to this municipality
        user.save()
        if password:
            _require_password_change(user, True)
    return user


def _log_role_change(event_type: str, actor, membership: Membership, **extra) -> None:
    """An audit row for a role granted or revoked, naming both parties: the actor (the row's
    actor) and the user who got or lost the role (the row's object, and ``user_id``)."""
    log_action(
        event_type=event_type,
        subject=membership.user,
        municipality_id=membership.municipality_id,
        actor=actor_for_user(actor),
        details={
            "user_id": membership.user_id,
            "actor_id": getattr(actor, "pk", None),
            "role": membership.role,
            "organisation_id": membership.organisation_id,
            "membership_id": membership.pk,
            **extra,
        },
    )


@transaction.atomic
def membership_grant(*, actor, user, organisation: Organisation, role: str) -> Membership:
    """Give ``user`` the role ``role`` in ``organisation``. Roles that reach SSPF data or the
    administration only from a municipal administrator; never to oneself
    (``AccessResolver.can_grant``)."""
    _require_manage(actor, organisation.municipality, Membership)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if not resolver_for(actor).can_grant(role, organisation.municipality, user):
        raise PermissionDenied
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role
    )
    if not created:
        raise ValidationError(
            _("%(user)s already has that role in %(org)s.")
            % {"user": user.get_username(), "org": organisation.name}
        )
    _log_role_change("role_granted", actor, membership)
    return membership


@transaction.atomic
def membership_revoke(*, actor, membership: Membership) -> None:
    if not resolver_for(actor).can_revoke(membership):
        raise PermissionDenied
    _log_role_change("role_revoked", actor, membership)
    membership.delete()


@transaction.atomic
def security_policy_set(
    *, actor, municipality: Municipality, role: str, otp_required: bool
) -> RoleSecurityPolicy:
    if not resolver_for(actor).can_set_otp_policy(role, municipality, required=otp_required):
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
    """``actor`` may manage ``user``'s account (``AccessResolver.can_manage_account``): only if
    they could grant every role the user holds, in every municipality, and it is not their
    own account."""
    if not resolver_for(actor).can_manage_account(user):
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
    """A new password for someone else's account. Its owner must change it at the next
    sign-in; their current sessions end (Django checks the password hash in the session)."""
    from django.contrib.auth.password_validation import validate_password

    _require_account_control(actor, user)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _require_password_change(user, True)
    log_action(event_type="password_set_by_administrator", subject=user)


@transaction.atomic
def user_change_own_password(*, actor, password: str) -> None:
    """The signed-in user's new password (the form has checked the current one and the
    validators). Clears a demand to change a password someone else set."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied
    actor.set_password(password)
    actor.save(update_fields=["password"])
    _require_password_change(actor, False)
    log_action(event_type="password_changed", subject=actor)


@transaction.atomic
def otp_enrolment_device(*, user):
    """The user's unconfirmed authenticator device for enrolment (created on first use)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


@transaction.atomic
def otp_enrol(*, user, device, token: str) -> bool:
    """Confirm ``device`` with the first code from the app; audited. False if the code is
    wrong."""
    if device.user_id != user.pk or not (token.isdigit() and device.verify_token(token)):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    log_action(event_type="otp_enrolled", subject=user)
    return True


# --- gallring: the periods a municipality sets, and core's own disposals ---------------------
@transaction.atomic
def retention_period_set(*, actor, municipality: Municipality, rule_key: str, value: int):
    """Set ``municipality``'s period for a retention rule (``brygga.core.retention``); the
    rule's default again when ``value`` equals it (the row is removed). Administrators only;
    the value must lie in the rule's range (0 only for a rule that can be switched off)."""
    from .. import retention

    if not resolver_for(actor).has_ability("administer", municipality):
        raise PermissionDenied
    try:
        rule = retention.rule(rule_key)
    except KeyError:
        raise ValidationError(_("Unknown retention rule.")) from None
    if retention.MUNICIPALITY not in rule.scopes:  # e.g. sign-in records: installation-wide
        raise ValidationError(_("Unknown retention rule."))
    check_retention_value(rule, value)
    existing = RetentionPeriod.objects.filter(municipality=municipality, rule=rule.key).first()
    default = rule.effective_default()
    old = existing.value if existing is not None else default
    if old == value and (existing is None) == (value == default):
        return  # nothing changes
    if value == default:
        existing.delete()
    elif existing is not None:
        existing.value = value
        existing.save(update_fields=["value", "updated_at"])
    else:
        RetentionPeriod.objects.create(municipality=municipality, rule=rule.key, value=value)
    log_action(
        event_type="retention_period_changed",
        subject=municipality,
        municipality_id=municipality.pk,
        actor=actor_for_user(actor),
        details={"rule": rule.key, "from": old, "to": value, "unit": rule.unit},
    )


def check_retention_value(rule, value: int) -> None:
    """``ValidationError`` (in Swedish, naming the allowed range) for a period ``rule`` does
    not allow."""
    unit = _("hours") if rule.unit == "hours" else _("days")
    maximum = rule.effective_maximum()
    if value == 0 and rule.can_switch_off:
        return
    if value < rule.minimum or (maximum is not None and value > maximum):
        if maximum is None:
            message = _("At least %(min)s %(unit)s.") % {"min": rule.minimum, "unit": unit}
        else:
            message = _("Between %(min)s and %(max)s %(unit)s.") % {
                "min": rule.minimum,
                "max": maximum,
                "unit": unit,
            }
        if rule.can_switch_off:
            message += " " + _("0 keeps the data until further notice.")
        raise ValidationError(message)


def dispose_sign_in_records(items, now) -> None:
    """Delete the sign-in records (django-axes: attempts and the sign-in log, which hold user
    names and addresses) that a retention run planned."""
    from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog

    models = {
        m._meta.label_lower: m
        for m in (AccessAttempt, AccessAttemptExpiration, AccessLog, AccessFailureLog)
    }
    by_type: dict[str, list[int]] = {}
    for item in items:
        by_type.setdefault(item.object_type, []).append(int(item.object_id))
    for label, ids in by_type.items():
        models[label].objects.filter(pk__in=ids).delete()


# Areas and layers have their own module; their writers are part of core's services.
from .area_import import (  # noqa: E402, F401
    AreaImportResult,
    NewLayer,
    import_areas,
)
from .areas import (  # noqa: E402, F401
    area_delete,
    area_for_code,
    area_layer_delete,
    area_layer_save,
    area_save,
    default_layer,
    notify_layer_changed,
    statistical_layer,
)
