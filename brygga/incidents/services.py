"""Writes for incidents. Single rows go through the change tracker (audit per row); bulk
imports write one audit row per import with its counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from brygga.audit.services import log_action
from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.models import Forum, Municipality, Organisation

from .location import Location
from .models import Category, Incident, NilReport, Source, Status, Visibility

FUTURE_SLACK = timedelta(days=1)


def check_when(
    occurred_from: datetime, occurred_to: datetime | None = None, *, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    if occurred_from > now + FUTURE_SLACK:
        raise ValidationError({"occurred_from": _("The time lies in the future.")})
    if occurred_to is not None:
        if occurred_to < occurred_from:
            raise ValidationError(
                {"occurred_to": _("The end of the interval is before its start.")}
            )
        if occurred_to > now + FUTURE_SLACK:
            raise ValidationError({"occurred_to": _("The time lies in the future.")})


def categories_for(municipality: Municipality):
    """The categories usable in a municipality: the active ones of the national set plus its
    own; a sub-category of an inactive main category is left out."""
    return (
        Category.objects.filter(
            Q(municipality__isnull=True) | Q(municipality=municipality), is_active=True
        )
        .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
        .select_related("parent")
    )


def category_usable(municipality: Municipality, category: Category) -> bool:
    """May new incidents of ``municipality`` be filed under ``category``?"""
    return (
        category.municipality_id in (None, municipality.pk)
        and category.is_active
        and (category.parent_id is None or category.parent.is_active)
    )


def check_category(municipality: Municipality, category: Category) -> None:
    if not category_usable(municipality, category):
        raise ValidationError(
            {
                "category": _("The category cannot be used in %(name)s.")
                % {"name": municipality.name}
            }
        )


def reporting_organisations_for(actor, municipality: Municipality):
    """The organisations ``actor`` may report for in ``municipality``."""
    resolver = resolver_for(actor)
    qs = Organisation.objects.filter(municipality=municipality, is_active=True)
    if resolver.has_ability("manage", municipality):
        return qs
    return qs.filter(pk__in=resolver.member_organisations(municipality))


@transaction.atomic
def incident_create(
    *,
    actor,
    municipality: Municipality,
    category: Category,
    occurred_from: datetime,
    occurred_to: datetime | None = None,
    location: Location,
    description: str = "",
    count: int = 1,
    reporting_organisation: Organisation | None = None,
    place_description: str = "",
    source: str = Source.MANUAL,
    source_id: str = "",
    has_personal_data: bool = False,
    visibility: str = Visibility.SHARED,
) -> Incident:
    if not resolver_for(actor).can_create_in(Incident, municipality):
        raise PermissionDenied
    check_category(municipality, category)
    check_when(occurred_from, occurred_to)
    if count < 1:
        raise ValidationError({"count": _("The number of events must be at least 1.")})
    if (
        reporting_organisation is not None
        and not reporting_organisations_for(actor, municipality)
        .filter(pk=reporting_organisation.pk)
        .exists()
    ):
        raise ValidationError(
            {"reporting_organisation": _("You cannot report for that organisation.")}
        )
    incident = Incident(
        municipality=municipality,
        county_id=municipality.county_id,
        category=category,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        lat=location.lat,
        lon=location.lon,
        sweref_e=location.sweref_e,
        sweref_n=location.sweref_n,
        area=location.area,
        description=description.strip(),
        count=count,
        place_description=place_description.strip(),
        reporting_organisation=reporting_organisation,
        reported_by=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        source_id=source_id,
        has_personal_data=has_personal_data,
        visibility=visibility,
    )
    incident.full_clean(exclude=["import_job"])
    incident.save()
    return incident


@transaction.atomic
def incident_update(*, actor, incident: Incident, **fields) -> Incident:
    if not resolver_for(actor).can(CHANGE, incident):
        raise PermissionDenied
    municipality = incident.municipality
    if "category" in fields and fields["category"].pk != incident.category_id:
        # An incident keeps a category that was deactivated after it was filed.
        check_category(municipality, fields["category"])
    location = fields.pop("location", None)
    if location is not None:
        for f in ("lat", "lon", "sweref_e", "sweref_n", "area"):
            setattr(incident, f, getattr(location, f))
    allowed = {
        "category",
        "occurred_from",
        "occurred_to",
        "description",
        "count",
        "place_description",
        "has_personal_data",
        "visibility",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": sorted(unknown)})
    for k, v in fields.items():
        setattr(incident, k, v)
    check_when(incident.occurred_from, incident.occurred_to)
    incident.full_clean(exclude=["import_job"])
    incident.save()
    return incident


@transaction.atomic
def incident_set_status(*, actor, incident: Incident, status: str) -> Incident:
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if not resolver_for(actor).has_ability("manage", incident.municipality_id):
        raise PermissionDenied
    incident.status = status
    incident.save(update_fields=["status", "updated_at"])
    return incident


@transaction.atomic
def incident_delete(*, actor, incident: Incident) -> None:
    """Soft delete: the row stays (with its history) but is hidden everywhere."""
    if not resolver_for(actor).can(CHANGE, incident):
        raise PermissionDenied
    incident.deleted_at = timezone.now()
    incident.deleted_by = actor
    incident.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    log_action(event_type="incident_deleted", subject=incident)


# --- categories -----------------------------------------------------------------------------
CODE_MAX_LENGTH = Category._meta.get_field("code").max_length
FALLBACK_CODE = "kategori"


def _codes_in_use(municipality: Municipality) -> set[str]:
    """Codes (case-folded) a new category of ``municipality`` may not take: the national ones
    (imports and Open311 match on the code, so a municipality's code must not shadow a national
    one) and the municipality's own."""
    qs = Category.objects.filter(Q(municipality__isnull=True) | Q(municipality=municipality))
    return {c.casefold() for c in qs.values_list("code", flat=True)}


