"""Writes for the weekly reporting round: "nothing to report" from an organisation for a week
in a forum. The change tracker writes the audit rows."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from brygga.core.access import CHANGE, resolver_for
from brygga.core.models import Forum, Municipality, Organisation

from ..models import NilReport


def nil_organisations_for(actor, municipality: Municipality, forum: Forum) -> set[int]:
    """Member organisations of ``forum`` for which ``actor`` may say "nothing to report"."""
    resolver = resolver_for(actor)
    members = set(forum.organisations.values_list("pk", flat=True))
    if resolver.has_ability("manage", municipality):
        return members
    return members & resolver.organisations_with_ability("report", municipality)


def may_set_nil_report(
    actor, municipality: Municipality, forum: Forum, organisation: Organisation | int
) -> bool:
    """Whether ``actor`` may say "nothing to report" for ``organisation`` in ``forum``."""
    if not resolver_for(actor).can_create_in(NilReport, municipality):
        return False
    organisation_id = getattr(organisation, "pk", organisation)
    return organisation_id in nil_organisations_for(actor, municipality, forum)


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
    if not may_set_nil_report(actor, municipality, forum, organisation_id):
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
