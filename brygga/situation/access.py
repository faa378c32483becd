"""The lägesbild's rules for the one resolver (``brygga.core.access``).

* A **published** report is read by everyone who can view its municipality (the partners);
  its audience decides what the rendering hides (``audiences.py``), not who may open it here.
  (Reports for the public are also served without signing in, by a selector of their own:
  ``selectors.public_reports``, read by ``views/public.py``.)
* A **draft** is read by those who write reports (``analyse`` or ``manage`` in the
  municipality: analysts, coordinators) and by the members of the report's forum (every role
  in one of its member organisations), who comment on it.
* Only analysts and coordinators create, edit and publish; a published report is never changed
  (a new version supersedes it).
* A comment is read with its report; it is changed (marked dealt with) by the report's writers.
* An area assessment (EST's weekly "how did the area feel") is read by everyone who can view
  the municipality (the weekly picture shows it per area); it is given for an organisation by
  its members with ``report`` (or by those who manage the municipality).
* A digest subscription is the user's own.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from brygga.core.access import (
    CHANGE,
    VIEW,
    AccessResolver,
    register_create_abilities,
    register_rule,
)

from .models import AreaAssessment, DigestSubscription, ReportComment, SituationReport

WRITE_ABILITIES = ("analyse", "manage")


def writers(resolver: AccessResolver) -> set[int]:
    """The municipalities where the user writes reports."""
    out: set[int] = set()
    for ability in WRITE_ABILITIES:
        out |= resolver.municipalities_with(ability)
    return out


def _readable(resolver: AccessResolver, prefix: str = "") -> Q:
    viewable = resolver.municipalities_with("view")
    published = Q(**{f"{prefix}state": SituationReport.State.PUBLISHED})
    return Q(**{f"{prefix}municipality_id__in": viewable}) & (
        published
        | Q(**{f"{prefix}municipality_id__in": writers(resolver)})
        | Q(**{f"{prefix}forum__organisations__in": resolver.member_organisations()})
    )


def report_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return qs.filter(pk__in=qs.filter(_readable(resolver)).values("pk"))
    if action == CHANGE:
        return qs.filter(municipality_id__in=writers(resolver), state=SituationReport.State.DRAFT)
    return qs.none()


def comment_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return qs.filter(pk__in=qs.filter(_readable(resolver, "report__")).values("pk"))
    if action == CHANGE:
        return qs.filter(municipality_id__in=writers(resolver))
    return qs.none()


def can_comment(resolver: AccessResolver, report: SituationReport) -> bool:
    """Writers and the members of the report's forum comment on a draft."""
    if report.is_published or not resolver.can(VIEW, report):
        return False
    if report.municipality_id in writers(resolver):
        return True
    return report.forum_id is not None and bool(
        set(report.forum.organisations.values_list("pk", flat=True))
        & resolver.member_organisations()
    )


def assessment_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return qs.filter(municipality_id__in=resolver.municipalities_with("view"))
    if action == CHANGE:
        return qs.filter(
            Q(municipality_id__in=resolver.municipalities_with("manage"))
            | Q(organisation_id__in=resolver.organisations_with_ability("report"))
        )
    return qs.none()


def subscription_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    return qs.filter(
        user_id=resolver.user.pk, municipality_id__in=resolver.municipalities_with("view")
    )


def can_assess(resolver: AccessResolver, forum, organisation) -> bool:
    """Whether the user may give ``organisation``'s assessments in ``forum`` (a member
    organisation of the forum)."""
    if not forum.organisations.filter(pk=organisation.pk).exists():
        return False
    return resolver.has_ability("manage", forum.municipality_id) or (
        organisation.pk in resolver.organisations_with_ability("report", forum.municipality_id)
    )


def register() -> None:
    """Join the app's models to the resolver (called from ``SituationConfig.ready``)."""
    register_rule(SituationReport, report_rule)
    register_rule(ReportComment, comment_rule)
    register_create_abilities(SituationReport, WRITE_ABILITIES)
    register_create_abilities(ReportComment, WRITE_ABILITIES)
    register_rule(AreaAssessment, assessment_rule)
    register_rule(DigestSubscription, subscription_rule)
    register_create_abilities(AreaAssessment, ("report", "manage"))
    register_create_abilities(DigestSubscription, ("view",))