def category_code_for(municipality: Municipality, name: str) -> str:
    """A free code for a new category of ``municipality``, derived from its name."""
    base = slugify(name)[:CODE_MAX_LENGTH].strip("-_") or FALLBACK_CODE
    taken = _codes_in_use(municipality)
    code, n = base, 1
    while code in taken:
        n += 1
        suffix = f"-{n}"
        code = base[: CODE_MAX_LENGTH - len(suffix)].rstrip("-_") + suffix
    return code


def _check_code(municipality: Municipality, code: str) -> str:
    code = (code or "").strip()
    try:
        validate_slug(code)
    except ValidationError:
        raise ValidationError(
            {
                "code": _(
                    "The code may contain only letters a–z, digits, hyphens and underscores, "
                    "for example “klotter-skola”."
                )
            }
        ) from None
    if len(code) > CODE_MAX_LENGTH:
        raise ValidationError(
            {"code": _("The code may be at most %(n)s characters long.") % {"n": CODE_MAX_LENGTH}}
        )
    if code.casefold() in _codes_in_use(municipality):
        raise ValidationError(
            {
                "code": _(
                    "The code “%(code)s” is already used by another category. Choose another one."
                )
                % {"code": code}
            }
        )
    return code


def _check_name(
    municipality: Municipality, name: str, parent: Category | None, *, exclude_pk=None
) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the category a name.")})
    siblings = Category.objects.filter(
        Q(municipality__isnull=True) | Q(municipality=municipality), parent=parent
    )
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    if name.casefold() in {n.casefold() for n in siblings.values_list("name", flat=True)}:
        where = (
            _("under “%(main)s”") % {"main": parent.name}
            if parent is not None
            else _("among the main categories")
        )
        raise ValidationError(
            {
                "name": _("There already is a category “%(name)s” %(where)s. Choose another name.")
                % {"name": name, "where": where}
            }
        )
    return name


SORT_ORDER_MAX = 32767  # a PositiveSmallIntegerField (SQLite would not enforce it)


def _check_sort_order(sort_order: int) -> int:
    if not isinstance(sort_order, int) or not 0 <= sort_order <= SORT_ORDER_MAX:
        raise ValidationError(
            {
                "sort_order": _("The order must be a whole number from 0 to %(max)s.")
                % {"max": SORT_ORDER_MAX}
            }
        )
    return sort_order


def _check_parent(actor, municipality: Municipality, parent: Category) -> None:
    visible = Category.objects.visible_to(actor, VIEW).filter(pk=parent.pk).exists()
    if not visible or parent.municipality_id not in (None, municipality.pk):
        raise ValidationError({"parent": [_("The main category belongs to another municipality.")]})
    if parent.parent_id is not None:
        raise ValidationError({"parent": [_("Only a main category can have sub-categories.")]})
    if not parent.is_active:
        raise ValidationError(
            {
                "parent": [
                    _("The main category “%(name)s” is inactive. Choose an active one.")
                    % {"name": parent.name}
                ]
            }
        )


def _check_changeable(actor, category: Category) -> None:
    """National categories belong to Brygga's reference data (they are reloaded from it);
    a municipality changes only its own, and only those who manage it."""
    if category.municipality_id is None:
        raise ValidationError(
            _(
                "“%(name)s” is a national category and cannot be changed. Add a category of "
                "your own instead."
            )
            % {"name": category.name}
        )
    if not resolver_for(actor).can(CHANGE, category):
        raise PermissionDenied


