"""The survey app's rules for the one resolver (``brygga.core.access``).

Survey results are shared data of a municipality, published only as aggregates with small cells
suppressed (``selectors``): whoever can view the municipality sees them. Defining waves and
importing responses needs one of the import abilities (analysts, coordinators)."""

from __future__ import annotations

from django.db.models import QuerySet

from brygga.core.access import (
    IMPORT_ABILITIES,
    VIEW,
    AccessResolver,
    register_create_abilities,
    register_rule,
)

from .models import (
    PostcodeArea,
    SurveyImport,
    SurveyIndex,
    SurveyQuestion,
    SurveyResponse,
    SurveyWave,
)


def survey_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    if action == VIEW:
        return qs.filter(municipality_id__in=resolver.municipalities_with("view"))
    allowed: set[int] = set()
    for ability in IMPORT_ABILITIES:
        allowed |= resolver.municipalities_with(ability)
    return qs.filter(municipality_id__in=allowed)


def register() -> None:
    """Join the app's models to the resolver (called from ``SurveysConfig.ready``)."""
    for model in (
        SurveyWave,
        SurveyQuestion,
        SurveyIndex,
        SurveyImport,
        SurveyResponse,
        PostcodeArea,
    ):
        register_rule(model, survey_rule)
        register_create_abilities(model, IMPORT_ABILITIES)
