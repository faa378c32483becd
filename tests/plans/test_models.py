"""The plans app's database rules: what the constraints refuse, whatever writes the row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from brygga.plans.models import CitizenPromise

from . import factories as f

pytestmark = pytest.mark.django_db


def test_a_period_that_ends_before_it_starts_is_refused(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.agreement(
            world.sundsvall, period_start=dt.date(2025, 1, 1), period_end=dt.date(2024, 1, 1)
        )


def test_a_closed_promise_needs_its_justification(world):
    p = f.promise(world.sundsvall)
    p.status = "fulfilled"
    with pytest.raises(IntegrityError), transaction.atomic():
        p.save()
    p.status_justification = "Otryggheten i centrum minskade enligt trygghetsmätningen."
    p.save()
    assert CitizenPromise.objects.get(pk=p.pk).status == "fulfilled"


def test_link_rows_carry_their_owners_municipality(world):
    plan = f.plan(world.sundsvall)
    m = f.measure(
        plan, world.orgs["field"], areas=[world.areas["centrum"]], partners=[world.orgs["police"]]
    )
    assert {row.municipality_id for row in m.measurearea_set.all()} == {world.sundsvall.pk}
    assert {row.municipality_id for row in m.measurepartner_set.all()} == {world.sundsvall.pk}


def test_a_meeting_ends_after_it_starts(world):
    from django.utils import timezone

    start = timezone.make_aware(dt.datetime(2025, 4, 10, 13, 0))
    with pytest.raises(IntegrityError), transaction.atomic():
        f.meeting(world.forums["safety"], starts_at=start, ends_at=start)
