"""Reads of the lägesbild that do not go through a signed-in user's resolver.

The only one is what the public reads without signing in (``public_reports``): the published
reports whose audience is the public. Their snapshots were protected when they were published
(``snapshot.build_snapshot`` with ``audiences``: no count under k, no recoverable cell, no
free-text observations, nothing at point level), and they name no person (the writer and the
publisher are not part of the snapshot), so they can be served to anyone. Drafts and the
reports for the partners or the council are never returned here.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from brygga.core.models import Municipality

from .models import Audience, SituationReport


def public_municipality(code: str) -> Municipality:
    """The municipality ``code`` names (every Swedish municipality ships with Brygga);
    an unknown code is 404."""
    return get_object_or_404(Municipality.objects.all(), code=code)


def public_reports(municipality: Municipality) -> QuerySet[SituationReport]:
    """The published reports for the public of ``municipality``, newest first; every
    published version is listed, and ``superseded`` says whether a newer version of it has
    been published."""
    newer = SituationReport.objects.filter(
        municipality=municipality,
        supersedes=OuterRef("pk"),
        state=SituationReport.State.PUBLISHED,
    )
    return (
        SituationReport.objects.filter(
            municipality=municipality,
            state=SituationReport.State.PUBLISHED,
            audience=Audience.PUBLIC,
        )
        .annotate(superseded=Exists(newer))
        .order_by("-published_at", "-id")
    )


def public_report(municipality: Municipality, pk: int) -> SituationReport:
    """One published report for the public of ``municipality``; anything else is 404."""
    return get_object_or_404(public_reports(municipality), pk=pk)
