"""The second half of the plans demo (``demo.py``): the work logged under the measures, the
indicators and the evaluation, the meetings, the yearly cycle and the dialogues, and the issued
report-back with the promise it fulfilled. Methods of ``_Demo`` (``self.m``, ``self.actor``,
``self.start``, ``self.today``, ``self.orgs``, ``self.forums``, ``self.areas``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from . import services
from .followup import build_snapshot as follow_up_snapshot
from .indicator_values import compute

# the areas the Nacksta measure is compared with (urban areas without a measure of their own)
COMPARISON = ["Haga", "Bredsand", "Bosvedjan", "Sidsjö"]


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + y, month=m + 1, day=1)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute))


class WorkDemo:
    # --- the work log, indicators and the evaluation ---------------------------------------
    def operations(self, measures):
        o, a = self.orgs, self.areas
        field = measures["Extra fältassistent helgkvällar"]
        drugs = measures["Insatser mot öppen narkotikahandel i centrum"]
        school = measures["Direkta kontaktvägar skola–polis"]
        n = 0
        day = self.start
        while day < self.today:
            if day.weekday() in (4, 5):  # Friday and Saturday evenings at Nacksta centrum
                services.operation_create(
                    actor=self.actor,
                    municipality=self.m,
                    kind="field_presence",
                    title="Fältarbete helgkväll, Nacksta centrum",
                    started_at=_at(day, 18),
                    ended_at=_at(day, 23),
                    hours=Decimal("10.0"),
                    measure=field,
                    area=a.get("Nacksta"),
                    organisations=[o["Fältassistenterna"]],
                    participants=2,
                )
                n += 1
            if day.day == 15 and day.weekday() < 5:  # a targeted operation in the centre
                services.operation_create(
                    actor=self.actor,
                    municipality=self.m,
                    kind="targeted",
                    title="Riktad insats kring resecentrum",
                    started_at=_at(day, 19),
                    ended_at=_at(day, 23, 30),
                    hours=Decimal("18.0"),
                    measure=drugs,
                    area=a.get("Centrum"),
                    organisations=[o["Lokalpolisområde Medelpad"]],
                    participants=4,
                )
                n += 1
            if day.day == 3 and day.weekday() < 5:  # the school contact routes at work
                services.operation_create(
                    actor=self.actor,
                    municipality=self.m,
                    kind="school_contact",
                    title="Avstämning skola–polis",
                    started_at=_at(day, 9),
                    ended_at=_at(day, 10),
                    hours=Decimal("2.0"),
                    measure=school,
                    area=a.get("Nacksta"),
                    organisations=[o["Nackstaskolan"], o["Lokalpolisområde Medelpad"]],
                    participants=2,
                )
                n += 1
            day += dt.timedelta(days=1)
        walk_day = self.start + dt.timedelta(days=20)
        walk = services.operation_create(
            actor=self.actor,
            municipality=self.m,
            kind="safety_walk",
            title="Trygghetsvandring i Nacksta med boende",
            started_at=_at(walk_day, 18),
            ended_at=_at(walk_day, 20),
            hours=Decimal("12.0"),
            measure=field,
            area=a.get("Nacksta"),
            organisations=[o["Fältassistenterna"], o["Mitthem"], o["Samhällsbyggnad"]],
            participants=6,
            notes="Tolv boende deltog. Belysningen vid gångtunneln lyftes av flera.",
        )
        for text in (
            "Trasig belysning i gångtunneln under vägen.",
            "Buskage skymmer gångvägen mot busshållplatsen.",
        ):
            services.observation_create(actor=self.actor, operation=walk, text=text)
        self.add("operations", n + 1)

    def indicators(self, measures):
        from brygga.incidents.models import Category

        field = measures["Extra fältassistent helgkvällar"]
        base_start = _add_months(self.start, -9)
        base_end = self.start - dt.timedelta(days=1)
        disorder = list(
            Category.objects.filter(code__in=["klotter", "skadegorelse", "ordningsstorning"])
        )
        reports = services.indicator_create(
            actor=self.actor,
            municipality=self.m,
            measure=field,
            name="Rapporterad skadegörelse och stök i Nacksta",
            source="incidents",
            categories=disorder,
            areas=[self.areas["Nacksta"]],
            granularity="quarter",
            baseline_start=base_start,
            baseline_end=base_end,
            unit="händelser per kvartal",
        )
        baseline = compute(reports, user=self.actor).baseline
        if baseline:
            services.indicator_update(
                actor=self.actor,
                municipality=self.m,
                instance=reports,
                name=reports.name,
                source=reports.source,
                baseline_start=base_start,
                baseline_end=base_end,
                categories=disorder,
                areas=[self.areas["Nacksta"]],
                granularity="quarter",
                unit=reports.unit,
                target_value=round(baseline * 0.75, 1),
                target_date=_add_months(self.start, 12),
            )
        services.indicator_create(
            actor=self.actor,
            municipality=self.m,
            measure=field,
            name="Otrygghetsindex i Nacksta (trygghetsmätningen)",
            source="survey_index",
            survey_index_code="otrygghetsindex",
            areas=[self.areas["Nacksta"]],
            granularity="year",
            baseline_start=dt.date(2024, 1, 1),
            baseline_end=dt.date(2024, 12, 31),
            target_value=4.0,
        )
        manual = services.indicator_create(
            actor=self.actor,
            municipality=self.m,
            measure=measures["Direkta kontaktvägar skola–polis"],
            name="Elever som känner sig trygga i skolan (skolornas enkät)",
            source="manual",
            granularity="year",
            baseline_start=dt.date(2024, 1, 1),
            baseline_end=dt.date(2024, 12, 31),
            unit="procent",
            target_value=90.0,
            direction="increase",
        )
        for year, value in ((2024, 82.0), (2025, 86.0)):
            if dt.date(year, 12, 31) < self.today:
                services.indicator_value_create(
                    actor=self.actor,
                    indicator=manual,
                    period_start=dt.date(year, 1, 1),
                    period_end=dt.date(year, 12, 31),
                    value=value,
                    note="Skolornas egen trygghetsenkät (demo)",
                )
        self.add("indicators", 3)

    def evaluation(self, measures):
        field = measures["Extra fältassistent helgkvällar"]
        after_end = _month_start(self.today) - dt.timedelta(days=1)
        evaluation = services.evaluation_create(
            actor=self.actor,
            municipality=self.m,
            measure=field,
            title="Nacksta före och efter den extra fältassistenten",
            treated_areas=[self.areas["Nacksta"]],
            comparison_areas=[self.areas[n] for n in COMPARISON if n in self.areas],
            before_start=_add_months(self.start, -9),
            before_end=self.start - dt.timedelta(days=1),
            after_start=self.start,
            after_end=after_end,
        )
        services.evaluation_conclude(
            actor=self.actor,
            evaluation=evaluation,
            conclusion="Rapporterna i Nacksta minskade tydligt mer än i jämförelseområdena. "
            "Vi fortsätter med helgkvällarna och prövar samma arbetssätt i Skönsberg.",
        )
        self.add("evaluations")
        return evaluation

    # --- meetings, the yearly cycle, dialogues ---------------------------------------------
    def meetings(self):
        o = self.orgs
        bra = self.forums["Brottsförebyggande rådet (BRÅ)"]
        fhr = self.forums["Folkhälsorådet"]
        held_day = self.start - dt.timedelta(days=21)
        held = services.meeting_create(
            actor=self.actor,
            municipality=self.m,
            forum=bra,
            title="BRÅ: förslag till åtgärdsplan",
            starts_at=_at(held_day, 13),
            ends_at=_at(held_day, 15),
            location="Stadshuset, sal B",
            agenda="1. Lägesbilden\n2. Förslag till åtgärdsplan\n3. Medborgarlöften",
            state="held",
            attendees="Samordnare, kommunpolis, socialtjänst, skola, Mitthem (demo)",
            minutes="Lägesbilden presenterades. Förslaget till åtgärdsplan diskuterades.",
            decisions="BRÅ föreslår att kommunstyrelsen antar åtgärdsplanen.",
            organisations=[
                o["Kommunledningskontoret – trygghet och säkerhet"],
                o["Lokalpolisområde Medelpad"],
                o["Socialtjänsten"],
                o["Mitthem"],
            ],
        )
        for title, owner, due, done in (
            (
                "Ta fram kostnad för belysning i gångtunneln",
                "Samhällsbyggnad",
                held_day + dt.timedelta(days=30),
                True,
            ),
            (
                "Rapportera fältassistentens första månader till BRÅ",
                "Fältassistenterna",
                self.today - dt.timedelta(days=10),
                False,
            ),
            (
                "Förbered medborgardialog i Skönsberg",
                "Kultur och fritid",
                self.today + dt.timedelta(days=10),
                False,
            ),
        ):
            item = services.action_item_create(
                actor=self.actor,
                meeting=held,
                title=title,
                due_on=due,
                owner_organisation=o[owner],
            )
            if done:
                services.action_item_update(actor=self.actor, item=item, status="done")
        # the BRÅ meets before and after the folkhälsoråd (seed 004)
        before = self.today + dt.timedelta(days=14)
        first = services.meeting_create(
            actor=self.actor,
            municipality=self.m,
            forum=bra,
            title="BRÅ: inför folkhälsorådet",
            starts_at=_at(before, 13),
            ends_at=_at(before, 15),
            location="Stadshuset, sal B",
            agenda="1. Återrapport av åtgärdsplanen\n2. Frågor till folkhälsorådet",
        )
        council = services.meeting_create(
            actor=self.actor,
            municipality=self.m,
            forum=fhr,
            title="Folkhälsorådet",
            starts_at=_at(before + dt.timedelta(days=7), 9),
            ends_at=_at(before + dt.timedelta(days=7), 12),
            location="Stadshuset, KS-salen",
            agenda="1. Återrapport från BRÅ\n2. Beslut om inriktning",
            follows=first,
        )
        services.meeting_create(
            actor=self.actor,
            municipality=self.m,
            forum=bra,
            title="BRÅ: efter folkhälsorådet",
            starts_at=_at(before + dt.timedelta(days=14), 13),
            ends_at=_at(before + dt.timedelta(days=14), 15),
            location="Stadshuset, sal B",
            agenda="1. Folkhälsorådets beslut\n2. Fördelning av uppdrag",
            follows=council,
        )
        self.add("meetings", 4)

    def cycle_and_dialogues(self, plan):
        year = self.today.year
        for kind, title, due, done in (
            ("survey", "Trygghetsmätningen skickas ut", dt.date(year, 10, 1), None),
            ("situation", "Lägesbilden uppdateras", dt.date(year, 2, 28), None),
            (
                "report_back",
                "Återrapport till folkhälsorådet",
                self.today + dt.timedelta(days=21),
                None,
            ),
            (
                "other",
                "Kommunens budgetdialog: resurser för åtgärdsplanen",
                dt.date(year, 5, 15),
                dt.date(year, 5, 15),
            ),
        ):
            services.cycle_event_create(
                actor=self.actor,
                municipality=self.m,
                kind=kind,
                title=title,
                due_on=due,
                done_on=done if done and done <= self.today else None,
            )
        o = self.orgs
        services.dialogue_create(
            actor=self.actor,
            municipality=self.m,
            kind="citizen",
            title="Medborgardialog på Nacksta torg",
            held_on=self.start - dt.timedelta(days=60),
            findings="Boende är otrygga vid gångtunneln och torget på kvällarna; många vill se "
            "fler vuxna ute och bättre belysning.",
            organisations=[o["Lokalpolisområde Medelpad"], o["Fältassistenterna"]],
            area=self.areas.get("Nacksta"),
            participants=45,
            method="Samtal vid torget",
        )
        services.dialogue_create(
            actor=self.actor,
            municipality=self.m,
            kind="staff",
            title="Medarbetardialog med skolor och fritidsgårdar",
            held_on=self.start - dt.timedelta(days=90),
            findings="Personalen ser unga som dras till äldre kriminella i centrum; skolorna "
            "vill ha en fast kontaktväg till polisen.",
            organisations=[o["Barn- och utbildningsförvaltningen"], o["Kultur och fritid"]],
            participants=30,
            method="Workshop",
        )
        self.add("cycle events", 4)
        self.add("dialogues", 2)

    def follow_up(self, plan, fulfilled, evaluation):
        end = _add_months(self.start, 6) - dt.timedelta(days=1)
        if end >= self.today:
            return
        report = services.follow_up_create(
            actor=self.actor,
            plan=plan,
            title="Återrapport första halvåret (demo)",
            period_start=self.start,
            period_end=end,
            learned="Fältassistenten på helgkvällarna nådde fler unga än vi trodde, och "
            "rapporterna i Nacksta minskade. Direktkontakten skola–polis behöver en ersättare "
            "när kontaktpersonen är ledig. Nästa plan bör ta med Skönsberg.",
        )
        services.follow_up_issue(
            actor=self.actor, report=report, snapshot=follow_up_snapshot(self.actor, report)
        )
        # the promise was kept: extended while the work went on, then fulfilled
        services.promise_extend(
            actor=self.actor,
            promise=fulfilled,
            extended_to=_add_months(self.start, 8) - dt.timedelta(days=1),
        )
        if fulfilled.extended_to and fulfilled.extended_to < self.today:
            rr = (evaluation.result or {}).get("rate_ratio")
            change = f" (kvot {rr:.2f} mot jämförelseområdena)".replace(".", ",") if rr else ""
            services.promise_set_status(
                actor=self.actor,
                promise=fulfilled,
                status="fulfilled",
                justification="Fältassistenten har funnits på plats varje helgkväll, belysningen "
                f"är ny och rapporterna vid Nacksta centrum har minskat{change}.",
            )
        self.add("report-backs")
