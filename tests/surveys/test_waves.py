"""The wave services: a wave from the national template, its checks, and the replacement of
its respondents in one transaction with one audit row."""

import pytest
from django.core.exceptions import PermissionDenied

from brygga.audit.models import AuditEvent
from brygga.surveys.models import SurveyIndex, SurveyQuestion, SurveyResponse
from brygga.surveys.services import (
    Respondent,
    SurveyDefinitionError,
    load_template,
    wave_create,
    wave_responses_replace,
)

pytestmark = pytest.mark.django_db


def test_a_wave_from_the_template_has_its_questions_and_indices(world):
    wave = wave_create(actor=world.users["coordinator"], municipality=world.sundsvall, year=2024)
    assert "2024" in wave.name
    codes = set(SurveyQuestion.objects.filter(wave=wave).values_list("code", flat=True))
    assert {"klotter", "trygg_kvall", "utsatt_inbrott"} <= codes
    indices = dict(SurveyIndex.objects.filter(wave=wave).values_list("code", "rule"))
    assert indices["problemindex"] == "mean" and indices["utsatthet"] == "share"


def test_one_wave_a_year_and_a_clear_message(world):
    wave_create(actor=world.users["coordinator"], municipality=world.sundsvall, year=2024)
    with pytest.raises(SurveyDefinitionError) as caught:
        wave_create(actor=world.users["coordinator"], municipality=world.sundsvall, year=2024)
    assert "2024" in str(caught.value)


def test_an_index_naming_an_unknown_question_is_refused(world):
    questionnaire = load_template()
    questionnaire["indices"][0]["question_codes"].append("finns_inte")
    with pytest.raises(SurveyDefinitionError) as caught:
        wave_create(
            actor=world.users["coordinator"],
            municipality=world.sundsvall,
            year=2023,
            questionnaire=questionnaire,
        )
    assert "finns_inte" in str(caught.value)


def test_a_viewer_cannot_define_a_wave(world):
    with pytest.raises(PermissionDenied):
        wave_create(actor=world.users["viewer"], municipality=world.sundsvall, year=2024)


def test_responses_are_replaced_whole_with_one_audit_row(world):
    wave = wave_create(actor=world.users["coordinator"], municipality=world.sundsvall, year=2024)
    area = world.areas["centrum"]
    first = [Respondent(answers={"klotter": 2.0}, area_id=area.pk) for _ in range(5)]
    wave_responses_replace(actor=world.users["coordinator"], wave=wave, respondents=first)
    second = [Respondent(answers={"klotter": 3.0}, weight=1.5) for _ in range(3)]
    summary = wave_responses_replace(
        actor=world.users["coordinator"], wave=wave, respondents=second
    )
    assert (summary.responses, summary.replaced) == (3, 5)
    assert SurveyResponse.objects.filter(wave=wave).count() == 3
    wave.refresh_from_db()
    assert wave.responses == 3
    events = AuditEvent.objects.filter(event_type="survey_responses_replaced")
    assert events.count() == 2
