"""Expectations for the report-back (återrapportering): the list for every member; a
report-back of a plan of the safety group is read by the planners (analysts, coordinators,
administrators) and the group's members (the field worker reporter), not by the viewer or the
case worker (404); only coordinators and administrators make and issue one (the reporter and the
analyst, who read it, get 403). The API follows the resolver like the pages."""

from . import MEMBERS, _m, api

READERS = ["reporter", "analyst", "coordinator", "municipal_admin", "system_admin"]
WRITERS = ["coordinator", "municipal_admin", "system_admin"]
NOT_READERS = ["viewer", "case_worker", "outsider"]

EXPECTED: dict[str, dict] = {
    "plans:follow_ups": _m(s200=MEMBERS, s404=["outsider"]),
    "plans:follow_up_new": _m(s200=WRITERS, s403=["reporter", "analyst"], s404=NOT_READERS),
    "plans:follow_up_detail": _m(s200=READERS, s404=NOT_READERS),
    "plans:follow_up_issue": _m(s200=WRITERS, s403=["reporter", "analyst"], s404=NOT_READERS),
    "plans:follow_up_pdf": _m(s200=READERS, s404=NOT_READERS),
    "api:plans-follow-up-list": api(s404=["outsider"]),
    "api:plans-follow-up-detail": api(s404=["viewer", "case_worker", "outsider"]),
}  # fmt: skip


def _follow_up(world, municipality, marker: str) -> dict:
    import datetime as dt

    from brygga.audit.context import acting_as
    from brygga.plans.models import ActionPlan, FollowUpReport

    forum = world.forums["safety"] if municipality == world.sundsvall else world.forums["timra"]
    with acting_as(label="test setup"):
        plan = ActionPlan.objects.create(
            municipality=municipality,
            forum=forum,
            title=f"{marker} plan för återrapport",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2026, 12, 31),
        )
        report = FollowUpReport.objects.create(
            municipality=municipality,
            plan=plan,
            title=f"{marker} återrapport",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 6, 30),
        )
    return {"follow_up_": report.pk, "plans-follow-up": report.pk, "followup_plan": plan.pk}


def objects(world) -> dict:
    return _follow_up(world, world.sundsvall, "Matris")


def tenant_objects(world, municipality, marker) -> dict:
    return _follow_up(world, municipality, marker)
