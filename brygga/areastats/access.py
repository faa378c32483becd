"""The area statistics app's rules for the one resolver (``brygga.core.access``).

Statistics are shared data of a municipality: whoever can view the municipality sees them.
Importing, changing and the fetch addresses need ``manage`` (those who may manage areas)."""

from __future__ import annotations

from django.db.models import QuerySet

from brygga.core.access import VIEW, AccessResolver, register_create_abilities, register_rule

from .models import StatFeed, StatImport, StatValue


def statistics_rule(resolver: AccessResolver, qs: QuerySet, action: str) -> QuerySet:
    ability = "view" if action == VIEW else "manage"
    return qs.filter(municipality_id__in=resolver.municipalities_with(ability))


def register() -> None:
    """Join the app's models to the resolver (called from ``AreaStatsConfig.ready``)."""
    for model in (StatImport, StatValue, StatFeed):
        register_rule(model, statistics_rule)
        register_create_abilities(model, ("manage",))
