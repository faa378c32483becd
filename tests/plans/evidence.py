"""Evidence rows for the yearly-cycle and process-tracker tests (published lägesbilder, survey
waves, report-backs, evaluations), made directly as the factories do."""

import datetime as dt

from django.utils import timezone

from brygga.audit.context import acting_as


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def published_report(world, *, day: dt.date, by=None, forum=None, title="Lägesbild"):
    from brygga.situation.models import SituationReport

    with acting_as(label="test setup"):
        return SituationReport.objects.create(
            municipality=world.sundsvall,
            forum=forum,
            title=title,
            period_start=dt.date(day.year - 1, 1, 1),
            period_end=dt.date(day.year - 1, 12, 31),
            state=SituationReport.State.PUBLISHED,
            snapshot={"meta": {}},
            published_at=at(day),
            published_by=by,
        )


def survey_wave(world, year: int, **kw):
    from brygga.surveys.models import SurveyWave

    kw.setdefault("period_end", dt.date(year, 9, 30))
    with acting_as(label="test setup"):
        return SurveyWave.objects.create(
            municipality=world.sundsvall,
            year=year,
            name=f"Trygghetsmätning {year}",
            method="postal",
            **kw,
        )


def dialogue(world, kind: str, **kw):
    from brygga.plans.models import Dialogue

    kw.setdefault("title", f"Dialog {kind}")
    kw.setdefault("held_on", dt.date(2025, 3, 1))
    kw.setdefault("findings", "Otrygghet vid busstationen kvällstid.")
    with acting_as(label="test setup"):
        return Dialogue.objects.create(municipality=world.sundsvall, kind=kind, **kw)


def cycle_event(world, kind: str, due_on: dt.date, **kw):
    from brygga.plans.models import CycleEvent

    kw.setdefault("title", f"Händelse {kind}")
    with acting_as(label="test setup"):
        return CycleEvent.objects.create(
            municipality=world.sundsvall, kind=kind, due_on=due_on, **kw
        )


def issued_follow_up(plan):
    from brygga.plans.models import FollowUpReport

    with acting_as(label="test setup"):
        return FollowUpReport.objects.create(
            municipality=plan.municipality,
            plan=plan,
            title="Återrapportering 2025",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 12, 31),
            state="issued",
            snapshot={},
            issued_at=timezone.now(),
        )


def computed_evaluation(measure):
    from brygga.plans.models import Evaluation

    with acting_as(label="test setup"):
        return Evaluation.objects.create(
            municipality=measure.municipality,
            measure=measure,
            title="Utvärdering",
            before_start=dt.date(2024, 1, 1),
            before_end=dt.date(2024, 12, 31),
            after_start=dt.date(2025, 1, 1),
            after_end=dt.date(2025, 12, 31),
            result={"effect": -0.2},
            computed_at=timezone.now(),
        )
