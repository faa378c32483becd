"""Web pages of the core domain, as a coordinator and others would use them."""

import json

import pytest

from brygga.audit.models import AuditEvent
from brygga.core.models import Area, Forum, Membership, Organisation

from ..conftest import TIMRA_SQUARE

pytestmark = pytest.mark.django_db
BASE = "/kommuner/2281"


def test_coordinator_creates_organisation_and_it_is_audited(world, client_for):
    c = client_for("coordinator")
    r = c.post(
        f"{BASE}/organisationer/ny/",
        {"name": "Sundsvalls Bandyklubb", "kind": "club", "is_active": "on"},
    )
    assert r.status_code == 302
    org = Organisation.objects.get(name="Sundsvalls Bandyklubb")
    assert org.municipality == world.sundsvall
    event = AuditEvent.objects.get(
        object_type="core.organisation", object_id=str(org.pk), kind="create"
    )
    assert event.actor_label == "coordinator" and event.changes["name"] == [None, org.name]
    assert event.request_id


def test_invalid_form_rerenders_with_swedish_errors(world, client_for):
    c = client_for("coordinator")
    r = c.post(
        f"{BASE}/organisationer/ny/",
        {"name": "", "kind": "no-such-kind"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert r.status_code == 400
    body = r.content.decode()
    assert "Det här fältet är obligatoriskt." in body
    assert "Välj ett giltigt alternativ" in body


def test_duplicate_organisation_name_is_refused(world, client_for):
    r = client_for("coordinator").post(
        f"{BASE}/organisationer/ny/", {"name": "Mitthem", "kind": "housing"}
    )
    assert r.status_code == 400
    assert Organisation.objects.filter(name="Mitthem").count() == 1


def test_parent_from_other_municipality_is_refused(world, client_for):
    r = client_for("coordinator").post(
        f"{BASE}/organisationer/{world.orgs['housing'].pk}/andra/",
        {"name": "Mitthem", "kind": "housing", "parent": world.orgs["timra"].pk},
    )
    assert r.status_code == 400
    world.orgs["housing"].refresh_from_db()
    assert world.orgs["housing"].parent is None


def test_area_create_with_geojson_and_lookup(world, client_for):
    c = client_for("coordinator")
    square = {
        "type": "Polygon",
        "coordinates": [
            [[17.30, 62.40], [17.31, 62.40], [17.31, 62.405], [17.30, 62.405], [17.30, 62.40]]
        ],
    }
    r = c.post(
        f"{BASE}/omraden/nytt/",
        {
            "name": "Norra berget",
            "layer": world.areas["centrum"].layer.pk,
            "geometry": json.dumps(square),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    area = Area.objects.get(name="Norra berget")
    assert area.min_lon == pytest.approx(17.30) and area.centre_lat == pytest.approx(62.4025)
    from brygga.core.selectors import area_lookup

    hits = area_lookup(world.users["viewer"], world.sundsvall, 17.305, 62.402)
    assert [a.name for a in hits] == ["Norra berget"]


@pytest.mark.parametrize(
    "geometry, needle",
    [
        ("not json", "GeoJSON"),
        (json.dumps({"type": "Point", "coordinates": [17.3, 62.39]}), "Point"),
        (json.dumps(TIMRA_SQUARE), "Sundsvall"),
        ("", "GeoJSON"),
    ],
)
def test_area_bad_geometry_is_refused_with_reason(world, client_for, geometry, needle):
    r = client_for("coordinator").post(
        f"{BASE}/omraden/nytt/", {"name": "Fel", "kind": "district", "geometry": geometry}
    )
    assert r.status_code == 400
    assert needle in r.content.decode()
    assert not Area.objects.filter(name="Fel").exists()


def test_area_upload_file_errors_name_the_file(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("grans.geojson", b'{"type": "Polygon"', "application/geo+json")
    r = client_for("coordinator").post(
        f"{BASE}/omraden/nytt/", {"name": "Fil", "kind": "district", "geometry_file": upload}
    )
    assert r.status_code == 400 and "grans.geojson" in r.content.decode()


def test_forum_with_foreign_organisation_is_refused(world, client_for):
    r = client_for("coordinator").post(
        f"{BASE}/forum/nytt/",
        {"name": "Nytt forum", "kind": "other", "organisations": [world.orgs["timra"].pk]},
    )
    assert r.status_code == 400
    assert not Forum.objects.filter(name="Nytt forum").exists()


def test_coordinator_adds_user_with_role(world, client_for):
    r = client_for("coordinator").post(
        f"{BASE}/medlemmar/ny/",
        {
            "username": "ny.fritid",
            "first_name": "Ny",
            "last_name": "Fritid",
            "email": "ny@example.invalid",
            "password": "ett-langt-losenord-42",
            "organisation": world.orgs["housing"].pk,
            "role": "reporter",
        },
    )
    assert r.status_code == 302
    m = Membership.objects.get(user__username="ny.fritid")
    assert m.role == "reporter" and m.municipality == world.sundsvall


def test_coordinator_cannot_grant_municipal_admin(world, client_for):
    r = client_for("coordinator").post(
        f"{BASE}/medlemmar/ny/",
        {
            "username": "blivande.admin",
            "organisation": world.orgs["kommun"].pk,
            "role": "municipal_admin",
        },
    )
    assert r.status_code == 400
    assert not Membership.objects.filter(user__username="blivande.admin").exists()


def test_weak_password_is_refused_and_nothing_is_created(world, client_for):
    from django.contrib.auth import get_user_model

    r = client_for("coordinator").post(
        f"{BASE}/medlemmar/ny/",
        {
            "username": "svag",
            "password": "123",
            "organisation": world.orgs["kommun"].pk,
            "role": "viewer",
        },
    )
    assert r.status_code == 400
    assert not get_user_model().objects.filter(username="svag").exists()


def test_coordinator_cannot_touch_other_municipality(world, client_for):
    c = client_for("coordinator")
    assert c.get(f"/kommuner/2262/organisationer/{world.orgs['timra'].pk}/").status_code == 404
    r = c.post(
        f"/kommuner/2262/organisationer/{world.orgs['timra'].pk}/andra/",
        {"name": "Kapad", "kind": "other"},
    )
    assert r.status_code == 404
    # An object of another municipality under this municipality's URL is not found either.
    assert c.get(f"{BASE}/organisationer/{world.orgs['timra'].pk}/").status_code == 404
    assert c.get(f"{BASE}/omraden/{world.areas['timra'].pk}/andra/").status_code == 404


def test_delete_needs_post_and_is_audited(world, client_for):
    c = client_for("coordinator")
    org = world.orgs["housing"]
    url = f"{BASE}/organisationer/{org.pk}/ta-bort/"
    assert c.get(url).status_code == 200
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert c.post(url).status_code == 302
    assert not Organisation.objects.filter(pk=org.pk).exists()
    assert AuditEvent.objects.filter(
        kind="delete", object_id=str(org.pk), object_type="core.organisation"
    ).exists()


def test_organisation_with_departments_cannot_be_deleted(world, client_for):
    c = client_for("coordinator")
    r = c.post(f"{BASE}/organisationer/{world.orgs['social'].pk}/ta-bort/", follow=True)
    assert Organisation.objects.filter(pk=world.orgs["social"].pk).exists()
    assert r.status_code == 200


def test_overview_shows_map_data_and_areas(world, client_for):
    r = client_for("viewer").get(f"{BASE}/")
    body = r.content.decode()
    assert r.status_code == 200 and 'id="map-data"' in body
    assert "Centrum" in body and "Nacksta" in body and "Timrå centrum" not in body
    assert "SSPF arbetsgrupp" not in body  # need-to-know
    assert "Trygghetsgrupp Centrum" in body


def test_swedish_by_default_and_english_on_request(world, client_for):
    c = client_for("viewer")
    # Swedish even when the browser prefers English: only the switch changes the language.
    assert "Områden" in c.get(f"{BASE}/omraden/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Areas" in c.get(f"{BASE}/omraden/").content.decode()


def test_security_policy_makes_otp_optional_for_coordinators(world, client_for):
    from brygga.core.selectors import otp_required_for

    assert otp_required_for(world.users["coordinator"])
    r = client_for("municipal_admin").post(
        f"{BASE}/sakerhet/",
        {"viewer": "on", "reporter": "on", "analyst": "on", "municipal_admin": "on"},
    )
    assert r.status_code == 302
    assert not otp_required_for(world.users["coordinator"])
    assert otp_required_for(world.users["case_worker"])
    assert AuditEvent.objects.filter(event_type="security_policy_changed").count() == 1


def test_healthz_reports_database_schema_static_and_queue():
    from django.test import Client

    body = Client().get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["schema"] == "ok" and body["static"] == "ok"
    assert body["queue"]["waiting"] == 0


def test_404_page_is_swedish(world, client_for):
    r = client_for("viewer").get("/finns-inte/")
    assert r.status_code == 404 and "Sidan finns inte" in r.content.decode()


def test_request_id_header(world, client_for):
    r = client_for("viewer").get(f"{BASE}/", HTTP_X_REQUEST_ID="abcdef1234567890")
    assert r["X-Request-ID"] == "abcdef1234567890"
    assert len(client_for("viewer").get(f"{BASE}/")["X-Request-ID"]) == 32


def test_coordinator_deactivates_and_reactivates_a_member(world, client_for):
    from django.test import Client

    from ..conftest import PASSWORD

    c = client_for("coordinator")
    url = f"{BASE}/medlemmar/anvandare/{world.users['reporter'].pk}/konto/"
    assert c.post(url, {"action": "deactivate"}).status_code == 302

    def signs_in() -> bool:
        r = Client().post("/konto/logga-in/", {"username": "reporter", "password": PASSWORD})
        return r.status_code == 302

    assert not signs_in()
    assert c.post(url, {"action": "activate"}).status_code == 302
    assert signs_in()


def test_coordinator_cannot_touch_municipal_admin_or_outsider_accounts(world, client_for):
    c = client_for("coordinator")
    admin_url = f"{BASE}/medlemmar/anvandare/{world.users['municipal_admin'].pk}/konto/"
    assert c.post(admin_url, {"action": "deactivate"}).status_code == 403
    outsider_url = f"{BASE}/medlemmar/anvandare/{world.users['outsider'].pk}/konto/"
    assert c.post(outsider_url, {"action": "deactivate"}).status_code == 404
    world.users["municipal_admin"].refresh_from_db()
    world.users["outsider"].refresh_from_db()
    assert world.users["municipal_admin"].is_active and world.users["outsider"].is_active


def test_reset_second_factor_and_set_password(world, client_for):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    c = client_for("municipal_admin")
    target = world.users["case_worker"]
    url = f"{BASE}/medlemmar/anvandare/{target.pk}/konto/"
    assert c.post(url, {"action": "reset_otp"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    weak = c.post(url, {"action": "set_password", "new_password1": "kort", "new_password2": "kort"})
    assert weak.status_code == 400
    ok = c.post(
        url,
        {
            "action": "set_password",
            "new_password1": "ett-nytt-langt-losen-77",
            "new_password2": "ett-nytt-langt-losen-77",
        },
    )
    assert ok.status_code == 302
    target.refresh_from_db()
    assert target.check_password("ett-nytt-langt-losen-77")
    events = AuditEvent.objects.filter(object_type="auth.user", object_id=str(target.pk))
    assert events.filter(event_type="second_factor_reset").exists()
    assert events.filter(event_type="password_set_by_administrator").exists()
    assert not events.filter(changes__icontains="ett-nytt").exists()
