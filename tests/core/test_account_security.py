"""Accounts (issue #10, items 2, 6 and 11 a–c): who may grant which role and manage whose
account, the second factor for every role that reads personal data, the account pages behind
the second factor, the absolute session lifetime, a password set by someone else, and
`brygga demo` under the production settings."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from brygga.audit.models import AuditEvent
from brygga.core import services
from brygga.core.models import Membership, Organisation, Role, RoleSecurityPolicy
from brygga.core.selectors import otp_required_for

from ..conftest import PASSWORD, login
from .factories import MembershipFactory

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281"
NEW_PASSWORD = "ett-eget-langt-losen-31"


def user_page(user) -> str:
    return f"{BASE}/medlemmar/anvandare/{user.pk}/"


def account_url(user) -> str:
    return f"{BASE}/medlemmar/anvandare/{user.pk}/konto/"


def role_options(response) -> set[str]:
    form = response.context["form"]
    return {value for value, _label in form.fields["role"].choices}


# --- item 2: role escalation ------------------------------------------------------------------
def test_coordinator_is_offered_only_roles_within_their_own(world, client_for):
    c = client_for("coordinator")
    ordinary = {"viewer", "reporter", "analyst", "coordinator"}
    assert role_options(c.get(f"{BASE}/medlemmar/ny/")) == ordinary
    assert role_options(c.get(user_page(world.users["reporter"]))) == ordinary
    admin = client_for("municipal_admin")
    assert role_options(admin.get(f"{BASE}/medlemmar/ny/")) == set(Role.values)


def test_coordinator_cannot_create_a_case_worker_by_a_forged_post(world, client_for):
    r = client_for("coordinator").post(
        f"{BASE}/medlemmar/ny/",
        {
            "username": "blivande.handlaggare",
            "password": "ett-langt-losenord-42",
            "organisation": world.orgs["social"].pk,
            "role": "case_worker",
        },
    )
    assert r.status_code == 400
    assert not get_user_model().objects.filter(username="blivande.handlaggare").exists()


@pytest.mark.parametrize("target", ["reporter", "coordinator"])
def test_coordinator_cannot_grant_case_worker_by_a_forged_post(world, client_for, target):
    """Not to someone else, and not to themself (the coordinator's own page)."""
    user = world.users[target]
    r = client_for("coordinator").post(
        user_page(user), {"organisation": world.orgs["social"].pk, "role": "case_worker"}
    )
    assert r.status_code == 400
    assert not Membership.objects.filter(user=user, role="case_worker").exists()


@pytest.mark.parametrize("actor", ["coordinator", "municipal_admin"])
def test_nobody_grants_themself_a_role(world, client_for, actor):
    me = world.users[actor]
    c = client_for(actor)
    page = c.get(user_page(me))
    assert page.status_code == 200 and role_options(page) == set()
    assert "Du kan inte ge dig själv en roll" in page.content.decode()
    before = Membership.objects.filter(user=me).count()
    r = c.post(user_page(me), {"organisation": world.orgs["police"].pk, "role": "viewer"})
    assert r.status_code == 400
    assert Membership.objects.filter(user=me).count() == before
    for role in ("viewer", "analyst"):
        with pytest.raises(PermissionDenied):
            services.membership_grant(
                actor=me, user=me, organisation=world.orgs["police"], role=role
            )


def test_system_administrator_grants_no_role_to_themself(world):
    me = world.users["system_admin"]
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=me, user=me, organisation=world.orgs["kommun"], role=Role.MUNICIPAL_ADMIN
        )


def test_coordinator_cannot_take_over_a_case_worker_account(world, client_for):
    c = client_for("coordinator")
    target = world.users["case_worker"]
    page = c.get(user_page(target))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="set_password"' not in body and 'value="reset_otp"' not in body
    assert 'value="deactivate"' not in body
    for data in (
        {
            "action": "set_password",
            "new_password1": "kapat-konto-losen-55",
            "new_password2": "kapat-konto-losen-55",
        },
        {"action": "reset_otp"},
        {"action": "deactivate"},
    ):
        assert c.post(account_url(target), data).status_code == 403, data
    target.refresh_from_db()
    assert target.is_active and target.check_password(PASSWORD)
    assert TOTPDevice.objects.filter(user=target, confirmed=True).exists()


