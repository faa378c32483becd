"""Issue #12 items 8 and 9 with the keyboard alone, in a real browser (axe-core does not see
these): the error summary after a failed submit, status messages after an action, the focus on
the second-factor pages, and the confirmation before "nothing to report" for another
organisation. axe-core and the console check run on every page visited."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from brygga.incidents.models import Category, NilReport

from ..conftest import PASSWORD
from .conftest import Session

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
BASE = "/kommuner/2281/handelser"
SUMMARY = "[data-error-summary]"
MISSING_PLACE = "Ange var det hände: en punkt på kartan, koordinater eller ett område."


@pytest.fixture(autouse=True)
def default_categories(transactional_db):
    """Browser tests flush the database between tests; put the shipped categories back."""
    from brygga.audit.context import acting_as
    from brygga.incidents.models import PoliceTypeMapping
    from brygga.incidents.reference import load_default_categories

    with acting_as(label="test setup"):
        load_default_categories(Category, PoliceTypeMapping)


def active(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
        return {id: e.id, tag: e.tagName, href: e.getAttribute('href'),
                text: (e.textContent || '').trim()}; }"""
    )


def wait_for_focus(page, selector: str) -> None:
    page.wait_for_function(
        "s => document.activeElement && document.activeElement.matches(s)",
        arg=selector,
        timeout=3000,
    )


def tab_to(page, predicate: str, *, limit: int = 80) -> None:
    """Press Tab until ``predicate`` (JavaScript, of ``e``: the focused element) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!({predicate}); }}"):
            return
    raise AssertionError(f"not reached with Tab: {predicate}")


def in_view(page, selector: str) -> bool:
    return page.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect();
        return r.top >= -1 && r.bottom <= window.innerHeight + 1; }""",
        selector,
    )


def described_by(page, selector: str) -> str:
    return page.evaluate(
        """s => (document.querySelector(s).getAttribute('aria-describedby') || '').split(' ')
        .filter(Boolean).map(id => document.getElementById(id).textContent.trim()).join(' | ')""",
        selector,
    )


def submit_empty_report(page) -> None:
    """Reach the report form's last text box with Tab and press Enter in it: the form is sent
    with no category and no place."""
    tab_to(page, "e.id === 'id_place_description'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")


def test_failed_report_focuses_the_error_summary_and_its_links_reach_the_fields(session_for, world):
    s = session_for("reporter")
    s.goto(f"{BASE}/rapportera/")
    page = s.page
    # the required-field marker is explained above the fields
    assert "Fält markerade med * måste fyllas i." in page.locator(".required-note").inner_text()
    submit_empty_report(page)
    s.check()
    assert not page.url.endswith("/kvitto/")

    # the focus is on the summary at the top of the form, named by its heading
    wait_for_focus(page, SUMMARY)
    heading = page.locator(f"{SUMMARY} h2")
    assert heading.inner_text() == "Rätta de markerade fälten nedan."
    assert page.locator(SUMMARY).get_attribute("aria-labelledby") == heading.get_attribute("id")
    # it lists each error with a link to its field
    links = page.eval_on_selector_all(
        f"{SUMMARY} a", "as => as.map(a => [a.getAttribute('href'), a.textContent.trim()])"
    )
    assert links == [
        ["#id_category", "Vad hände? Det här fältet är obligatoriskt."],
        ["#id_location", f"Var hände det? {MISSING_PLACE}"],
    ]

    # Tab to the first link, Enter: the focus is in the category field, its label in view
    page.keyboard.press("Tab")
    assert active(page)["href"] == "#id_category"
    page.keyboard.press("Enter")
    wait_for_focus(page, "#id_category")
    assert in_view(page, "label[for=id_category]")
    assert "Det här fältet är obligatoriskt." in described_by(page, "#id_category")

    # back to the second link (the next stop before the field), Enter: the whole place group
    page.keyboard.press("Shift+Tab")
    assert active(page)["href"] == "#id_location"
    page.keyboard.press("Enter")
    wait_for_focus(page, "fieldset#id_location")
    assert in_view(page, "#id_location > legend")
    # the error is described on the group, not on one of its inputs
    assert described_by(page, "#id_location") == MISSING_PLACE
    for name in ("lat", "lon", "area"):
        assert page.locator(f"[name={name}]").get_attribute("aria-invalid") is None
    # and Tab goes on inside the group
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('#id_location')")
    s.check()


