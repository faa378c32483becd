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
    # every world user has a confirmed device (every role needs a second factor by default)
    "account:otp_setup": _m(s302=SIGNED_IN),
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
    "core:area_import": manage_page(),
    "core:area_edit": manage_page(),
    "core:area_delete": manage_page(),
    "core:layer_create": manage_page(),
    "core:layer_edit": manage_page(),
    "core:layer_delete": manage_page(),
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
    "core:retention": admin_page(),
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
    from ..core.factories import PoliceAreaFactory

    police_area = PoliceAreaFactory(name="LPO Medelpad (test)", municipalities=[world.sundsvall])
    return {
        "organisation": world.orgs["field"].pk,
        "area": world.areas["centrum"].pk,
        "layer": world.areas["centrum"].layer_id,
        "forum": world.forums["sspf"].pk,
        "user_detail": world.users["reporter"].pk,
        "user_account": world.users["reporter"].pk,
        "membership": world.memberships["reporter"].pk,
        "policearea": police_area.pk,
    }


def tenant_objects(world, municipality, marker) -> dict:
    """Rows of ``municipality`` named with ``marker``: an organisation with a member, an
    area, an open forum covering it, a local police area."""
    from brygga.core.models import Role

    from ..conftest import CENTRE_SQUARE, TIMRA_SQUARE
    from ..core.factories import (
        AreaFactory,
        ForumFactory,
        MembershipFactory,
        OrganisationFactory,
        PoliceAreaFactory,
        UserFactory,
    )

    square = TIMRA_SQUARE if municipality.code == world.timra.code else CENTRE_SQUARE
    org = OrganisationFactory(municipality=municipality, name=f"{marker} organisation")
    area = AreaFactory(municipality=municipality, name=f"{marker} område", geometry=square)
    forum = ForumFactory(
        municipality=municipality,
        name=f"{marker} forum",
        organisations=[org],
        areas=[area],
        convener=org,
    )
    user = UserFactory(username=f"{marker}_user", otp=True)
    membership = MembershipFactory(user=user, organisation=org, role=Role.REPORTER)
    police_area = PoliceAreaFactory(name=f"{marker} LPO", municipalities=[municipality])
    return {
        "organisation": org.pk,
        "area": area.pk,
        "layer": area.layer_id,
        "forum": forum.pk,
        "user_detail": user.pk,
        "user_account": user.pk,
        "membership": membership.pk,
        "policearea": police_area.pk,
        "municipality": municipality.code,  # api:municipality-detail looks up by <code>
    }


# Query parameters that choose a municipality, forum, area or organisation: the tenancy tests
# give them another municipality's (the values name keys of tenant_objects, or "code").
FILTER_PARAMS = {
    "kommun": "code",
    "municipality": "code",
    "organisation": "organisation",
    "omrade": "area",
    "area": "area",
    "lager": "layer",
    "layer": "layer",
    "forum": "forum",
}


def api_writes(world, objs) -> dict:
    """The API writes of core: organisations, areas and forums for those who manage the
    municipality (payloads valid for Sundsvall's objects ``objs``); the rest is read-only."""
    from ..conftest import CENTRE_SQUARE

    org = {"municipality": "2281", "name": "API-organisation", "kind": "other"}
    area = {
        "municipality": "2281",
        "name": "API-område",
        "kind": "district",
        "geometry": CENTRE_SQUARE,
    }
    forum = {
        "municipality": "2281",
        "name": "API-forum",
        "kind": "safety_group",
        "organisations": [world.orgs["police"].pk],
    }
    from ..core.factories import OrganisationFactory

    # The matrix's organisation has reported incidents; deleting one is tried on an
    # organisation without them (see test_api_delete_of_organisation_with_incidents).
    spare = OrganisationFactory(municipality=world.sundsvall, name="Utan händelser")
    out = {}
    for basename, payload in (("organisation", org), ("area", area), ("forum", forum)):
        out[(f"api:{basename}-list", "post")] = (MANAGERS, payload)
        out[(f"api:{basename}-detail", "put")] = (MANAGERS, payload)
        out[(f"api:{basename}-detail", "patch")] = (MANAGERS, {"description": "API-ändrad"})
        out[(f"api:{basename}-detail", "delete")] = (MANAGERS, None)
    out[("api:organisation-detail", "delete")] = (MANAGERS, None, {"organisation": spare.pk})
    return out