def _full_clean(category: Category) -> None:
    # The checks above give the messages people see; this catches what they do not cover
    # (lengths, the range of the sort order) and names the field as well.
    category.full_clean(validate_constraints=False)


@transaction.atomic
def create_category(
    actor,
    municipality: Municipality,
    *,
    name: str,
    parent: Category | None = None,
    description: str = "",
    sort_order: int = 100,
    code: str | None = None,
    is_active: bool = True,
) -> Category:
    """Add one of ``municipality``'s own categories: a main category (``parent`` empty) or a
    sub-category of a main category usable there (national or its own). Without ``code``,
    one is derived from the name. The change tracker writes the audit row."""
    if not resolver_for(actor).can_create_in(Category, municipality):
        raise PermissionDenied
    if parent is not None:
        _check_parent(actor, municipality, parent)
    name = _check_name(municipality, name, parent)
    code = _check_code(municipality, code) if code else category_code_for(municipality, name)
    category = Category(
        municipality=municipality,
        parent=parent,
        code=code,
        name=name,
        description=(description or "").strip(),
        sort_order=_check_sort_order(100 if sort_order is None else sort_order),
        is_active=is_active,
    )
    _full_clean(category)
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:  # a concurrent request took the code
        raise ValidationError(
            {"code": _("The code “%(code)s” was just taken. Try again.") % {"code": code}}
        ) from None
    return category


@transaction.atomic
def update_category(
    actor,
    category: Category,
    *,
    name: str | None = None,
    description: str | None = None,
    sort_order: int | None = None,
) -> Category:
    """Change the name, description or order of one of a municipality's own categories. The
    code and the main category stay, so imports, profiles and Open311 keep working."""
    _check_changeable(actor, category)
    if name is not None:
        category.name = _check_name(
            category.municipality, name, category.parent, exclude_pk=category.pk
        )
    if description is not None:
        category.description = description.strip()
    if sort_order is not None:
        category.sort_order = _check_sort_order(sort_order)
    _full_clean(category)
    category.save()
    return category


@transaction.atomic
def set_category_active(actor, category: Category, active: bool) -> Category:
    """Deactivate or reactivate one of a municipality's own categories. An inactive category
    (and every sub-category of an inactive main category) is no longer offered for new
    incidents; incidents already filed under it keep it."""
    _check_changeable(actor, category)
    if active and category.parent_id is not None and not category.parent.is_active:
        raise ValidationError(
            {
                "is_active": _("Reactivate the main category “%(name)s” first.")
                % {"name": category.parent.name}
            }
        )
    if category.is_active != active:
        category.is_active = active
        category.save(update_fields=["is_active"])
    return category


# --- weekly round: "nothing to report" ------------------------------------------------------
def nil_organisations_for(actor, municipality: Municipality, forum: Forum) -> set[int]:
    """Member organisations of ``forum`` for which ``actor`` may say "nothing to report"."""
    resolver = resolver_for(actor)
    members = set(forum.organisations.values_list("pk", flat=True))
    if resolver.has_ability("manage", municipality):
        return members
    return members & resolver.organisations_with_ability("report", municipality)


@transaction.atomic
def set_nil_report(
    actor,
    municipality: Municipality,
    organisation: Organisation | int,
    week_start: date,
    *,
    forum: Forum,
    nil: bool = True,
) -> NilReport | None:
    """Say (``nil=True``) or take back (``nil=False``) that ``organisation`` has nothing to
    report in ``forum``'s weekly round for the week starting on Monday ``week_start``.
    Idempotent; the change tracker writes the audit rows."""
    organisation_id = getattr(organisation, "pk", organisation)
    if not resolver_for(actor).can_create_in(NilReport, municipality):
        raise PermissionDenied
    if forum.municipality_id != municipality.pk:
        raise ValidationError({"forum": _("The forum belongs to another municipality.")})
    if week_start.weekday() != 0:
        raise ValidationError({"week_start": _("A week starts on a Monday.")})
    if organisation_id not in nil_organisations_for(actor, municipality, forum):
        raise PermissionDenied
    rows = NilReport.objects.filter(
        forum=forum, organisation_id=organisation_id, week_start=week_start
    )
    if not nil:
        for row in rows.visible_to(actor, CHANGE):
            row.delete()
        return None
    try:
        with transaction.atomic():
            report, _created = NilReport.objects.get_or_create(
                forum=forum,
                organisation_id=organisation_id,
                week_start=week_start,
                defaults={"reported_by": actor},
            )
    except IntegrityError:  # a concurrent request made the same row
        report = rows.get()
    return report
