"""The incidents app's rules for the one resolver (``brygga.core.access``), registered from
``IncidentsConfig.ready`` by :func:`register`. As everywhere, system administrators (and
Brygga's own :class:`~brygga.core.access.SystemActor`) bypass them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from brygga.core.access import (
    CHANGE,
    IMPORT_ABILITIES,
    VIEW,
    AccessResolver,
    register_create_abilities,
    register_rule,
)

from .models import (
    Category,
    ImportJob,
    ImportProfile,
    Incident,
    IncidentCount,
    IncidentDayCount,
    NilReport,
    Open311Contact,
    Open311Key,
    Open311Request,
    PoliceTypeMapping,
    Source,
    Status,
    Visibility,
)


def incident_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    qs = qs.filter(deleted_at__isnull=True)
    viewable = resolver.municipalities_with("view")
    managed = resolver.municipalities_with("manage")
    analysed = resolver.municipalities_with("analyse")
    own_orgs = resolver.member_organisations()
    if action == VIEW:
        # the viewable municipalities' incidents (county-level events included: each holds a copy)
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
        reporters = resolver.organisations_with_ability("report")
        # a county-level police event is the police's, shared by the county: no one changes it
        return qs.filter(
            Q(municipality_id__in=managed, county_event=False)
            | Q(reporting_organisation_id__in=reporters, status=Status.NEW, source=Source.MANUAL)
        )
    return qs.none()


def personal_text_readable(resolver: AccessResolver) -> Q:
    """The incidents whose free text (``description``) the user may read: those without
    personal data, and, with personal data, those of the privileged (the reporting
    organisation's members, those who manage the municipality). A search of the text uses it,
    so that a hit never reveals words the user may not read, whatever the queryset it narrows."""
    if resolver.is_system or resolver.is_system_admin:
        return Q()
    return (
        Q(has_personal_data=False)
        | Q(municipality_id__in=resolver.municipalities_with("manage"))
        | Q(reporting_organisation_id__in=resolver.member_organisations())
    )


def category_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return qs.filter(
            Q(municipality__isnull=True)
            | Q(municipality_id__in=resolver.municipalities_with("view"))
        )
    return qs.filter(municipality_id__in=resolver.municipalities_with("manage"))


def police_mapping_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    # One table for the whole installation: read by all, changed by system administrators.
    return qs if action == VIEW and resolver.municipalities_with("view") else qs.none()


def import_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action not in (VIEW, CHANGE):
        return qs.none()
    allowed = set().union(*(resolver.municipalities_with(a) for a in IMPORT_ABILITIES))
    return qs.filter(municipality_id__in=allowed)


def nil_report_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return qs.filter(municipality_id__in=resolver.municipalities_with("view"))
    return qs.filter(
        Q(municipality_id__in=resolver.municipalities_with("manage"))
        | Q(organisation_id__in=resolver.organisations_with_ability("report"))
    )


def open311_key_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    return qs.filter(municipality_id__in=resolver.municipalities_with("administer"))


def open311_contact_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action != VIEW:
        return qs.none()
    return qs.filter(municipality_id__in=resolver.municipalities_with("manage"))


# Publishing a public tip's text on the open Open311 lists is a moderation step of its own,
# apart from the review status: those who manage the municipality (coordinators, municipal
# administrators) may take it.
PUBLISH_TIP_ABILITY = "manage"


def open311_request_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action not in (VIEW, CHANGE):
        return qs.none()
    return qs.filter(municipality_id__in=resolver.municipalities_with(PUBLISH_TIP_ABILITY))


def can_publish_tip(resolver: AccessResolver, incident: Incident) -> bool:
    """May the user publish (or withdraw) the text of this public tip on the public Open311
    lists? A tip of a municipality where they hold ``PUBLISH_TIP_ABILITY``, that they can see."""
    if incident.source != Source.OPEN311 or incident.municipality_id is None:
        return False
    if not resolver.has_ability(PUBLISH_TIP_ABILITY, incident.municipality_id):
        return False
    return resolver.can(VIEW, incident)


def count_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    """The counts are aggregates shared by the municipality's partners (the lägesbild): whoever
    can view the municipality reads them; nobody changes them (their writer is Brygga)."""
    if action == VIEW:
        return qs.filter(municipality_id__in=resolver.municipalities_with("view"))
    return qs.none()


def register() -> None:
    """Join the incidents app's models to the resolver (called from ``IncidentsConfig.ready``)."""
    register_rule(Incident, incident_rule)
    register_rule(Category, category_rule)
    register_rule(PoliceTypeMapping, police_mapping_rule)
    register_rule(ImportProfile, import_rule)
    register_rule(ImportJob, import_rule)
    register_rule(NilReport, nil_report_rule)
    register_rule(Open311Key, open311_key_rule)
    register_rule(Open311Contact, open311_contact_rule)
    register_rule(Open311Request, open311_request_rule)
    register_rule(IncidentCount, count_rule)
    register_rule(IncidentDayCount, count_rule)

    register_create_abilities(Incident, ("report", "manage"))
    register_create_abilities(NilReport, ("report", "manage"))
    register_create_abilities(ImportJob, IMPORT_ABILITIES)
    register_create_abilities(ImportProfile, IMPORT_ABILITIES)
    register_create_abilities(Open311Key, ("administer",))
