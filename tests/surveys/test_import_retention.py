"""Gallring of the survey import: a kept original file is cleared after its time, an
unconfirmed preview is deleted after a day; a file not kept is gone as soon as the import
ends (tests/surveys/test_import.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.core import retention
from brygga.surveys.models import SurveyImport
from brygga.surveys.services.imports import survey_import_map, survey_import_queue
from brygga.surveys.tasks import run_survey_import

from .test_import import make_job, to_csv, wave  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _kept_import(world, wave):  # noqa: F811
    admin = world.users["municipal_admin"]
    job = make_job(world, wave, actor="municipal_admin")
    with acting_as(admin):
        survey_import_map(actor=admin, job=job, columns=job.mapping["columns"], keep_file=True)
        survey_import_queue(actor=admin, job=job)
    run_survey_import.call(job.pk)
    job.refresh_from_db()
    return job


def test_the_rules_are_registered():
    keys = [r.key for r in retention.rules()]
    assert "surveys.import_files" in keys and "surveys.import_previews" in keys
    assert retention.rule("surveys.import_files").default == 90


def test_a_kept_file_is_cleared_by_gallring_after_its_period(world, wave):  # noqa: F811
    job = _kept_import(world, wave)
    assert bytes(job.content) == to_csv()
    soon = retention.run(municipalities=[world.sundsvall], installation=False)
    assert not [i for i in soon.items if i.rule == "surveys.import_files"]
    job.refresh_from_db()
    assert bytes(job.content) == to_csv()
    later = timezone.now() + timedelta(days=92)
    dry = retention.run(
        municipalities=[world.sundsvall], installation=False, dry_run=True, now=later
    )
    assert [i.object_id for i in dry.items if i.rule == "surveys.import_files"] == [str(job.pk)]
    retention.run(municipalities=[world.sundsvall], installation=False, now=later)
    job.refresh_from_db()
    assert bytes(job.content) == b"" and job.state == "done" and job.keep_until is None


def test_an_unconfirmed_preview_is_deleted_after_a_day(world, wave):  # noqa: F811
    job = make_job(world, wave)
    fresh = make_job(world, wave)
    SurveyImport.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=25))
    report = retention.run(municipalities=[world.sundsvall], installation=False)
    assert [i.object_id for i in report.items if i.rule == "surveys.import_previews"] == [
        str(job.pk)
    ]
    assert not SurveyImport.objects.filter(pk=job.pk).exists()
    assert SurveyImport.objects.filter(pk=fresh.pk).exists()
