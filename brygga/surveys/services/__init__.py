"""Writes of the safety survey (the one writer of every model of the app). Keyword-only and
atomic; the change tracker writes the audit rows of waves, questions, indices and imports in
the same transaction, and the respondent rows (written in bulk, never tracked one by one) get
one audit row per import (``survey_responses_replaced``).

``waves``: a wave and its questionnaire (from the national template or a codebook).
``wave_responses_replace``: the respondents of a wave, all at once."""

from __future__ import annotations

from .waves import (
    NATIONAL_TEMPLATE,
    Respondent,
    SurveyDefinitionError,
    load_template,
    questionnaire_replace,
    wave_create,
    wave_delete,
    wave_responses_replace,
    wave_update,
)

__all__ = [
    "NATIONAL_TEMPLATE",
    "Respondent",
    "SurveyDefinitionError",
    "load_template",
    "questionnaire_replace",
    "wave_create",
    "wave_delete",
    "wave_responses_replace",
    "wave_update",
]