def test_a_role_beyond_reach_anywhere_protects_the_whole_account(world, client_for):
    """A reporter who is also a case worker (here in another organisation) is managed by
    municipal administrators only; one with a role in another municipality only by someone who
    manages that one too."""
    reporter = world.users["reporter"]
    MembershipFactory(user=reporter, organisation=world.orgs["housing"], role=Role.CASE_WORKER)
    c = client_for("coordinator")
    assert c.post(account_url(reporter), {"action": "deactivate"}).status_code == 403
    reporter.refresh_from_db()
    assert reporter.is_active
    analyst = world.users["analyst"]
    MembershipFactory(user=analyst, organisation=world.orgs["timra"], role=Role.VIEWER)
    assert c.post(account_url(analyst), {"action": "deactivate"}).status_code == 403
    assert (
        client_for("municipal_admin")
        .post(account_url(reporter), {"action": "deactivate"})
        .status_code
        == 302
    )


def test_coordinator_cannot_remove_a_case_worker_or_administrator_role(world, client_for):
    c = client_for("coordinator")
    for actor in ("case_worker", "municipal_admin"):
        m = world.memberships[actor]
        url = f"{BASE}/medlemmar/roller/{m.pk}/ta-bort/"
        assert c.get(url).status_code == 404
        assert c.post(url).status_code == 404
        assert Membership.objects.filter(pk=m.pk).exists()
    page = c.get(user_page(world.users["case_worker"])).content.decode()
    assert "/ta-bort/" not in page


def test_coordinator_cannot_remove_or_deactivate_an_organisation_with_such_roles(world, client_for):
    """Deleting an organisation removes its roles, deactivating it suspends them: neither is a
    way round the rule above."""
    c = client_for("coordinator")
    kommun = world.orgs["kommun"]  # holds the municipal administrator's role
    c.post(f"{BASE}/organisationer/{kommun.pk}/ta-bort/")
    assert Organisation.objects.filter(pk=kommun.pk).exists()
    assert Membership.objects.filter(pk=world.memberships["municipal_admin"].pk).exists()
    r = c.post(
        f"{BASE}/organisationer/{kommun.pk}/andra/",
        {"name": kommun.name, "kind": kommun.kind},  # is_active unticked
    )
    assert r.status_code == 400
    kommun.refresh_from_db()
    assert kommun.is_active


def test_services_refuse_the_escalations_whoever_calls_them(world):
    coordinator = world.users["coordinator"]
    case_worker = world.users["case_worker"]
    reporter = world.users["reporter"]
    calls = [
        lambda: services.membership_grant(
            actor=coordinator, user=reporter, organisation=world.orgs["social"], role="case_worker"
        ),
        lambda: services.membership_revoke(
            actor=coordinator, membership=world.memberships["case_worker"]
        ),
        lambda: services.user_set_password(
            actor=coordinator, user=case_worker, password="kapat-konto-losen-55"
        ),
        lambda: services.user_reset_second_factor(actor=coordinator, user=case_worker),
        lambda: services.user_set_active(actor=coordinator, user=case_worker, active=False),
        lambda: services.user_set_password(
            actor=coordinator, user=coordinator, password="eget-via-adminsidan-55"
        ),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()


def test_legitimate_grants_work_and_name_both_parties_in_the_audit_trail(world, client_for):
    admin, reporter = world.users["municipal_admin"], world.users["reporter"]
    r = client_for("municipal_admin").post(
        user_page(reporter), {"organisation": world.orgs["social"].pk, "role": "case_worker"}
    )
    assert r.status_code == 302
    m = Membership.objects.get(user=reporter, role="case_worker")
    granted = AuditEvent.objects.get(event_type="role_granted")
    assert granted.actor_id == admin.pk
    assert granted.object_type == "auth.user" and granted.object_id == str(reporter.pk)
    assert granted.municipality_id == world.sundsvall.pk
    assert granted.changes["user_id"] == reporter.pk and granted.changes["actor_id"] == admin.pk
    assert granted.changes["role"] == "case_worker"
    # a coordinator still grants the ordinary roles, their own included, to someone else
    viewer = world.users["viewer"]
    r = client_for("coordinator").post(
        user_page(viewer), {"organisation": world.orgs["police"].pk, "role": "coordinator"}
    )
    assert r.status_code == 302
    assert Membership.objects.filter(user=viewer, role="coordinator").exists()
    # and revocations are recorded the same way
    assert (
        client_for("municipal_admin").post(f"{BASE}/medlemmar/roller/{m.pk}/ta-bort/").status_code
        == 302
    )
    revoked = AuditEvent.objects.get(event_type="role_revoked")
    assert revoked.actor_id == admin.pk and revoked.object_id == str(reporter.pk)
    assert revoked.changes["user_id"] == reporter.pk and revoked.changes["role"] == "case_worker"


def test_resolver_answers_the_account_questions(world):
    from brygga.core.access import resolver_for

    s = world.sundsvall
    coordinator = resolver_for(world.users["coordinator"])
    admin = resolver_for(world.users["municipal_admin"])
    assert coordinator.grantable_roles(s) == {"viewer", "reporter", "analyst", "coordinator"}
    assert admin.grantable_roles(s) == set(Role.values)
    assert resolver_for(world.users["analyst"]).grantable_roles(s) == set()
    assert coordinator.grantable_roles(world.timra) == set()
    assert not coordinator.can_grant("viewer", s, world.users["coordinator"])
    assert coordinator.can_grant("viewer", s, None)  # an account about to be created
    assert coordinator.can_manage_account(world.users["reporter"])
    assert not coordinator.can_manage_account(world.users["case_worker"])
    assert not coordinator.can_manage_account(world.users["municipal_admin"])
    assert not coordinator.can_manage_account(world.users["coordinator"])
    assert not coordinator.can_manage_account(world.users["system_admin"])
    assert admin.can_manage_account(world.users["case_worker"])
    assert not admin.can_manage_account(world.users["outsider"])
    assert coordinator.can_revoke(world.memberships["reporter"])
    assert not coordinator.can_revoke(world.memberships["case_worker"])


# --- item 6: the second factor -----------------------------------------------------------------
def _incident_with_personal_data(world, org_key: str):
    from brygga.incidents.models import Category, Incident

    return Incident.objects.create(
        municipality=world.sundsvall,
        county_id=world.sundsvall.county_id,
        category=Category.objects.filter(municipality__isnull=True).first(),
        occurred_from=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC),
        description="Namngiven person hotade personal",
        reporting_organisation=world.orgs[org_key],
        has_personal_data=True,
    )


