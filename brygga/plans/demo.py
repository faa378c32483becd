"""Demo plans for ``brygga demo``: the seed stories of steps 3–5 of the cycle as data, for
Sundsvall (2281), written through the services (the one writer of each model).

* A **cooperation agreement** in the style of Älvsbyn's: the municipality and the local police
  area, 2024–2027, with four priority areas and each party's commitments.
* A **lägesbild** published for the months before the demo measures started, and the **action
  plan** built from it: its first prioritised areas taken over as problems, each with a cause
  analysis, and Sundsvall's measures — youth investigators attached to the social services'
  area teams, an extra field worker on weekend evenings at Nacksta centrum, direct school–police
  contact routes, and work against the open drug trade in the centre.
* **Operations** logged under the measures (field presence every Friday and Saturday evening,
  safety walks with observations, targeted operations in the centre, school contacts), so the
  effort stands next to the incident trend.
* **Indicators**: reports at Nacksta per quarter, the safety survey's insecurity index in
  Nacksta, and a series entered by hand (the schools' own survey).
* An **evaluation** of the Nacksta measure against the other urban areas: the demo incidents
  thin out at Nacksta centrum from the measure's start (``incidents.demo.partners``), so it
  shows a measurable change.
* A **citizen promise** in the style of Hedemora's — extended, then fulfilled with its
  justification — and a current one; both published on the public page.
* **Meetings**: the BRÅ before and after the folkhälsoråd (seed 004), a held meeting with its
  minutes, decisions and action items (one done, one overdue, one coming up); the **yearly
  cycle**, a citizen and a staff **dialogue**, and an issued **report-back**.

Dates follow the demo incidents, which end yesterday: the measures started
``MEASURE_DAYS`` (about nine months) before today. A second run finds the agreement and adds
nothing.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from brygga.audit.context import acting_as
from brygga.core.access import SystemActor
from brygga.core.models import Area, AreaLayer, Forum, Municipality, Organisation, PoliceArea
from brygga.incidents.demo.partners import measure_start

from . import services
from .demo_work import WorkDemo, _add_months, _month_start
from .models import Agreement

DEMO_CODE = "2281"
AGREEMENT_TITLE = "Samverkansöverenskommelse Sundsvall 2024–2027 (demo)"
PRIORITIES = [
    "Arbeta förebyggande med barn och unga",
    "Trygga miljöer",
    "Våld i nära relationer",
    "Våld i offentlig miljö",
]


class _Demo(WorkDemo):
    def __init__(self, municipality: Municipality, today: dt.date):
        self.m = municipality
        # the demo's coordinator writes the plans; the community police officer (also a
        # coordinator) publishes the police's and the municipality's joint lägesbild
        users = {
            u.username: u
            for u in get_user_model().objects.filter(username__in=["samordnare", "kommunpolis"])
        }
        self.actor = users.get("samordnare") or SystemActor("brygga demo")
        self.publisher = users.get("kommunpolis") or self.actor
        self.today = today
        self.start = _month_start(measure_start(today))  # the measures' first day
        self.orgs = {o.name: o for o in Organisation.objects.filter(municipality=municipality)}
        self.forums = {f.name: f for f in Forum.objects.filter(municipality=municipality)}
        layer = AreaLayer.objects.get(municipality=municipality, name="Trygghetsgruppernas områden")
        self.layer = layer
        self.areas = {a.name: a for a in Area.objects.filter(layer=layer).defer("geometry")}
        self.counts: dict[str, int] = {}

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    # --- the agreement and the lägesbild ---------------------------------------------------
    def agreement(self):
        o = self.orgs
        agreement = services.agreement_create(
            actor=self.actor,
            municipality=self.m,
            title=AGREEMENT_TITLE,
            police_area=PoliceArea.objects.filter(name="Lokalpolisområde Medelpad").first(),
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2027, 12, 31),
            summary=(
                "Kommunen och lokalpolisområdet samverkar kring fyra prioriterade områden. "
                "Överenskommelsen följs upp varje år i folkhälsorådet."
            ),
            signed_on=dt.date(2024, 2, 15),
            parties=[
                {
                    "organisation": o["Kommunledningskontoret – trygghet och säkerhet"],
                    "mandate": "Kommunstyrelsens uppdrag om brottsförebyggande arbete.",
                    "commitments": "Samordnar BRÅ och trygghetsgrupperna, fältarbete, belysning.",
                    "signatory": "Kommundirektör (demo)",
                    "signatory_title": "Kommundirektör",
                },
                {
                    "organisation": o["Lokalpolisområde Medelpad"],
                    "mandate": "Polisens medborgarlöften och kommunpolisens uppdrag.",
                    "commitments": "Synlig närvaro, ungdomsutredare, gemensam lägesbild.",
                    "signatory": "Lokalpolisområdeschef (demo)",
                    "signatory_title": "Lokalpolisområdeschef",
                },
            ],
            priorities=PRIORITIES,
        )
        self.add("agreements")
        return agreement

    def situation_report(self):
        from brygga.situation import services as situation
        from brygga.situation.snapshot import build_snapshot

        first = _add_months(self.start, -9)
        last = self.start - dt.timedelta(days=1)
        report = situation.report_create(
            actor=self.publisher,
            municipality=self.m,
            title=f"Lägesbild inför åtgärdsplanen {self.start.year} (demo)",
            period_start=first,
            period_end=last,
            scope={"period": f"{first}..{last}", "lager": str(self.layer.pk)},
            forum=self.forums["Brottsförebyggande rådet (BRÅ)"],
            texts={
                "summary": "Klotter och skadegörelse samlas kring Nacksta centrum och "
                "Stenstaden; öppen narkotikahandel rapporteras i centrum kvällstid."
            },
        )
        report = situation.report_publish(
            actor=self.publisher, report=report, snapshot=build_snapshot(self.publisher, report)
        )
        self.add("reports")
        return report

    # --- the plan, its problems and measures -----------------------------------------------
    def plan(self, agreement, report):
        plan = services.plan_create(
            actor=self.actor,
            municipality=self.m,
            title=f"Åtgärdsplan {self.start.year}–{self.start.year + 1} (demo)",
            report=report,
            period_start=self.start,
            period_end=_add_months(self.start, 24) - dt.timedelta(days=1),
            forum=self.forums["Brottsförebyggande rådet (BRÅ)"],
            agreement=agreement,
            goals="Färre brott och mindre otrygghet i Nacksta och centrum; unga som riskerar "
            "att dras in i kriminalitet nås tidigt.",
            extra_problems=[
                "Nacksta centrum: skadegörelse och stök kvällstid",
                "Öppen narkotikahandel i centrum",
                "Unga som dras in i kriminalitet",
            ],
        )
        analyses = {
            "Nacksta centrum: skadegörelse och stök kvällstid": (
                "Grupper av unga, mest helgkvällar",
                "Centrumtorget, gångtunneln och busshållplatsen",
                "Handlare, boende och Mitthems fastigheter",
                "Mörka passager, få vuxna ute på kvällarna",
                "Fritidsgården, aktiva föreningar",
            ),
            "Öppen narkotikahandel i centrum": (
                "Ett fåtal säljare, köpare från hela kommunen",
                "Stenstaden kring resecentrum, kvällar",
                "Unga köpare och resenärer",
                "Skymda platser, tillgång till kunder",
                "Kameror, bevakning, snabb polisiär närvaro",
            ),
            "Unga som dras in i kriminalitet": (
                "Unga 13–17 år i riskmiljöer",
                "Skolor och fritidsmiljöer i Nacksta och Skönsberg",
                "De unga själva och deras familjer",
                "Skolfrånvaro, kriminella äldre förebilder",
                "Skolans och föräldrarnas närvaro, SSPF",
            ),
        }
        problems = {}
        for problem in plan.problems.all():
            a = analyses.get(problem.title)
            if a:
                problem = services.problem_update(
                    actor=self.actor,
                    problem=problem,
                    offender=a[0],
                    place=a[1],
                    victim=a[2],
                    risk_factors=a[3],
                    protective_factors=a[4],
                )
            problems[problem.title] = problem
        services.plan_adopt(
            actor=self.actor,
            plan=plan,
            adopted_on=self.start - dt.timedelta(days=14),
            adopted_by="Kommunstyrelsen (demo)",
        )
        self.add("plans")
        return plan, problems

    def promises(self, agreement, problems):
        o = problems
        fulfilled = services.promise_create(
            actor=self.actor,
            municipality=self.m,
            title="Tryggare Nacksta centrum på kvällarna",
            text="Polisen och kommunen lovar fler vuxna ute vid Nacksta centrum fredags- och "
            "lördagskvällar och bättre belysning vid torget och gångtunneln.",
            period_start=self.start,
            period_end=_add_months(self.start, 6) - dt.timedelta(days=1),
            police_commitments="Kommunpolisen är på plats varannan fredag.",
            municipality_commitments="En extra fältassistent helgkvällar; ny belysning.",
            agreement=agreement,
            problems=[o["Nacksta centrum: skadegörelse och stök kvällstid"]],
        )
        services.promise_publish(actor=self.actor, promise=fulfilled, published_on=self.start)
        current = services.promise_create(
            actor=self.actor,
            municipality=self.m,
            title="Ingen öppen narkotikahandel i centrum",
            text="Polisen och kommunen lovar att tillsammans med fastighetsägarna göra det "
            "svårare att sälja narkotika öppet kring resecentrum.",
            period_start=self.start,
            period_end=_add_months(self.start, 18) - dt.timedelta(days=1),
            police_commitments="Riktade insatser varje månad och snabb uppföljning av tips.",
            municipality_commitments="Belysning, röjning av skymda platser och kameror.",
            agreement=agreement,
            problems=[o["Öppen narkotikahandel i centrum"]],
        )
        services.promise_publish(actor=self.actor, promise=current, published_on=self.start)
        self.add("promises", 2)
        return fulfilled, current

    def measures(self, plan, problems, fulfilled, current):
        o, a = self.orgs, self.areas
        end = plan.period_end
        priority = {p.title: p for p in plan.agreement.priorities.all()}
        spec = [
            (
                "Extra fältassistent helgkvällar",
                "Fältassistenterna",
                ["Kultur och fritid", "Svenska kyrkan Sundsvall"],
                ["Nacksta"],
                "selective",
                "Unga 13–20 år ute på kvällarna",
                "En heltidstjänst, kvällar fredag och lördag",
                "Nacksta centrum: skadegörelse och stök kvällstid",
                fulfilled,
                "Trygga miljöer",
            ),
            (
                "Ungdomsutredare knutna till socialtjänstens områdesteam",
                "Lokalpolisområde Medelpad",
                ["Socialtjänstens områdesteam"],
                ["Nacksta", "Skönsberg"],
                "individual",
                "Unga misstänkta för brott, 13–17 år",
                "Två ungdomsutredare placerade hos områdesteamen",
                "Unga som dras in i kriminalitet",
                None,
                "Arbeta förebyggande med barn och unga",
            ),
            (
                "Direkta kontaktvägar skola–polis",
                "Barn- och utbildningsförvaltningen",
                ["Lokalpolisområde Medelpad", "Nackstaskolan", "Skönsbergsskolan"],
                ["Nacksta", "Skönsberg"],
                "universal",
                "Rektorer och elevhälsa",
                "En kontaktperson per skola och en namngiven kommunpolis",
                "Unga som dras in i kriminalitet",
                None,
                "Arbeta förebyggande med barn och unga",
            ),
            (
                "Insatser mot öppen narkotikahandel i centrum",
                "Lokalpolisområde Medelpad",
                ["Stadsutveckling i Sundsvall AB", "Samhällsbyggnad"],
                ["Centrum"],
                "selective",
                "Säljare och köpare kring resecentrum",
                "Riktade insatser en kväll i månaden, belysning och röjning",
                "Öppen narkotikahandel i centrum",
                current,
                "Våld i offentlig miljö",
            ),
        ]
        out = {}
        for title, owner, partners, areas, level, group, res, problem, promise, prio in spec:
            out[title] = services.measure_create(
                actor=self.actor,
                plan=plan,
                title=title,
                owner=o[owner],
                level=level,
                start=self.start,
                end=end,
                problem=problems[problem],
                partners=[o[p] for p in partners],
                areas=[a[x] for x in areas if x in a],
                target_group=group,
                resources=res,
                status="done" if title.startswith("Direkta") else "ongoing",
                promise=promise,
                agreement_priority=priority.get(prio),
            )
        self.add("measures", len(out))
        return out


@transaction.atomic
def load_plans_demo(*, today: dt.date | None = None) -> dict:
    """Load the demo plans of Sundsvall once, all or nothing; returns what was added (empty
    if they were there already)."""
    municipality = Municipality.objects.filter(code=DEMO_CODE).first()
    if (
        municipality is None
        or Agreement.objects.filter(municipality=municipality, title=AGREEMENT_TITLE).exists()
    ):
        return {}
    demo = _Demo(municipality, today or timezone.localdate())
    with acting_as(SystemActor("brygga demo")):
        agreement = demo.agreement()
        report = demo.situation_report()
        plan, problems = demo.plan(agreement, report)
        fulfilled, current = demo.promises(agreement, problems)
        measures = demo.measures(plan, problems, fulfilled, current)
        demo.operations(measures)
        demo.indicators(measures)
        evaluation = demo.evaluation(measures)
        demo.meetings()
        demo.cycle_and_dialogues(plan)
        fulfilled.refresh_from_db()
        demo.follow_up(plan, fulfilled, evaluation)
    return demo.counts
