"""Expectations for the core, account, audit and API routes of the foundation."""

from ..conftest import ALL_ACTORS
from . import (
    MANAGERS,
    SIGNED_IN,
    _m,
    admin_page,
    api,
    manage_page,
    members_page,
    sspf_forum_page,
)

EXPECTED: dict[str, dict] = {
    "healthz": dict.fromkeys(ALL_ACTORS, 200),
    "set_language": dict.fromkeys(ALL_ACTORS, 302),
    "account:login": _m(anon=200, s302=SIGNED_IN),
    "account:logout": dict.fromkeys(ALL_ACTORS, 405),
    "account:otp_verify": _m(s302=SIGNED_IN),
    "account:otp_setup": _m(
        s200=["viewer", "reporter", "analyst"],
        s302=["coordinator", "case_worker", "municipal_admin", "system_admin", "outsider"],
    ),
    "account:profile": _m(s200=SIGNED_IN),
    "account:password_change": _m(s200=SIGNED_IN),
    "core:home": _m(s302=SIGNED_IN),
    "core:municipality_list": _m(s200=SIGNED_IN),
    "core:municipality_detail": members_page(),
    "core:organisation_list": members_page(),
    "core:organisation_detail": members_page(),
    "core:organisation_create": manage_page(),
    "core:organisation_edit": manage_page(),
    "core:organisation_delete": manage_page(),
    "core:area_list": members_page(),
    "core:area_detail": members_page(),
    "core:area_create": manage_page(),
    "core:area_edit": manage_page(),
    "core:area_delete": manage_page(),
    "core:forum_list": members_page(),
    "core:forum_detail": sspf_forum_page(),
    "core:forum_create": manage_page(),
    "core:forum_edit": manage_page(),
    "core:forum_delete": manage_page(),
    "core:member_list": manage_page(),
    "core:member_create": manage_page(),
    "core:user_detail": manage_page(),
    "core:user_account": _m(
        s405=MANAGERS, s403=["viewer", "reporter", "analyst", "case_worker"], s404=["outsider"]
    ),
    "core:membership_delete": manage_page(),
    "core:security_policy": admin_page(),
    "audit:log": admin_page(),
    "api:schema": api(),
    "api:docs": api(),
    "api:municipality-list": api(),
    "api:municipality-detail": api(s404=["outsider"]),
    "api:policearea-list": api(),
    "api:policearea-detail": api(s404=["outsider"]),
    "api:organisation-list": api(),
    "api:organisation-detail": api(s404=["outsider"]),
    "api:area-list": api(),
    "api:area-detail": api(s404=["outsider"]),
    "api:forum-list": api(),
    "api:forum-detail": api(s404=["viewer", "reporter", "analyst", "outsider"]),
    "api:membership-list": api(),
    "api:membership-detail": api(s404=["viewer", "analyst", "case_worker", "outsider"]),
}


def objects(world) -> dict:
    from brygga.core.models import PoliceArea

    police_area = PoliceArea.objects.create(name="LPO Medelpad (test)")
    police_area.municipalities.add(world.sundsvall)
    return {
        "organisation": world.orgs["field"].pk,
        "area": world.areas["centrum"].pk,
        "forum": world.forums["sspf"].pk,
        "user_detail": world.users["reporter"].pk,
        "user_account": world.users["reporter"].pk,
        "membership": world.memberships["reporter"].pk,
        "policearea": police_area.pk,
    }
