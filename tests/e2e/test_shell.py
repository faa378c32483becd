"""Every page of the shell in a real browser: it renders, works, and axe finds no violation."""

import pytest

from brygga.audit.context import acting_as
from brygga.core import services
from brygga.core.access import SystemActor
from brygga.core.models import Area, Organisation

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281"


def test_every_shell_page_is_accessible(session_for, world):
    s = session_for("municipal_admin")
    o, a, f = world.orgs["housing"].pk, world.areas["centrum"].pk, world.forums["sspf"].pk
    layer = world.areas["centrum"].layer_id
    with acting_as(label="test setup"):  # a DeSO area known by its code alone
        code_only = services.area_for_code(
            actor=SystemActor("test"), municipality=world.sundsvall, code="2281C1010"
        )
    pages = [
        "/kommuner/",
        f"{BASE}/",
        f"{BASE}/organisationer/",
        f"{BASE}/organisationer/{o}/",
        f"{BASE}/organisationer/ny/",
        f"{BASE}/organisationer/{o}/andra/",
        f"{BASE}/organisationer/{o}/ta-bort/",
        f"{BASE}/omraden/",
        f"{BASE}/omraden/{a}/",
        f"{BASE}/omraden/nytt/",
        f"{BASE}/omraden/{a}/andra/",
        f"{BASE}/omraden/{a}/ta-bort/",
        f"{BASE}/omraden/?lager={layer}",
        f"{BASE}/omraden/lager/nytt/",
        f"{BASE}/omraden/lager/{layer}/andra/",
        f"{BASE}/omraden/lager/{layer}/ta-bort/",
        f"{BASE}/omraden/{code_only.pk}/",
        f"{BASE}/forum/",
        f"{BASE}/forum/{f}/",
        f"{BASE}/forum/nytt/",
        f"{BASE}/forum/{f}/andra/",
        f"{BASE}/forum/{f}/ta-bort/",
        f"{BASE}/medlemmar/",
        f"{BASE}/medlemmar/ny/",
        f"{BASE}/medlemmar/anvandare/{world.users['reporter'].pk}/",
        f"{BASE}/medlemmar/roller/{world.memberships['reporter'].pk}/ta-bort/",
        f"{BASE}/sakerhet/",
        f"{BASE}/logg/",
        "/konto/profil/",
        "/konto/losenord/",
    ]
    for path in pages:
        s.goto(path)
    s.goto("/finns-inte/", status=404)
    s.goto("/api/v1/docs/")
    assert s.page.locator("table.api tbody tr").count() > 10


def test_viewer_sees_map_with_boundary_and_areas_on_a_phone(session_for, world):
    s = session_for("viewer", viewport={"width": 390, "height": 844})
    s.goto(f"{BASE}/")
    # the boundary and both areas render as SVG paths although every tile request is blocked
    s.page.wait_for_selector("#map path.leaflet-interactive")
    paths = s.page.locator("#map .leaflet-overlay-pane path").count()
    assert paths == 1 + Area.objects.filter(municipality=world.sundsvall).count()
    # the menu is folded on a phone: open it, so that its links are there to be read
    s.page.locator("#nav-menu > summary").click()
    nav = s.page.locator("nav.main-nav").inner_text()
    assert "Områden" in nav
    assert "Användare och roller" not in nav and "Granskningslogg" not in nav
    assert "SSPF arbetsgrupp" not in s.page.content()


def test_login_page_and_second_factor_pages(session_for, world):
    s = session_for()
    s.goto("/konto/logga-in/")
    s.page.fill("#id_username", "viewer")
    s.page.fill("#id_password", "fel")
    s.page.click("button[type=submit].button")
    s.page.wait_for_load_state("load")
    s.check()
    assert s.page.locator(".error-summary").count() == 1
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=world.users["case_worker"]).delete()
    t = session_for()
    t.goto("/konto/logga-in/")
    t.page.fill("#id_username", "case_worker")
    t.page.fill("#id_password", "correct-horse-battery-9")
    t.page.click("button[type=submit].button")
    t.page.wait_for_url("**/konto/tvafaktor/aktivera/**")
    t.check()
    assert t.page.locator(".qr svg").count() == 1


def test_coordinator_adds_area_and_sees_errors(session_for, world):
    s = session_for("coordinator")
    s.goto(f"{BASE}/omraden/nytt/")
    s.page.fill("#id_name", "Testområde")
    s.page.fill(
        "#id_geometry", '{"type": "LineString", "coordinates": [[17.3, 62.3], [17.4, 62.4]]}'
    )
    s.page.click("main button[type=submit]")
    s.page.wait_for_load_state("load")
    s.check()
    assert "LineString" in s.page.locator(".field-error").inner_text()
    s.page.fill(
        "#id_geometry",
        '{"type": "Polygon", "coordinates": [[[17.30, 62.40], '
        "[17.31, 62.40], [17.31, 62.405], [17.30, 62.405], [17.30, 62.40]]]}",
    )
    s.page.click("main button[type=submit]")
    s.page.wait_for_url(f"**{BASE}/omraden/*/")
    s.check()
    assert Area.objects.filter(name="Testområde").exists()


def test_language_switch_to_english(session_for, world):
    s = session_for("viewer")
    s.goto(f"{BASE}/organisationer/")
    s.page.click("button[name=language][value=en]")
    s.page.wait_for_load_state("load")
    s.check()
    assert s.page.locator("h1").inner_text() == "Organisations"
    assert Organisation.objects.count() >= 5
