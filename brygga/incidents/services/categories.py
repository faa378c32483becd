"""Writes for categories: a municipality's own categories next to the national set (the
national ones belong to the shipped reference data and cannot be changed here). The change
tracker writes the audit rows."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from brygga.core.access import CHANGE, VIEW, resolver_for
from brygga.core.models import Municipality

from ..models import Category

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
