"""The process tracker: where the municipality and the police area stand in the five steps of
the national cooperation handbook (samverkanshandboken), each checklist item ticked from
evidence that Brygga holds — never by hand — with the evidence named and linked, and what is
missing said plainly. Every query reads through ``visible_to`` as the user, so the tracker
never tells of rows the user may not see.

Evidence (``ITEMS`` below, one function per item):

1. Initiate: a forum where the police and a municipal organisation sit together; a held
   meeting of such a forum.
2. Own preparations: a published lägesbild by a member of a municipal organisation (the
   municipality's own) and one by a member of a police organisation (the police's own); a
   staff dialogue.
3. Joint preparations: a published lägesbild of a joint forum (police and municipality); an
   action plan with prioritised problems; a citizen dialogue; a cause analysis (offender,
   place, victim) for every prioritised problem of the newest plan; a signed agreement.
4. Implementation: a plan with goals; measures that act on an analysed problem; an adopted
   plan; a published citizen promise; follow-up planned (an indicator on a measure, or a
   report-back in the yearly cycle).
5. Follow-up: an issued report-back; an evaluation with a computed result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brygga.core.access import VIEW
from brygga.core.models import Forum, Membership, Municipality, OrganisationKind

from .models import (
    ActionPlan,
    Agreement,
    CitizenPromise,
    CycleEvent,
    CycleKind,
    Dialogue,
    DialogueKind,
    Evaluation,
    FollowUpReport,
    Indicator,
    Measure,
    Meeting,
    PlanProblem,
)

MUNICIPAL_KINDS = (
    OrganisationKind.SOCIAL_SERVICES,
    OrganisationKind.SCHOOL,
    OrganisationKind.LEISURE,
    OrganisationKind.FIELD_WORK,
    OrganisationKind.URBAN_DEVELOPMENT,
    OrganisationKind.MUNICIPAL_OTHER,
)


@dataclass
class Evidence:
    text: str
    url: str = ""


@dataclass
class Item:
    key: str
    label: str
    done: bool
    evidence: list[Evidence] = field(default_factory=list)
    missing: str = ""


@dataclass
class Step:
    number: int
    title: str
    items: list[Item]

    @property
    def done(self) -> bool:
        return all(i.done for i in self.items)

    @property
    def n_done(self) -> int:
        return sum(i.done for i in self.items)


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a page another part has not installed yet
        return ""


class _Ctx:
    def __init__(self, user, municipality: Municipality):
        self.user = user
        self.m = municipality
        self.code = municipality.code

    def qs(self, model):
        return model.objects.visible_to(self.user, VIEW).filter(municipality=self.m)

    def joint_forums(self):
        return (
            Forum.objects.visible_to(self.user, VIEW)
            .filter(municipality=self.m, organisations__kind=OrganisationKind.POLICE)
            .filter(pk__in=Forum.objects.filter(organisations__kind__in=MUNICIPAL_KINDS))
            .distinct()
        )

    def published_reports(self):
        from brygga.situation.models import SituationReport

        return self.qs(SituationReport).filter(state="published").order_by("-published_at")

    def report_evidence(self, r) -> Evidence:
        day = timezone.localdate(r.published_at).isoformat() if r.published_at else ""
        return Evidence(
            _("“%(t)s”, published %(d)s") % {"t": r.title, "d": day},
            _url("situation:report_detail", self.code, r.pk),
        )


def _item(key, label, rows, evidence: Callable, missing) -> Item:
    rows = list(rows[:3])
    return Item(key, str(label), bool(rows), [evidence(r) for r in rows], str(missing))


def joint_forum(c: _Ctx) -> Item:
    return _item(
        "forum",
        gettext_lazy("A forum where the police and the municipality work together"),
        c.joint_forums().order_by("name"),
        lambda f: Evidence(f.name, _url("core:forum_detail", c.code, f.pk)),
        gettext_lazy("No forum has both the police and a municipal organisation as members."),
    )


def meeting_held(c: _Ctx) -> Item:
    rows = (
        c.qs(Meeting)
        .filter(forum__in=c.joint_forums(), state=Meeting.State.HELD)
        .select_related("forum")
    )
    return _item(
        "meeting",
        gettext_lazy("The joint forum has met"),
        rows.order_by("-starts_at"),
        lambda m: Evidence(
            f"{m.title} ({timezone.localdate(m.starts_at).isoformat()})",
            _url("plans:meeting_detail", c.code, m.pk),
        ),
        gettext_lazy("No meeting of a joint forum is recorded as held."),
    )


def _reports_by(c: _Ctx, kinds) -> list:
    publishers = Membership.objects.filter(
        organisation__municipality=c.m, organisation__kind__in=kinds
    ).values("user_id")
    return c.published_reports().filter(published_by__in=publishers)


def own_situation_municipality(c: _Ctx) -> Item:
    return _item(
        "own_situation_municipality",
        gettext_lazy("The municipality's own lägesbild"),
        _reports_by(c, MUNICIPAL_KINDS),
        c.report_evidence,
        gettext_lazy("No lägesbild has been published by a member of a municipal organisation."),
    )


def own_situation_police(c: _Ctx) -> Item:
    return _item(
        "own_situation_police",
        gettext_lazy("The police's own lägesbild"),
        _reports_by(c, (OrganisationKind.POLICE,)),
        c.report_evidence,
        gettext_lazy("No lägesbild has been published by a member of the police."),
    )


def _dialogues(c: _Ctx, kind: str, key: str, label, missing) -> Item:
    return _item(
        key,
        label,
        c.qs(Dialogue).filter(kind=kind).order_by("-held_on"),
        lambda d: Evidence(
            f"{d.title} ({d.held_on.isoformat()})", _url("plans:dialogue_detail", c.code, d.pk)
        ),
        missing,
    )


def staff_dialogues(c: _Ctx) -> Item:
    return _dialogues(
        c,
        DialogueKind.STAFF,
        "staff_dialogues",
        gettext_lazy("Staff dialogues"),
        gettext_lazy("No staff dialogue is recorded."),
    )


def citizen_dialogues(c: _Ctx) -> Item:
    return _dialogues(
        c,
        DialogueKind.CITIZEN,
        "citizen_dialogues",
        gettext_lazy("Citizen dialogues"),
        gettext_lazy("No citizen dialogue is recorded."),
    )


def joint_situation(c: _Ctx) -> Item:
    return _item(
        "joint_situation",
        gettext_lazy("A joint lägesbild published"),
        c.published_reports().filter(forum__in=c.joint_forums()),
        c.report_evidence,
        gettext_lazy(
            "No lägesbild of a forum where the police and the municipality sit together has "
            "been published."
        ),
    )


def _plan_evidence(c: _Ctx):
    return lambda p: Evidence(p.title, _url("plans:plan_detail", c.code, p.pk))


def prioritised_problems(c: _Ctx) -> Item:
    return _item(
        "problems",
        gettext_lazy("Prioritised problems"),
        c.qs(ActionPlan).filter(problems__isnull=False).distinct().order_by("-period_start"),
        _plan_evidence(c),
        gettext_lazy("No action plan has prioritised problems."),
    )


def cause_analysis(c: _Ctx) -> Item:
    label = gettext_lazy("A cause analysis for every prioritised problem")
    plan = (
        c.qs(ActionPlan).filter(problems__isnull=False).distinct().order_by("-period_start").first()
    )
    if plan is None:
        return Item(
            "cause_analysis", str(label), False, [], _("There are no prioritised problems.")
        )
    problems = list(PlanProblem.objects.filter(municipality=c.m, plan=plan))
    analysed = [p for p in problems if p.has_cause_analysis]
    lacking = [p.title for p in problems if not p.has_cause_analysis]
    ev = [
        Evidence(
            _("%(plan)s: %(n)s of %(total)s problems analysed")
            % {"plan": plan.title, "n": len(analysed), "total": len(problems)},
            _url("plans:plan_detail", c.code, plan.pk),
        )
    ]
    missing = ""
    if lacking:
        missing = _("No cause analysis (offender, place and victim) yet for: %(p)s") % {
            "p": ", ".join(lacking)
        }
    return Item("cause_analysis", str(label), not lacking, ev, missing)


def signed_agreement(c: _Ctx) -> Item:
    return _item(
        "agreement",
        gettext_lazy("A signed cooperation agreement"),
        c.qs(Agreement).filter(signed_on__isnull=False).order_by("-signed_on"),
        lambda a: Evidence(
            _("“%(t)s”, signed %(d)s") % {"t": a.title, "d": a.signed_on.isoformat()},
            _url("plans:agreement_detail", c.code, a.pk),
        ),
        gettext_lazy("No cooperation agreement has been signed."),
    )


def goals(c: _Ctx) -> Item:
    return _item(
        "goals",
        gettext_lazy("Goals set"),
        c.qs(ActionPlan).exclude(goals="").order_by("-period_start"),
        _plan_evidence(c),
        gettext_lazy("No action plan states its goals."),
    )


def measures_on_causes(c: _Ctx) -> Item:
    analysed = Q(problem__offender="") | Q(problem__place="") | Q(problem__victim="")
    rows = c.qs(Measure).filter(problem__isnull=False).exclude(analysed).select_related("plan")
    return _item(
        "measures",
        gettext_lazy("Measures that act on the analysed causes"),
        rows.order_by("-start"),
        lambda m: Evidence(m.title, _url("plans:measure_detail", c.code, m.pk)),
        gettext_lazy("No measure is linked to a problem with a cause analysis."),
    )


def plan_adopted(c: _Ctx) -> Item:
    return _item(
        "plan_adopted",
        gettext_lazy("An action plan adopted"),
        c.qs(ActionPlan).filter(state=ActionPlan.State.ADOPTED).order_by("-adopted_on"),
        lambda p: Evidence(
            _("“%(t)s”, adopted %(d)s") % {"t": p.title, "d": p.adopted_on.isoformat()},
            _url("plans:plan_detail", c.code, p.pk),
        ),
        gettext_lazy("No action plan has been adopted."),
    )


def promises(c: _Ctx) -> Item:
    return _item(
        "promises",
        gettext_lazy("Citizen promises signed and communicated"),
        c.qs(CitizenPromise).filter(published_on__isnull=False).order_by("-published_on"),
        lambda p: Evidence(
            _("“%(t)s”, published %(d)s") % {"t": p.title, "d": p.published_on.isoformat()},
            _url("plans:promise_detail", c.code, p.pk),
        ),
        gettext_lazy("No citizen promise has been published."),
    )


def follow_up_planned(c: _Ctx) -> Item:
    indicators = list(c.qs(Indicator).filter(measure__isnull=False).order_by("name")[:3])
    events = list(c.qs(CycleEvent).filter(kind=CycleKind.REPORT_BACK).order_by("due_on")[:3])
    ev = [Evidence(i.name, _url("plans:indicator_detail", c.code, i.pk)) for i in indicators]
    ev += [
        Evidence(
            f"{e.title} ({e.due_on.isoformat()})",
            _url("plans:cycle", c.code) + f"?ar={e.due_on.year}"
            if _url("plans:cycle", c.code)
            else "",
        )
        for e in events
    ]
    return Item(
        "follow_up_planned",
        _("Follow-up planned"),
        bool(ev),
        ev,
        _("No measure has an indicator and no report-back is planned in the yearly cycle."),
    )


def report_back(c: _Ctx) -> Item:
    return _item(
        "report_back",
        gettext_lazy("A report-back issued"),
        c.qs(FollowUpReport).filter(state=FollowUpReport.State.ISSUED).order_by("-issued_at"),
        lambda r: Evidence(r.title, _url("plans:followup_detail", c.code, r.pk)),
        gettext_lazy("No report-back has been issued."),
    )


def evaluations(c: _Ctx) -> Item:
    return _item(
        "evaluations",
        gettext_lazy("Measures evaluated"),
        c.qs(Evaluation).filter(computed_at__isnull=False).order_by("-computed_at"),
        lambda e: Evidence(e.title, _url("plans:evaluation_detail", c.code, e.pk)),
        gettext_lazy("No evaluation has a computed result."),
    )


STEPS = (
    (1, gettext_lazy("Initiate cooperation"), (joint_forum, meeting_held)),
    (
        2,
        gettext_lazy("Own preparations"),
        (own_situation_municipality, own_situation_police, staff_dialogues),
    ),
    (
        3,
        gettext_lazy("Joint preparations"),
        (
            joint_situation,
            prioritised_problems,
            citizen_dialogues,
            cause_analysis,
            signed_agreement,
        ),
    ),
    (
        4,
        gettext_lazy("Implementation"),
        (goals, measures_on_causes, plan_adopted, promises, follow_up_planned),
    ),
    (5, gettext_lazy("Follow-up"), (report_back, evaluations)),
)


def process_steps(user, municipality: Municipality) -> list[Step]:
    """The five steps with their checklist, as ``user`` may see the evidence."""
    c = _Ctx(user, municipality)
    return [Step(n, str(title), [fn(c) for fn in fns]) for n, title, fns in STEPS]
