"""EST area assessments and the weekly digest opt-in: who may give an organisation's
assessment, the week and level checks, changing and taking back an assessment."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from brygga.situation import services
from brygga.situation.models import AreaAssessment, DigestSubscription

pytestmark = pytest.mark.django_db


def _monday(weeks_ago=1):
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7 * weeks_ago)


def test_a_reporter_assesses_the_groups_areas_for_their_organisation(world):
    forum, field = world.forums["safety"], world.orgs["field"]
    centrum = world.areas["centrum"]
    n = services.assessments_set(
        actor=world.users["reporter"],
        forum=forum,
        organisation=field,
        week_start=_monday(),
        levels={centrum.pk: 3},
    )
    assert n == 1
    row = AreaAssessment.objects.get()
    assert (row.level, row.organisation, row.assessed_by) == (3, field, world.users["reporter"])
    services.assessments_set(
        actor=world.users["reporter"],
        forum=forum,
        organisation=field,
        week_start=_monday(),
        levels={centrum.pk: 1},
    )
    assert AreaAssessment.objects.get().level == 1  # changed, not added
    services.assessments_set(
        actor=world.users["reporter"],
        forum=forum,
        organisation=field,
        week_start=_monday(),
        levels={centrum.pk: None},
    )
    assert not AreaAssessment.objects.exists()  # taken back


def test_nobody_assesses_for_an_organisation_they_do_not_report_for(world):
    forum, centrum = world.forums["safety"], world.areas["centrum"]
    cases = [
        ("reporter", world.orgs["housing"]),  # a member organisation, but not theirs
        ("viewer", world.orgs["kommun"]),  # not a member organisation of the group
        ("case_worker", world.orgs["social"]),  # no report ability, not a member
        ("outsider", world.orgs["field"]),
    ]
    for actor, org in cases:
        with pytest.raises(PermissionDenied):
            services.assessments_set(
                actor=world.users[actor],
                forum=forum,
                organisation=org,
                week_start=_monday(),
                levels={centrum.pk: 2},
            )
    # a coordinator may, for a member organisation
    services.assessments_set(
        actor=world.users["coordinator"],
        forum=forum,
        organisation=world.orgs["housing"],
        week_start=_monday(),
        levels={centrum.pk: 2},
    )


def test_bad_weeks_levels_and_areas_are_refused(world):
    forum, field, centrum = world.forums["safety"], world.orgs["field"], world.areas["centrum"]
    reporter = world.users["reporter"]
    bad = [
        (_monday() + dt.timedelta(days=2), {centrum.pk: 2}),  # not a Monday
        (_monday(-1), {centrum.pk: 2}),  # next week
        (_monday(), {centrum.pk: 7}),  # no such level
        (_monday(), {world.areas["nacksta"].pk: 2}),  # not the group's area
    ]
    for week, levels in bad:
        with pytest.raises(ValidationError):
            services.assessments_set(
                actor=reporter, forum=forum, organisation=field, week_start=week, levels=levels
            )
    assert not AreaAssessment.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaAssessment.objects.create(
            municipality=world.sundsvall,
            forum=forum,
            area=centrum,
            organisation=field,
            week_start=_monday(),
            level=9,
        )


def test_only_safety_groups_have_assessments(world):
    with pytest.raises(PermissionDenied):
        services.assessments_set(
            actor=world.users["coordinator"],
            forum=world.forums["sspf"],
            organisation=world.orgs["social"],
            week_start=_monday(),
            levels={},
        )


def test_the_digest_is_opt_in_per_user_and_group(world):
    forum, viewer = world.forums["safety"], world.users["viewer"]
    viewer.email = "viewer@example.se"
    viewer.save()
    assert services.digest_subscribe(actor=viewer, forum=forum, on=True)
    services.digest_subscribe(actor=viewer, forum=forum, on=True)  # twice: still one
    assert DigestSubscription.objects.filter(user=viewer).count() == 1
    services.digest_subscribe(actor=viewer, forum=forum, on=False)
    assert not DigestSubscription.objects.exists()
    nobody = world.users["analyst"]
    nobody.email = ""
    nobody.save()
    with pytest.raises(ValidationError):
        services.digest_subscribe(actor=nobody, forum=forum, on=True)
    with pytest.raises(PermissionDenied):
        services.digest_subscribe(actor=world.users["outsider"], forum=forum, on=True)