def test_the_premise_every_role_can_read_personal_data(world):
    """Why every role needs a second factor by default: the incidents rule shows incidents
    with personal data to every member of the reporting organisation, in any role. If this
    changes, revisit BRYGGA_OTP_REQUIRED_ROLES_DEFAULT."""
    from brygga.incidents.models import Incident

    placed = {"viewer": "kommun", "reporter": "field", "analyst": "police"}
    for actor, org_key in placed.items():
        incident = _incident_with_personal_data(world, org_key)
        visible = Incident.objects.visible_to(world.users[actor]).filter(pk=incident.pk)
        assert visible.exists(), actor


def test_every_role_needs_a_second_factor_by_default(world):
    for actor in ("viewer", "reporter", "analyst", "coordinator", "case_worker"):
        assert otp_required_for(world.users[actor]), actor
    assert otp_required_for(world.users["municipal_admin"])
    assert otp_required_for(world.users["system_admin"])


def test_administrator_cannot_switch_off_case_workers_or_their_own_role(world, client_for):
    admin = world.users["municipal_admin"]
    MembershipFactory(user=admin, organisation=world.orgs["police"], role=Role.ANALYST)
    c = client_for("municipal_admin")
    page = c.get(f"{BASE}/sakerhet/")
    form = page.context["form"]
    assert form.fields["case_worker"].disabled and form.fields["municipal_admin"].disabled
    assert form.fields["analyst"].disabled  # the administrator is an analyst too
    assert not form.fields["coordinator"].disabled
    # a forged POST that switches every role off
    assert c.post(f"{BASE}/sakerhet/", dict.fromkeys(Role.values, "")).status_code == 302
    assert otp_required_for(world.users["case_worker"])
    assert otp_required_for(world.users["analyst"])
    assert not otp_required_for(world.users["coordinator"])  # allowed: not their role
    assert not RoleSecurityPolicy.objects.filter(
        role__in=["case_worker", "municipal_admin", "analyst"], otp_required=False
    ).exists()
    for role in ("case_worker", "municipal_admin", "analyst"):
        with pytest.raises(PermissionDenied):
            services.security_policy_set(
                actor=admin, municipality=world.sundsvall, role=role, otp_required=False
            )


