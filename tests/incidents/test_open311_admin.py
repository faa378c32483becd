"""Open311 key administration (municipal administrators) and the contact page of a tip."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from brygga.audit.models import AuditEvent
from brygga.incidents.models import Incident, Open311Key

from .factories import IncidentFactory, category, make_key, tip
from .georeport import post

KEYS = "/kommuner/2281/handelser/open311/nycklar/"


def _secret_from(response) -> str:
    match = re.search(r'id="open311-secret">([^<]+)<', response.content.decode())
    assert match, "the new key is shown on the page"
    return match.group(1)


def test_admin_creates_a_key_and_sees_the_secret_once(world, client_for):
    c = client_for("municipal_admin")
    assert c.get(f"{KEYS}ny/").status_code == 200
    r = c.post(f"{KEYS}ny/", {"name": "Kommunens tipsformulär", "reporting_organisation": ""})
    assert r.status_code == 200
    assert "no-store" in r["Cache-Control"]
    secret = _secret_from(r)
    assert len(secret) >= 40
    key = Open311Key.objects.get()
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.key_prefix == secret[:8] and key.is_active
    assert key.municipality == world.sundsvall and key.reporting_organisation is None
    listing = c.get(KEYS).content.decode()
    assert key.key_prefix in listing and secret not in listing
    assert secret not in c.get(f"{KEYS}{key.pk}/andra/").content.decode()
    trail = json.dumps(list(AuditEvent.objects.values("changes", "object_repr")))
    assert secret not in trail and key.key_hash not in trail
    assert AuditEvent.objects.filter(object_type="incidents.open311key", kind="create").exists()
    # and the key works
    assert post(c, "json", tip(secret)).status_code == 201


def test_reporting_organisation_must_be_active_and_own(world, client_for):
    c = client_for("municipal_admin")
    for org in (world.orgs["timra"], "999999"):
        r = c.post(f"{KEYS}ny/", {"name": "x", "reporting_organisation": getattr(org, "pk", org)})
        assert r.status_code == 400
    inactive = world.orgs["housing"]
    inactive.is_active = False
    inactive.save()
    r = c.post(f"{KEYS}ny/", {"name": "x", "reporting_organisation": inactive.pk})
    assert r.status_code == 400
    r = c.post(f"{KEYS}ny/", {"name": "", "reporting_organisation": ""})
    assert r.status_code == 400
    assert Open311Key.objects.count() == 0
    r = c.post(f"{KEYS}ny/", {"name": "Appen", "reporting_organisation": world.orgs["field"].pk})
    assert r.status_code == 200
    assert Open311Key.objects.get().reporting_organisation == world.orgs["field"]


def test_edit_changes_name_and_organisation_not_the_secret(world, client_for):
    key, secret = make_key(world)
    c = client_for("municipal_admin")
    r = c.post(
        f"{KEYS}{key.pk}/andra/",
        {"name": "Nytt namn", "reporting_organisation": world.orgs["police"].pk},
    )
    assert r.status_code == 302
    key.refresh_from_db()
    assert key.name == "Nytt namn" and key.reporting_organisation == world.orgs["police"]
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_revoke_stops_the_key_at_once(world, client_for):
    key, secret = make_key(world)
    c = client_for("municipal_admin")
    assert c.get(f"{KEYS}{key.pk}/aterkalla/").status_code == 200
    r = c.post(f"{KEYS}{key.pk}/aterkalla/")
    assert r.status_code == 302 and r["Location"] == KEYS
    key.refresh_from_db()
    assert not key.is_active
    assert AuditEvent.objects.filter(event_type="open311_key_revoked").count() == 1
    assert post(c, "json", tip(secret)).status_code == 403
    c.post(f"{KEYS}{key.pk}/aterkalla/")  # again: nothing more happens
    assert AuditEvent.objects.filter(event_type="open311_key_revoked").count() == 1


@pytest.mark.parametrize("actor", ["coordinator", "analyst", "viewer", "reporter", "case_worker"])
def test_only_administrators_manage_keys(actor, world, client_for):
    key, _secret = make_key(world)
    c = client_for(actor)
    assert c.post(f"{KEYS}ny/", {"name": "x"}).status_code == 403
    assert c.post(f"{KEYS}{key.pk}/aterkalla/").status_code == 403
    key.refresh_from_db()
    assert key.is_active and Open311Key.objects.count() == 1


def test_keys_of_another_municipality_are_out_of_reach(world, client_for):
    timra_key, _secret = make_key(world, municipality=world.timra)
    c = client_for("municipal_admin")
    assert c.get(f"{KEYS}{timra_key.pk}/aterkalla/").status_code == 404
    assert c.post(f"{KEYS}{timra_key.pk}/aterkalla/").status_code == 404
    assert timra_key.name not in c.get(KEYS).content.decode()
    outsider = client_for("outsider")
    assert outsider.get(KEYS).status_code == 404
    assert outsider.get("/kommuner/2262/handelser/open311/nycklar/").status_code == 403


# --- contact details ------------------------------------------------------------------------
@pytest.fixture
def tip_with_contact(world, client):
    _key, secret = make_key(world)
    r = post(
        client,
        "json",
        tip(secret, email="ylva@example.invalid", first_name="Ylva", phone="070-1234567"),
    )
    return Incident.objects.get(open311_request__token=r.json()[0]["service_request_id"])


def _contact_url(incident) -> str:
    return f"/kommuner/2281/handelser/open311/tips/{incident.pk}/kontakt/"


@pytest.mark.parametrize("actor", ["coordinator", "municipal_admin", "system_admin"])
def test_managers_read_the_contact_and_the_read_is_logged(
    actor, world, tip_with_contact, client_for
):
    r = client_for(actor).get(_contact_url(tip_with_contact))
    assert r.status_code == 200
    page = r.content.decode()
    assert "ylva@example.invalid" in page and "070-1234567" in page
    assert "no-store" in r["Cache-Control"]
    access = AuditEvent.objects.get(kind="access")
    assert access.actor_id == world.users[actor].pk
    assert access.object_type == "incidents.open311contact"
    assert access.changes == {"fields": ["email", "first_name", "phone"]}
    assert access.purpose and access.municipality_id == world.sundsvall.pk


@pytest.mark.parametrize("actor", ["viewer", "reporter", "analyst", "case_worker"])
def test_others_cannot_read_the_contact(actor, world, tip_with_contact, client_for):
    r = client_for(actor).get(_contact_url(tip_with_contact))
    assert r.status_code == 403
    assert b"ylva@example.invalid" not in r.content
    assert not AuditEvent.objects.filter(kind="access").exists()


def test_contact_page_without_contact_logs_nothing(world, client, client_for):
    _key, secret = make_key(world)
    r = post(client, "json", tip(secret))
    incident = Incident.objects.get(open311_request__token=r.json()[0]["service_request_id"])
    assert client_for("coordinator").get(_contact_url(incident)).status_code == 200
    assert not AuditEvent.objects.filter(kind="access").exists()


def test_contact_page_only_for_public_tips(world, client_for):
    from django.utils import timezone

    manual = IncidentFactory(
        municipality=world.sundsvall, category=category("klotter"), occurred_from=timezone.now()
    )
    assert client_for("coordinator").get(_contact_url(manual)).status_code == 404