def test_error_summary_takes_the_focus_without_javascript(browser, live_server, world):
    """The focus on the summary is plain HTML (autofocus), not a script."""
    context = browser.new_context(java_script_enabled=False, locale="sv-SE")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/konto/logga-in/")
        page.fill("#id_username", "reporter")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].button")
        page.wait_for_url("**/konto/tvafaktor/**")
        device = TOTPDevice.objects.get(user=world.users["reporter"])
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        page.keyboard.type(f"{code:06d}")  # the code field has the focus (autofocus)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.goto(live_server.url + f"{BASE}/rapportera/")
        submit_empty_report(page)
        wait_for_focus(page, SUMMARY)
        assert page.locator(f"{SUMMARY} a").count() == 2
    finally:
        context.close()


def test_nothing_to_report_for_another_organisation_is_confirmed_then_announced(session_for, world):
    housing = world.orgs["housing"]
    s = session_for("coordinator")  # a member of Kommunledningen, not of Mitthem
    s.goto(f"{BASE}/veckorapportering/")
    page = s.page
    # no message yet: the status region is there, empty, and does not take the focus
    assert page.locator("#messages").inner_text() == ""
    assert active(page)["id"] != "messages"

    tab_to(page, f"e.form && e.form.organisation && e.form.organisation.value === '{housing.pk}'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    s.check()
    # a confirmation step: nothing is saved yet
    assert "Mitthem" in page.locator("h1").inner_text()
    assert not NilReport.objects.exists()
    tab_to(page, "e.matches('main button[type=submit]')")
    assert "Mitthem" in active(page)["text"]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    s.check()
    nil = NilReport.objects.get()
    assert nil.organisation == housing and nil.reported_by == world.users["coordinator"]

    # the status message is in a polite live region, which takes the focus so it is read out
    region = page.locator("#messages")
    assert region.get_attribute("role") == "status"
    assert region.get_attribute("aria-live") == "polite"
    assert region.inner_text() == "Sparat: inget att rapportera den här veckan."
    wait_for_focus(page, "#messages")
    assert page.locator("tr.row-nothing").count() == 1


def test_second_factor_pages_put_the_focus_in_the_code_field(session_for, world):
    s = session_for()
    s.goto("/konto/logga-in/")
    s.page.fill("#id_username", "analyst")
    s.page.fill("#id_password", PASSWORD)
    s.page.click("button[type=submit].button")
    s.page.wait_for_url("**/konto/tvafaktor/**")
    s.check()
    _check_code_field(s)
    device = TOTPDevice.objects.get(user=world.users["analyst"])
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    s.page.keyboard.type(f"{code:06d}")
    with s.page.expect_navigation():
        s.page.keyboard.press("Enter")
    s.page.wait_for_url("**/kommuner/2281/")

    # enrolment: the same, also after a wrong code, which then describes the field
    TOTPDevice.objects.filter(user=world.users["case_worker"]).delete()
    t = session_for()
    t.goto("/konto/logga-in/")
    t.page.fill("#id_username", "case_worker")
    t.page.fill("#id_password", PASSWORD)
    t.page.click("button[type=submit].button")
    t.page.wait_for_url("**/konto/tvafaktor/aktivera/**")
    t.check()
    _check_code_field(t)
    t.page.keyboard.type("000000")
    with t.page.expect_navigation():
        t.page.keyboard.press("Enter")
    t.check()
    _check_code_field(t)
    code_field = t.page.locator("#id_otp_token")
    assert code_field.get_attribute("aria-invalid") == "true"
    assert "koden godtogs inte" in described_by(t.page, "#id_otp_token").lower()


def _check_code_field(s: Session) -> None:
    wait_for_focus(s.page, "#id_otp_token")
    field = s.page.locator("#id_otp_token")
    assert field.get_attribute("autocomplete") == "one-time-code"
    assert field.get_attribute("inputmode") == "numeric"
    assert field.get_attribute("autofocus") is not None