def test_a_stored_policy_cannot_switch_off_the_second_factor_of_case_workers(world):
    """A policy row written before this rule (or by hand) does not count for such roles."""
    RoleSecurityPolicy.objects.create(
        municipality=world.sundsvall, role="case_worker", otp_required=False
    )
    assert otp_required_for(world.users["case_worker"])


def test_account_pages_wait_for_the_second_factor(world):
    user = world.users["coordinator"]
    c = Client()
    c.force_login(user)  # password accepted, no code yet
    for path in ("/konto/profil/", "/konto/losenord/"):
        r = c.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/konto/tvafaktor/"), path
    r = c.post(
        "/konto/losenord/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert r.status_code == 302 and r["Location"].startswith("/konto/tvafaktor/")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert c.get("/konto/tvafaktor/").status_code == 200
    TOTPDevice.objects.filter(user=user).delete()
    assert c.get("/konto/tvafaktor/aktivera/").status_code == 200  # enrolment stays open
    assert c.post("/konto/logga-ut/").status_code == 302


# --- item 11 a: session lifetime -------------------------------------------------------------
@pytest.fixture
def clock(monkeypatch):
    """Move Django's clock (sessions, the session middleware) forward."""
    from django.utils import timezone

    real_now = timezone.now
    offset = [dt.timedelta(0)]
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset[0])

    class Clock:
        def advance(self, **kwargs) -> None:
            offset[0] += dt.timedelta(**kwargs)

    return Clock()


def test_a_session_ends_after_twelve_hours_whatever_the_activity(world, client_for, clock):
    c = client_for("viewer")
    for _ in range(35):  # a request every 20 minutes, for 11 h 40 min
        clock.advance(minutes=20)
        assert c.get(f"{BASE}/").status_code == 200
    clock.advance(minutes=20)
    r = c.get(f"{BASE}/")
    assert r.status_code == 302 and r["Location"].startswith("/konto/logga-in/")
    page = c.get(r["Location"]).content.decode()
    assert "En session varar högst 12 timmar" in page
    assert AuditEvent.objects.filter(kind="logout", actor_label="viewer").exists()


def test_an_idle_session_ends_and_activity_keeps_it(world, client_for, clock):
    c = client_for("viewer")
    for _ in range(4):
        clock.advance(minutes=29)
        assert c.get(f"{BASE}/").status_code == 200
    clock.advance(minutes=31)
    r = c.get(f"{BASE}/")
    assert r.status_code == 302 and r["Location"].startswith("/konto/logga-in/")
    assert "utan aktivitet" in c.get(r["Location"]).content.decode()


def test_polling_a_job_page_does_not_keep_the_session_alive(world, client_for, clock):
    from brygga.incidents.models import ImportJob

    job = ImportJob.objects.create(
        municipality=world.sundsvall,
        kind="police",
        state="running",
        file_name="handelser.json",
        created_by=world.users["coordinator"],
    )
    status = reverse("incidents:police_job_status", args=[world.sundsvall.code, job.pk])
    c = client_for("coordinator")
    htmx = {"HX-Request": "true", "HX-Current-URL": f"http://testserver{BASE}/"}
    clock.advance(minutes=20)
    first = c.get(status, headers=htmx)
    assert first.status_code == 200 and "HX-Redirect" not in first
    clock.advance(minutes=20)  # 40 minutes without anything the user did
    ended = c.get(status, headers=htmx)
    assert ended["HX-Redirect"].startswith("/konto/logga-in/?next=")
    r = c.get(f"{BASE}/")
    assert r.status_code == 302 and r["Location"].startswith("/konto/logga-in/")


# --- item 11 b: a password set by someone else -------------------------------------------------
def _signed_in_with_second_factor(user) -> Client:
    TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    c = Client()
    login(c, user)
    return c


