"""The yearly cycle (årshjul) of a municipality for one year: the events coordinators entered
plus the events Brygga derives from what it holds, each read through ``visible_to``:

* an action plan's ``revise_by`` → "plan revision due" (done when a later plan was adopted);
* an agreement's ``period_end`` → "renewal due" (done when a renewal was signed);
* each published lägesbild → "lägesbild done" on the day it was published;
* each survey wave of the year → "survey done" (on its field period's last day, else when it
  was imported, else 31 December);
* each meeting of the year (cancelled ones left out) → done once held.

An entered event of kind ``situation`` is done when a lägesbild was published in its due
year, one of kind ``survey`` when the year has a survey wave (the evidence is named).
Status: done; overdue (due before today, not done); due soon (within ``DUE_SOON_DAYS``);
planned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from brygga.core.access import VIEW
from brygga.core.models import Municipality

from ..models import ActionPlan, Agreement, CycleEvent, CycleKind, Meeting

__all__ = ["CycleItem", "cycle_year", "DUE_SOON_DAYS"]

DUE_SOON_DAYS = 30
DONE, OVERDUE, DUE_SOON, PLANNED = "done", "overdue", "due_soon", "planned"


@dataclass
class CycleItem:
    kind: str  # a CycleKind value or "meeting"
    title: str
    due_on: dt.date
    done_on: dt.date | None
    source: str  # "entered", "plan", "agreement", "situation", "survey", "meeting"
    url: str = ""
    evidence: str = ""
    event: CycleEvent | None = None
    status: str = PLANNED

    @property
    def day(self) -> dt.date:
        return self.done_on or self.due_on

    @property
    def kind_label(self) -> str:
        if self.kind == "meeting":
            return _("Meeting")
        return str(dict(CycleKind.choices).get(self.kind, self.kind))


def _status(item: CycleItem, today: dt.date) -> str:
    if item.done_on is not None:
        return DONE
    if item.due_on < today:
        return OVERDUE
    if item.due_on <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON
    return PLANNED


def _reports(user, municipality):
    from brygga.situation.models import SituationReport

    return (
        SituationReport.objects.visible_to(user, VIEW)
        .filter(municipality=municipality, state=SituationReport.State.PUBLISHED)
        .order_by("published_at", "pk")
    )


def _waves(user, municipality):
    from brygga.surveys.models import SurveyWave

    return SurveyWave.objects.visible_to(user, VIEW).filter(municipality=municipality)


def wave_day(wave) -> dt.date:
    if wave.period_end:
        return wave.period_end
    if wave.imported_at:
        return timezone.localdate(wave.imported_at)
    return dt.date(wave.year, 12, 31)


def cycle_year(
    user, municipality: Municipality, year: int, today: dt.date | None = None
) -> list[CycleItem]:
    """The events of ``year`` (entered and derived), by day."""
    today = today or timezone.localdate()
    code = municipality.code
    items: list[CycleItem] = []
    reports = list(_reports(user, municipality))
    waves = list(_waves(user, municipality))

    def report_in(y: int):
        return next(
            (r for r in reports if r.published_at and timezone.localdate(r.published_at).year == y),
            None,
        )

    def wave_in(y: int):
        return next((w for w in waves if w.year == y), None)

    entered = (
        CycleEvent.objects.visible_to(user, VIEW)
        .filter(municipality=municipality, due_on__year=year)
        .select_related("forum", "plan")
    )
    for e in entered:
        item = CycleItem(e.kind, e.title, e.due_on, e.done_on, "entered", event=e)
        if e.done_on is None and e.kind == CycleKind.SITUATION:
            report = report_in(e.due_on.year)
            if report is not None:
                item.done_on = timezone.localdate(report.published_at)
                item.evidence = _("Lägesbild “%(t)s”, published %(d)s") % {
                    "t": report.title,
                    "d": item.done_on.isoformat(),
                }
                item.url = reverse("situation:report_detail", args=[code, report.pk])
        elif e.done_on is None and e.kind == CycleKind.SURVEY:
            wave = wave_in(e.due_on.year)
            if wave is not None:
                item.done_on = wave_day(wave)
                item.evidence = _("Survey wave “%(t)s”") % {"t": wave.name}
        items.append(item)

    plans = list(ActionPlan.objects.visible_to(user, VIEW).filter(municipality=municipality))
    for p in plans:
        if p.revise_by is None or p.revise_by.year != year:
            continue
        later = sorted(
            (q for q in plans if q.pk != p.pk and q.adopted_on and q.period_start > p.period_start),
            key=lambda q: q.adopted_on,
        )
        item = CycleItem(
            CycleKind.PLAN_REVISION,
            _("Revision of “%(t)s”") % {"t": p.title},
            p.revise_by,
            later[0].adopted_on if later else None,
            "plan",
        )
        if later:
            item.evidence = _("“%(t)s”, adopted %(d)s") % {
                "t": later[0].title,
                "d": later[0].adopted_on.isoformat(),
            }
        items.append(item)

    agreements = Agreement.objects.visible_to(user, VIEW).filter(
        municipality=municipality, period_end__year=year
    )
    for a in agreements.prefetch_related("renewals"):
        renewal = next((r for r in a.renewals.all() if r.signed_on), None)
        item = CycleItem(
            CycleKind.AGREEMENT,
            _("Renewal of “%(t)s”") % {"t": a.title},
            a.period_end,
            renewal.signed_on if renewal else None,
            "agreement",
        )
        if renewal:
            item.evidence = _("“%(t)s”, signed %(d)s") % {
                "t": renewal.title,
                "d": renewal.signed_on.isoformat(),
            }
        items.append(item)

    for r in reports:
        day = timezone.localdate(r.published_at) if r.published_at else None
        if day is None or day.year != year:
            continue
        items.append(
            CycleItem(
                CycleKind.SITUATION,
                r.title,
                day,
                day,
                "situation",
                url=reverse("situation:report_detail", args=[code, r.pk]),
            )
        )

    for w in waves:
        if w.year != year:
            continue
        day = wave_day(w)
        items.append(CycleItem(CycleKind.SURVEY, w.name, day, day, "survey"))

    meetings = (
        Meeting.objects.visible_to(user, VIEW)
        .filter(municipality=municipality, starts_at__year=year)
        .exclude(state=Meeting.State.CANCELLED)
        .select_related("forum")
    )
    for m in meetings:
        day = timezone.localdate(m.starts_at)
        items.append(
            CycleItem(
                "meeting",
                f"{m.forum.name}: {m.title}" if m.forum.name not in m.title else m.title,
                day,
                day if m.state == Meeting.State.HELD else None,
                "meeting",
                url=reverse("plans:meeting_detail", args=[code, m.pk]),
            )
        )

    for item in items:
        item.status = _status(item, today)
    items.sort(key=lambda i: (i.day, i.title))
    return items
