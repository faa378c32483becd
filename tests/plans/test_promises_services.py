"""The services of citizen promises: who may write, the period, the extension after the end,
a closed status only with a justification (the database check backs it), problems only of
plans the actor reads, publication, the overlap warning's selector, and the audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from brygga.audit.models import AuditEvent
from brygga.plans import selectors, services
from brygga.plans.models import CitizenPromise

from . import factories

pytestmark = pytest.mark.django_db


def _create(world, actor="coordinator", **kw):
    kw.setdefault("title", "Tryggare resecentrum")
    kw.setdefault("text", "Vi lovar fler vuxna vid resecentrum på kvällarna.")
    kw.setdefault("period_start", dt.date(2025, 1, 1))
    kw.setdefault("period_end", dt.date(2025, 12, 31))
    return services.promise_create(actor=world.users[actor], municipality=world.sundsvall, **kw)


def test_create_with_problems_and_agreement(world):
    plan = factories.plan(world.sundsvall)
    problem = factories.problem(plan)
    agreement = factories.agreement(world.sundsvall)
    p = _create(world, problems=[problem], agreement=agreement, police_commitments="Närvaro")
    assert list(p.problems.all()) == [problem]
    assert p.agreement == agreement and p.status == "active" and p.published_on is None


@pytest.mark.parametrize("actor", ["viewer", "reporter", "analyst", "case_worker", "outsider"])
def test_only_coordinators_write(world, actor):
    with pytest.raises(PermissionDenied):
        _create(world, actor=actor)
    promise = factories.promise(world.sundsvall)
    for call in (
        lambda u: services.promise_set_status(actor=u, promise=promise, status="active"),
        lambda u: services.promise_extend(
            actor=u, promise=promise, extended_to=dt.date(2026, 6, 30)
        ),
        lambda u: services.promise_publish(actor=u, promise=promise),
    ):
        with pytest.raises(PermissionDenied):
            call(world.users[actor])
    promise.refresh_from_db()
    assert promise.extended_to is None and promise.published_on is None


def test_period_end_before_start(world):
    with pytest.raises(ValidationError) as exc:
        _create(world, period_start=dt.date(2025, 6, 1), period_end=dt.date(2025, 1, 1))
    assert "period_end" in exc.value.message_dict
    assert not CitizenPromise.objects.exists()


def test_problem_of_a_plan_the_actor_cannot_see_or_of_another_municipality(world):
    other = factories.problem(factories.plan(world.timra, title="Timrå plan"))
    with pytest.raises(ValidationError) as exc:
        _create(world, problems=[other])
    assert "problems" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _create(world, agreement=factories.agreement(world.timra))


def test_extension_must_end_after_the_period(world):
    p = _create(world)
    user = world.users["coordinator"]
    for bad in (dt.date(2025, 12, 31), dt.date(2025, 6, 1)):
        with pytest.raises(ValidationError) as exc:
            services.promise_extend(actor=user, promise=p, extended_to=bad)
        assert "extended_to" in exc.value.message_dict
    services.promise_extend(actor=user, promise=p, extended_to=dt.date(2026, 6, 30))
    p.refresh_from_db()
    assert p.extended_to == dt.date(2026, 6, 30) and p.ends_on == dt.date(2026, 6, 30)
    event = AuditEvent.objects.get(event_type="promise_extended")
    assert event.changes["to"] == "2026-06-30"


@pytest.mark.parametrize("status", ["fulfilled", "partly", "not_fulfilled"])
def test_closed_status_without_justification_refused(world, status):
    p = _create(world)
    user = world.users["coordinator"]
    with pytest.raises(ValidationError) as exc:
        services.promise_set_status(actor=user, promise=p, status=status, justification="  ")
    assert "status_justification" in exc.value.message_dict
    p.refresh_from_db()
    assert p.status == "active" and p.status_changed_on is None
    services.promise_set_status(actor=user, promise=p, status=status, justification="Klart.")
    p.refresh_from_db()
    assert p.status == status and p.status_changed_on == timezone.localdate()
    assert AuditEvent.objects.get(event_type="promise_status_set").changes == {
        "from": "active",
        "to": status,
    }


def test_database_check_backs_the_justification(world):
    p = factories.promise(world.sundsvall)
    with pytest.raises(IntegrityError), transaction.atomic():
        CitizenPromise.objects.filter(pk=p.pk).update(status="fulfilled", status_justification="")


def test_unknown_status_refused(world):
    p = _create(world)
    with pytest.raises(ValidationError):
        services.promise_set_status(actor=world.users["coordinator"], promise=p, status="closed")


def test_publish_sets_the_day(world):
    p = _create(world)
    services.promise_publish(actor=world.users["coordinator"], promise=p)
    p.refresh_from_db()
    assert p.published_on == timezone.localdate()
    assert AuditEvent.objects.filter(event_type="promise_published", object_id=str(p.pk)).exists()


def test_update_may_not_end_after_the_extension(world):
    p = _create(world)
    user = world.users["coordinator"]
    services.promise_extend(actor=user, promise=p, extended_to=dt.date(2026, 3, 31))
    with pytest.raises(ValidationError) as exc:
        services.promise_update(
            actor=user,
            municipality=world.sundsvall,
            instance=p,
            title=p.title,
            text=p.text,
            period_start=p.period_start,
            period_end=dt.date(2026, 6, 30),
        )
    assert "period_end" in exc.value.message_dict


def test_overlapping_promises_for_the_same_problem(world):
    problem = factories.problem(factories.plan(world.sundsvall))
    a = _create(world, title="A", problems=[problem])
    b = _create(
        world,
        title="B",
        problems=[problem],
        period_start=dt.date(2025, 10, 1),
        period_end=dt.date(2026, 9, 30),
    )
    c = _create(
        world,
        title="C",
        problems=[problem],
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 12, 31),
    )
    d = _create(world, title="D")  # no problem: never overlaps
    user = world.users["coordinator"]
    assert selectors.overlapping_promises(user, a) == [b]
    assert selectors.overlapping_promises(user, b) == [a]
    assert selectors.overlapping_promises(user, c) == []
    assert selectors.overlapping_promises(user, d) == []
    # an extension into the other's period makes it overlap
    services.promise_extend(actor=user, promise=b, extended_to=dt.date(2027, 2, 1))
    assert selectors.overlapping_promises(user, c) == [b]


def test_public_promises_only_published_up_to_today(world):
    today = timezone.localdate()
    published = factories.promise(world.sundsvall, title="Publicerat", published_on=today)
    factories.promise(world.sundsvall, title="Utkast")
    factories.promise(world.sundsvall, title="Senare", published_on=today + dt.timedelta(days=3))
    factories.promise(world.timra, title="Timrå", published_on=today)
    assert list(selectors.public_promises(world.sundsvall)) == [published]
