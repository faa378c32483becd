"""`brygga demo` loads the seed stories of plans and follow-up for Sundsvall: an agreement with
four priorities, a plan from a published lägesbild with cause analyses and Sundsvall's four
measures, work logged, indicators, an evaluation that shows a measurable change, a promise
extended and then fulfilled (on the public page), the BRÅ meeting before and after the
folkhälsoråd, and an issued report-back. A second run adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from brygga.plans.models import (
    ActionItem,
    ActionPlan,
    Agreement,
    CitizenPromise,
    Evaluation,
    FollowUpReport,
    Indicator,
    Meeting,
    Operation,
)

pytestmark = pytest.mark.django_db


def _counts() -> dict:
    models = (
        Agreement,
        ActionPlan,
        CitizenPromise,
        Evaluation,
        FollowUpReport,
        Indicator,
        Meeting,
        Operation,
        ActionItem,
    )
    return {m.__name__: m.objects.count() for m in models}


def test_the_demo_tells_the_seed_stories_and_a_second_run_adds_nothing(client, capsys):
    call_command("demo", "--no-serve")
    assert "Planer:" in capsys.readouterr().out

    agreement = Agreement.objects.get()
    assert agreement.priorities.count() == 4 and agreement.parties.count() == 2
    assert agreement.is_signed

    plan = ActionPlan.objects.get()
    assert plan.state == "adopted" and plan.report.is_published
    assert plan.agreement == agreement
    problems = list(plan.problems.all())
    assert problems and all(p.has_cause_analysis for p in problems)
    titles = set(plan.measures.values_list("title", flat=True))
    assert {
        "Ungdomsutredare knutna till socialtjänstens områdesteam",
        "Extra fältassistent helgkvällar",
        "Direkta kontaktvägar skola–polis",
        "Insatser mot öppen narkotikahandel i centrum",
    } == titles
    assert Operation.objects.filter(measure__plan=plan).count() > 50

    # the evaluation shows a measurable change: the whole interval lies under one
    evaluation = Evaluation.objects.get()
    assert evaluation.result["rate_ratio"] < 1 and evaluation.result["ci_upper"] < 1
    assert evaluation.area_rows.filter(treated=False).count() >= 2

    # the Hedemora-style promise: extended, then fulfilled with its justification
    kept = CitizenPromise.objects.get(status="fulfilled")
    assert kept.extended_to is not None and kept.status_justification
    assert kept.measures.exists()
    page = client.get("/offentlig/kommuner/2281/medborgarloften/").content.decode()
    assert kept.title in page and kept.status_justification[:40] in page

    # the BRÅ meets before and after the folkhälsoråd
    council = Meeting.objects.get(forum__name="Folkhälsorådet")
    assert council.follows.forum.name == "Brottsförebyggande rådet (BRÅ)"
    assert council.followed_by.get().forum.name == "Brottsförebyggande rådet (BRÅ)"
    assert FollowUpReport.objects.get().state == "issued"

    before = _counts()
    call_command("demo", "--no-serve")
    assert "demoplanerna fanns redan" in capsys.readouterr().out
    assert _counts() == before
