"""The resolver: what each role sees and may change, and that nothing leaks across tenants."""

import pytest

from brygga.core.access import AccessResolver, resolver_for
from brygga.core.models import Area, Forum, Membership, Organisation

from .factories import MembershipFactory

pytestmark = pytest.mark.django_db


def visible(model, user, action="view"):
    return set(model.objects.visible_to(user, action).values_list("name", flat=True))


def test_anonymous_and_inactive_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not Organisation.objects.visible_to(AnonymousUser()).exists()
    user = world.users["coordinator"]
    user.is_active = False
    user.save()
    assert not Organisation.objects.visible_to(user).exists()


def test_members_see_their_municipality_only(world):
    names = visible(Organisation, world.users["viewer"])
    assert "Mitthem" in names and "Timrå trygghet" not in names
    assert visible(Organisation, world.users["outsider"]) == {"Timrå trygghet"}
    assert visible(Area, world.users["outsider"]) == {"Timrå centrum"}


def test_sspf_groups_are_need_to_know(world):
    sspf = "SSPF arbetsgrupp"
    for actor in ("viewer", "reporter", "analyst"):
        assert sspf not in visible(Forum, world.users[actor]), actor
        assert "Trygghetsgrupp Centrum" in visible(Forum, world.users[actor])
    assert sspf in visible(Forum, world.users["case_worker"])  # their organisation is a member
    assert sspf in visible(Forum, world.users["coordinator"])
    assert sspf in visible(Forum, world.users["municipal_admin"])


def test_case_worker_outside_member_organisation_does_not_see_sspf_group(world):
    from brygga.core.models import Role

    other = world.users["reporter"]
    MembershipFactory(user=other, organisation=world.orgs["housing"], role=Role.CASE_WORKER)
    assert "SSPF arbetsgrupp" not in visible(Forum, other)


def test_only_managers_may_change(world):
    for actor in ("viewer", "reporter", "analyst", "case_worker", "outsider"):
        assert (
            not Organisation.objects.visible_to(world.users[actor], "change")
            .filter(municipality=world.sundsvall)
            .exists()
        ), actor
    for actor in ("coordinator", "municipal_admin", "system_admin"):
        assert resolver_for(world.users[actor]).can("change", world.orgs["housing"]), actor


def test_memberships_visible_to_managers_and_to_oneself(world):
    own = Membership.objects.visible_to(world.users["reporter"])
    assert list(own) == [world.memberships["reporter"]]
    assert Membership.objects.visible_to(world.users["coordinator"]).count() == 6


def test_unknown_model_and_action_are_denied(world):
    from django.contrib.sessions.models import Session

    resolver = AccessResolver(world.users["coordinator"])
    assert not resolver.restrict(Session.objects.all()).exists()
    assert not resolver.restrict(Organisation.objects.all(), "obliterate").exists()


def test_system_admin_sees_every_municipality(world):
    assert {"Timrå trygghet", "Mitthem"} <= visible(Organisation, world.users["system_admin"])


def test_brygga_itself_may_do_everything_and_a_missing_actor_nothing(world):
    from brygga.core.access import SystemActor

    system = SystemActor("brygga test")
    resolver = resolver_for(system)
    assert resolver.can("change", world.orgs["timra"]) and resolver.has_ability("manage", 2262)
    assert resolver.can_import(world.timra, all_municipalities=True)
    assert Organisation.objects.visible_to(system).count() == Organisation.objects.count()
    nobody = resolver_for(None)
    assert not nobody.can("view", world.orgs["housing"]) and not nobody.can_import(world.sundsvall)
    assert not Organisation.objects.visible_to(None).exists()


def test_core_and_audit_import_no_domain_app():
    """Each app owns its rules (``<app>/access.py``, registered from its AppConfig.ready) and
    its part of ``brygga demo``/``brygga worker`` (``core/hooks.py``): the engine knows no app."""
    import re
    from pathlib import Path

    import brygga

    domain = re.compile(
        r"(from|import)\s+brygga\.(incidents|surveys|situation|plans|cases|knowledge)\b"
    )
    root = Path(brygga.__file__).parent
    found = [
        f"{path.relative_to(root)}:{n}"
        for app in ("core", "audit")
        for path in sorted((root / app).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if domain.search(line)
    ]
    assert not found, found