def test_initial_password_from_a_coordinator_must_be_changed_first(world, client_for):
    r = client_for("coordinator").post(
        f"{BASE}/medlemmar/ny/",
        {
            "username": "ny.anvandare",
            "password": "ett-langt-losenord-42",
            "organisation": world.orgs["housing"].pk,
            "role": "reporter",
        },
    )
    assert r.status_code == 302
    user = get_user_model().objects.get(username="ny.anvandare")
    c = _signed_in_with_second_factor(user)
    for path in (f"{BASE}/", "/konto/profil/", f"{BASE}/omraden/"):
        r = c.get(path)
        assert r.status_code == 302 and r["Location"] == "/konto/losenord/", path
    assert c.get("/api/v1/areas/").status_code == 403
    page = c.get("/konto/losenord/")
    assert page.status_code == 200
    assert "Ditt lösenord har satts av någon annan" in page.content.decode()
    same = c.post(
        "/konto/losenord/",
        {
            "old_password": "ett-langt-losenord-42",
            "new_password1": "ett-langt-losenord-42",
            "new_password2": "ett-langt-losenord-42",
        },
    )
    assert same.status_code == 200 and same.context["form"].errors
    ok = c.post(
        "/konto/losenord/",
        {
            "old_password": "ett-langt-losenord-42",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert ok.status_code == 302
    assert c.get(f"{BASE}/").status_code == 200  # the session survived the change
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(event_type="password_changed", object_id=str(user.pk)).exists()


def test_password_set_by_an_administrator_must_be_changed_first(world, client_for):
    target = world.users["case_worker"]
    r = client_for("municipal_admin").post(
        account_url(target),
        {
            "action": "set_password",
            "new_password1": "tillfalligt-losen-88",
            "new_password2": "tillfalligt-losen-88",
        },
    )
    assert r.status_code == 302
    target.refresh_from_db()  # the new password hash: the session is checked against it
    c = _signed_in_with_second_factor(target)
    r = c.get(f"{BASE}/")
    assert r.status_code == 302 and r["Location"] == "/konto/losenord/"
    assert c.post("/konto/logga-ut/").status_code == 302  # sign-out stays open


def test_a_user_created_without_password_has_nothing_to_change(world, client_for):
    """An account for single sign-on (no password) is not held at the password page."""
    r = client_for("coordinator").post(
        f"{BASE}/medlemmar/ny/",
        {"username": "sso.anvandare", "organisation": world.orgs["housing"].pk, "role": "viewer"},
    )
    assert r.status_code == 302
    user = get_user_model().objects.get(username="sso.anvandare")
    assert _signed_in_with_second_factor(user).get(f"{BASE}/").status_code == 200


# --- item 11 c: the demo and the production settings -------------------------------------------
def test_demo_refuses_the_production_settings(world):
    with override_settings(BRYGGA_PRODUCTION=True), pytest.raises(CommandError) as refused:
        call_command("demo", "--no-serve")
    assert "produktionsinställningarna" in str(refused.value)
    assert not get_user_model().objects.filter(email__endswith="@demo.invalid").exists()
    with override_settings(BRYGGA_PRODUCTION=True), pytest.raises(CommandError):
        call_command("demo-totp", "samordnare")


def test_brygga_demo_stops_before_touching_a_production_database(tmp_path):
    import base64

    from ..test_deploy import PRODUCTION_ENV

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "BRYGGA_ENV_FILE")
    }
    env.update(PRODUCTION_ENV, BRYGGA_VAR_DIR=str(tmp_path))
    # the audit chain's key, which the production settings require
    env.setdefault("BRYGGA_AUDIT_KEYS", "test:" + base64.b64encode(b"k" * 32).decode())
    result = subprocess.run(
        [sys.executable, "-m", "brygga.manage", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert "vägrar köra med produktionsinställningarna" in result.stderr
    assert not (tmp_path / "brygga.sqlite3").exists()


def test_new_user_with_an_initial_password_enrols_then_changes_it_without_a_loop(world, client_for):
    """Regression: the second-factor gate and the password gate sent a new user back and forth
    between /konto/tvafaktor/ and /konto/losenord/ for ever. Signed in through the real form."""
    from django_otp.oath import totp

    r = client_for("coordinator").post(
        "/kommuner/2281/medlemmar/ny/",
        {
            "username": "ny.rapportor",
            "password": "ett-langt-losenord-42",
            "organisation": world.orgs["housing"].pk,
            "role": "reporter",
        },
    )
    assert r.status_code == 302
    c = Client()
    r = c.post(
        "/konto/logga-in/",
        {"username": "ny.rapportor", "password": "ett-langt-losenord-42"},
        follow=True,
    )
    assert r.status_code == 200 and len(r.redirect_chain) < 4
    assert r.request["PATH_INFO"] == reverse("account:otp_setup")
    device = TOTPDevice.objects.get(user__username="ny.rapportor", confirmed=False)
    r = c.post(
        reverse("account:otp_setup"),
        {"otp_token": f"{totp(device.bin_key):06d}"},
        follow=True,
    )
    assert r.status_code == 200 and len(r.redirect_chain) < 4
    assert r.request["PATH_INFO"] == reverse("account:password_change")
