"""The survey app's gallring rules (registered with ``brygga.core.retention``).

``surveys.import_files``     an original response file kept after its import (a municipal
                             administrator's choice) is cleared at its ``keep_until`` date, or
                             once the period has passed since the import (default 90 days).
                             A file is otherwise emptied as soon as its import ends.
``surveys.import_previews``  uploads left unconfirmed (preview) are deleted, with their file,
                             after a day.

Descriptions name the wave's year and the date, never the file's content or name.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.core.retention import CLEAR, DELETE, HOURS, Disposal, Rule, register

from .models import SurveyImport

JOB = SurveyImport._meta.label_lower


def _scoped(municipality):
    if municipality is None:
        return SurveyImport.objects.none()
    return SurveyImport.objects.filter(municipality=municipality)


def _day(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d")


def plan_import_files(municipality, cutoff, now) -> list[Disposal]:
    today = timezone.localdate(now)
    qs = (
        _scoped(municipality)
        .filter(state__in=[SurveyImport.State.DONE, SurveyImport.State.FAILED])
        .exclude(content=b"")
        .filter(Q(keep_until__lt=today) | Q(keep_until__isnull=True) | Q(updated_at__lt=cutoff))
    )
    return [
        Disposal(
            "surveys.import_files",
            municipality.pk,
            JOB,
            str(pk),
            CLEAR,
            _("Survey response file imported %(day)s") % {"day": _day(created)},
            ("content",),
        )
        for pk, created in qs.order_by("pk").values_list("pk", "created_at")
    ]


def plan_import_previews(municipality, cutoff, now) -> list[Disposal]:
    qs = _scoped(municipality).filter(state=SurveyImport.State.PREVIEW, created_at__lt=cutoff)
    return [
        Disposal(
            "surveys.import_previews",
            municipality.pk,
            JOB,
            str(pk),
            DELETE,
            _("Unconfirmed survey upload of %(day)s") % {"day": _day(created)},
        )
        for pk, created in qs.order_by("pk").values_list("pk", "created_at")
    ]


def _apply(items, now) -> None:
    from .services.imports import dispose_survey_imports

    dispose_survey_imports(items, now)


def register_rules() -> None:
    register(
        Rule(
            key="surveys.import_files",
            label=gettext_lazy("Kept survey response files"),
            help_text=gettext_lazy(
                "A survey response file is removed as soon as its import ends, unless a "
                "municipal administrator chose to keep it: then it is removed this long after "
                "the import at the latest."
            ),
            default=90,
            minimum=1,
            maximum=730,
            scopes=("municipality",),
            plan=plan_import_files,
            apply=_apply,
        )
    )
    register(
        Rule(
            key="surveys.import_previews",
            label=gettext_lazy("Unconfirmed survey uploads"),
            help_text=gettext_lazy(
                "An uploaded survey file that was never confirmed is removed this many hours "
                "after the upload."
            ),
            unit=HOURS,
            default=24,
            minimum=1,
            maximum=168,
            scopes=("municipality",),
            plan=plan_import_previews,
            apply=_apply,
        )
    )
