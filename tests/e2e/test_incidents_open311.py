"""Open311 key administration and the contact page of a public tip in a real browser, with
axe-core on every page."""

import pytest

from brygga.incidents.models import Incident, Open311Key

from ..incidents.factories import make_key, tip
from ..incidents.georeport import post

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
KEYS = "/kommuner/2281/handelser/open311/nycklar/"


def test_admin_creates_edits_and_revokes_a_key(session_for, world):
    s = session_for("municipal_admin")
    s.goto(KEYS)
    assert "2281" in s.page.locator("dl.facts").inner_text()
    s.page.click(f"a[href='{KEYS}ny/']")
    s.page.wait_for_load_state("load")
    s.check()
    s.page.click("button[type=submit].button")  # empty name: the form says so
    s.page.wait_for_load_state("load")
    s.check()
    assert s.page.locator(".field-error #id_name").count() == 1
    s.page.fill("#id_name", "Kommunens tipsformulär")
    s.page.select_option("#id_reporting_organisation", label="Fältassistenterna")
    s.page.click("button[type=submit].button")
    s.page.wait_for_load_state("load")
    s.check()
    secret = s.page.locator("#open311-secret").inner_text().strip()
    key = Open311Key.objects.get()
    assert key.key_prefix == secret[:8] and key.reporting_organisation == world.orgs["field"]

    s.goto(KEYS)
    assert secret not in s.page.content()
    assert key.key_prefix in s.page.locator("table").inner_text()
    s.goto(f"{KEYS}{key.pk}/andra/")
    s.page.fill("#id_name", "Tipsformulär (webb)")
    s.page.click("button[type=submit].button")
    s.page.wait_for_url(f"**{KEYS}")
    s.check()
    s.goto(f"{KEYS}{key.pk}/aterkalla/")
    s.page.click("button[type=submit].button-danger")
    s.page.wait_for_url(f"**{KEYS}")
    s.check()
    key.refresh_from_db()
    assert key.name == "Tipsformulär (webb)" and not key.is_active


def test_coordinator_reads_the_contact_of_a_tip(session_for, world, client):
    from brygga.incidents.models import Category, PoliceTypeMapping
    from brygga.incidents.reference import load_default_categories

    load_default_categories(Category, PoliceTypeMapping)  # gone after a transactional flush
    _key, secret = make_key(world)
    r = post(client, "json", tip(secret, email="ylva@example.invalid", first_name="Ylva"))
    assert r.status_code == 201, r.content
    incident = Incident.objects.get(open311_request__token=r.json()[0]["service_request_id"])
    s = session_for("coordinator")
    s.goto(f"/kommuner/2281/handelser/open311/tips/{incident.pk}/kontakt/")
    assert "ylva@example.invalid" in s.page.locator("main").inner_text()


def test_coordinator_publishes_a_reviewed_tip(session_for, world, client):
    from brygga.incidents.models import Category, PoliceTypeMapping, Status
    from brygga.incidents.reference import load_default_categories
    from brygga.incidents.services import incident_set_status

    load_default_categories(Category, PoliceTypeMapping)  # gone after a transactional flush
    _key, secret = make_key(world)
    r = post(client, "json", tip(secret, description="Grannen Ylva klottrar på muren"))
    assert r.status_code == 201, r.content
    incident = Incident.objects.get(open311_request__token=r.json()[0]["service_request_id"])
    incident_set_status(actor=world.users["coordinator"], incident=incident, status=Status.REVIEWED)
    s = session_for("coordinator")
    s.goto(f"/kommuner/2281/handelser/{incident.pk}/")  # axe runs on the page with the control
    section = s.page.locator("section.publication")
    assert section.count() == 1
    s.page.fill("#id_text", "Klotter på muren")
    s.page.click("section.publication button[value=publish]")
    s.page.wait_for_load_state("load")
    s.check()
    assert "Klotter på muren" in s.page.locator("section.publication blockquote").inner_text()
    items = client.get("/open311/v2/requests.json").json()
    assert [i["description"] for i in items] == ["Klotter på muren"]
