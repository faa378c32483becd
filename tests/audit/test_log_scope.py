"""Each audit row belongs to the municipality the action concerned, and a municipality's audit
log shows only its own rows: no row reaches another municipality's administrators because the
person acting also holds a role there."""

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from brygga.audit import selectors
from brygga.audit.context import acting_as
from brygga.audit.models import AuditEvent
from brygga.audit.services import log_action
from brygga.core.models import Membership, Role

from ..conftest import login

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def shared(world):
    """Sundsvall's coordinator also coordinates in Timrå; Timrå has a municipal administrator
    of its own."""
    with acting_as(label="test setup"):
        Membership.objects.create(
            user=world.users["coordinator"], organisation=world.orgs["timra"], role="coordinator"
        )
        timra_admin = User.objects.create_user("timra_admin", password="x" * 20)
        TOTPDevice.objects.create(user=timra_admin, name="test", confirmed=True)
        Membership.objects.create(
            user=timra_admin, organisation=world.orgs["timra"], role=Role.MUNICIPAL_ADMIN
        )
    world.users["timra_admin"] = timra_admin
    return world


def log_page(client, code: str) -> str:
    response = client.get(f"/kommuner/{code}/logg/")
    assert response.status_code == 200
    return response.content.decode()


def test_user_created_in_timra_is_on_timras_log_and_not_on_sundsvalls(shared, client_for):
    """A coordinator with roles in both Sundsvall and Timrå creates a user in Timrå: the row
    belongs to Timrå. Sundsvall's administrator must not see it; Timrå's must."""
    w = shared
    response = client_for("coordinator").post(
        f"/kommuner/{w.timra.code}/medlemmar/ny/",
        {"username": "timra-nyanstalld", "organisation": w.orgs["timra"].pk, "role": "viewer"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = AuditEvent.objects.get(
        object_type="auth.user", kind="create", object_repr="timra-nyanstalld"
    )
    assert created.actor_label == "coordinator"
    assert created.municipality_id == w.timra.pk

    sundsvall_admin = w.users["municipal_admin"]
    assert not selectors.municipality_log(sundsvall_admin, w.sundsvall).filter(
        object_repr="timra-nyanstalld"
    )
    assert not AuditEvent.objects.visible_to(sundsvall_admin).filter(seq=created.seq)
    assert "timra-nyanstalld" not in log_page(client_for("municipal_admin"), w.sundsvall.code)

    timra_client = client_for("anon")
    login(timra_client, w.users["timra_admin"])
    assert "timra-nyanstalld" in log_page(timra_client, w.timra.code)
    assert selectors.municipality_log(w.users["timra_admin"], w.timra).filter(seq=created.seq)


def test_account_changes_on_a_municipalitys_page_belong_to_that_municipality(shared, client_for):
    w = shared
    member = w.users["outsider"]  # a coordinator in Timrå only
    client = client_for("anon")
    login(client, w.users["timra_admin"])
    before = AuditEvent.objects.order_by("-seq").first().seq
    response = client.post(
        f"/kommuner/{w.timra.code}/medlemmar/anvandare/{member.pk}/konto/",
        {"action": "deactivate"},
    )
    assert response.status_code == 302
    rows = AuditEvent.objects.filter(seq__gt=before, object_type="auth.user")
    assert rows and {r.municipality_id for r in rows} == {w.timra.pk}


def test_sign_ins_are_on_no_municipalitys_log(shared, client_for):
    """A sign-in concerns no municipality: no municipal administrator sees it, not even where
    the user who signed in holds a role."""
    from django.test import Client

    Client().post("/konto/logga-in/", {"username": "coordinator", "password": "wrong password"})
    client_for("coordinator")  # force_login sends user_logged_in
    rows = AuditEvent.objects.filter(kind__in=["login", "login_failed"])
    assert rows.count() >= 2 and not rows.exclude(municipality_id=None).exists()
    for admin, municipality in [
        (shared.users["municipal_admin"], shared.sundsvall),
        (shared.users["timra_admin"], shared.timra),
    ]:
        log = selectors.municipality_log(admin, municipality)
        assert not log.filter(kind__in=["login", "login_failed"]).exists()


def test_rows_concerning_a_municipality_outside_a_request(shared):
    """Commands and services name the municipality explicitly (``concerning``); without it a
    row about a user account belongs to no municipality."""
    from brygga.audit.context import concerning

    user = shared.users["coordinator"]
    with acting_as(label="brygga command"):
        with concerning(shared.timra):
            in_timra = log_action(event_type="account_reviewed", subject=user)
        nowhere = log_action(event_type="account_reviewed", subject=user)
        own = log_action(event_type="area_reviewed", subject=shared.areas["centrum"])
        with concerning(shared.timra):
            # A subject with a municipality of its own keeps it.
            still_own = log_action(event_type="area_reviewed", subject=shared.areas["centrum"])
    assert in_timra.municipality_id == shared.timra.pk
    assert nowhere.municipality_id is None
    assert own.municipality_id == still_own.municipality_id == shared.sundsvall.pk


def test_user_create_service_names_the_municipality_outside_a_request(shared):
    """The service knows the municipality it creates the account for, whoever calls it."""
    from brygga.core import services

    user = services.user_create(
        actor=shared.users["coordinator"], municipality=shared.timra, username="via-tjansten"
    )
    created = AuditEvent.objects.get(object_type="auth.user", kind="create", object_id=user.pk)
    assert created.municipality_id == shared.timra.pk
