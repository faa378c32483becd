"""Rows of the plans app for tests, made directly (the services are tested on their own). Each
takes the world's municipality and organisations; every argument can be overridden."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.plans.models import (
    ActionItem,
    ActionPlan,
    Agreement,
    AgreementParty,
    AgreementPriority,
    CitizenPromise,
    Indicator,
    Measure,
    Meeting,
    Operation,
    PlanProblem,
    link_defaults,
)


def _make(model, **fields):
    with acting_as(label="test setup"):
        return model.objects.create(**fields)


def agreement(municipality, **kw) -> Agreement:
    kw.setdefault("title", "Samverkansöverenskommelse 2024–2027")
    kw.setdefault("period_start", dt.date(2024, 1, 1))
    kw.setdefault("period_end", dt.date(2027, 12, 31))
    return _make(Agreement, municipality=municipality, **kw)


def party(agreement_, organisation, **kw) -> AgreementParty:
    return _make(AgreementParty, agreement=agreement_, organisation=organisation, **kw)


def priority(agreement_, title="Trygga miljöer", **kw) -> AgreementPriority:
    return _make(AgreementPriority, agreement=agreement_, title=title, **kw)


def promise(municipality, **kw) -> CitizenPromise:
    kw.setdefault("title", "Tryggare centrum")
    kw.setdefault("text", "Polisen och kommunen lovar att arbeta för ett tryggare centrum.")
    kw.setdefault("period_start", dt.date(2025, 1, 1))
    kw.setdefault("period_end", dt.date(2025, 12, 31))
    return _make(CitizenPromise, municipality=municipality, **kw)


def plan(municipality, **kw) -> ActionPlan:
    kw.setdefault("title", "Åtgärdsplan 2025–2026")
    kw.setdefault("period_start", dt.date(2025, 1, 1))
    kw.setdefault("period_end", dt.date(2026, 12, 31))
    return _make(ActionPlan, municipality=municipality, **kw)


def problem(plan_, title="Öppen narkotikahandel i centrum", **kw) -> PlanProblem:
    return _make(PlanProblem, plan=plan_, title=title, **kw)


def measure(plan_, owner, *, areas=(), partners=(), **kw) -> Measure:
    kw.setdefault("title", "Extra fältassistent helgkvällar")
    kw.setdefault("level", "selective")
    kw.setdefault("start", plan_.period_start)
    m = _make(Measure, municipality=plan_.municipality, plan=plan_, owner=owner, **kw)
    with acting_as(label="test setup"):
        if areas:
            m.areas.set(areas, through_defaults=link_defaults(m))
        if partners:
            m.partners.set(partners, through_defaults=link_defaults(m))
    return m


def operation(municipality, *, organisations=(), **kw) -> Operation:
    start = kw.pop("started_at", timezone.make_aware(dt.datetime(2025, 3, 7, 18, 0)))
    kw.setdefault("kind", "field_presence")
    kw.setdefault("title", "Fältarbete fredag kväll")
    kw.setdefault("ended_at", start + dt.timedelta(hours=4))
    kw.setdefault("hours", Decimal("8.0"))
    op = _make(Operation, municipality=municipality, started_at=start, **kw)
    if organisations:
        with acting_as(label="test setup"):
            op.organisations.set(organisations, through_defaults=link_defaults(op))
    return op


def indicator(municipality, **kw) -> Indicator:
    kw.setdefault("name", "Anmälda händelser i centrum")
    kw.setdefault("source", "incidents")
    kw.setdefault("baseline_start", dt.date(2024, 1, 1))
    kw.setdefault("baseline_end", dt.date(2024, 12, 31))
    return _make(Indicator, municipality=municipality, **kw)


def meeting(forum, **kw) -> Meeting:
    start = kw.pop("starts_at", timezone.make_aware(dt.datetime(2025, 4, 10, 13, 0)))
    kw.setdefault("title", f"{forum.name}: möte")
    kw.setdefault("ends_at", start + dt.timedelta(hours=2))
    return _make(Meeting, municipality=forum.municipality, forum=forum, starts_at=start, **kw)


def action_item(meeting_, **kw) -> ActionItem:
    kw.setdefault("title", "Ta fram förslag på belysning")
    kw.setdefault("due_on", dt.date(2025, 5, 1))
    return _make(ActionItem, municipality=meeting_.municipality, meeting=meeting_, **kw)
