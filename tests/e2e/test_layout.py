"""The shell on a 390 × 844 phone (issue #12): no page is wider than the screen, the menu folds
away behind "Meny", and the focus ring can be seen.

The width test walks the URLconf (as the authorization matrix does), so a page added later is
measured the day it is added: every route is a page visited here, or is named in ``NOT_PAGES``,
``NOT_PAGE_PREFIXES`` or ``FRAGMENTS`` with the reason, and a Django test client checks that
those really are no page a person opens (a download, JSON for programs, a POST, a redirect, a
fragment of another page). The data is the demo's (its organisations, users, areas, forums,
tips, import history) plus police events and one object of every kind the routes need.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from brygga.audit.context import acting_as
from brygga.core.models import RoleSecurityPolicy

from ..conftest import PASSWORD
from ..test_authz_matrix import EXPECTED, _modules, kwargs_for, walk

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
POLICE_SAMPLE = (
    Path(__file__).resolve().parents[1] / "incidents" / "fixtures" / "police_sample.jsonl"
)

# Routes that are no page a person opens. Each is checked (test_routes_left_out_are_no_pages)
# to answer a GET with something other than an HTML page, so an entry cannot hide a page.
NOT_PAGES = {
    "healthz": "the health check for the load balancer, plain text",
    "set_language": "the language switch: a POST that redirects back",
    "account:logout": "sign-out: POST only",
    "core:home": "redirects to the user's municipality",
    "core:user_account": "the account actions of the user page: POST only",
    "incidents:weekly_nil": "“nothing to report” in the weekly round: POST only",
    "situation:weekly_assess": "an organisation's area assessments in the weekly picture: POST only",
    "situation:weekly_subscribe": "the weekly picture's e-mail opt-in: POST only",
    "incidents:incident_status": "the status change of the incident page: POST only",
    "incidents:open311_tip_publication": "publishing a tip's text: POST only",
    "incidents:export_csv": "a CSV download",
    "incidents:export_xlsx": "an Excel download",
    "incidents:export_geojson": "a GeoJSON download",
    "situation:ranking_csv": "the priority ranking as a CSV download",
    "situation:ranking_xlsx": "the priority ranking as an Excel download",
    "incidents:import_errors": "the import's errors as a CSV download",
    "incidents:import_profile_file": "an import profile as a JSON download",
    "areastats:export_csv": "the area statistics as a CSV download",
    "areastats:export_xlsx": "the area statistics as an Excel download",
    "situation:export_csv": "a table of the lägesbild dashboard as a CSV download",
    "situation:export_xlsx": "the lägesbild dashboard's tables as an Excel download",
    "situation:report_json": "a published lägesbild as a JSON download",
    "situation:report_pdf": "a published lägesbild as a PDF download",
    "situation:public_report_json": "a lägesbild for the public as a JSON download",
    "situation:public_report_pdf": "a lägesbild for the public as a PDF download",
    "plans:follow_up_pdf": "a report-back as a PDF download",
    "plans:forum_calendar": "a forum's meetings as an iCalendar (.ics) download",
    "plans:forum_calendar_feed": "the iCalendar feed for calendar clients (token in the path)",
    "plans:forum_calendar_revoke": "stops the user's calendar links: POST only",
    "plans:action_item_status": "the status button of an action item: POST only",
    "plans:operation_export_csv": "the effort per area and month as a CSV download",
    "plans:observation_new": "adding an observation to a safety walk: POST only",
    "plans:observation_to_incident": "passing an observation on as an incident report: POST only",
    "plans:evaluation_recompute": "recomputing an evaluation: POST only",
    "plans:evaluation_conclusion": "saving an evaluation's conclusion: POST only",
    "plans:agreement_document": "the download of an agreement's signed document (PDF or DOCX)",
    "situation:report_texts": "saving a draft's texts: POST only",
    "situation:report_comment": "a comment on a draft's section: POST only",
    "situation:report_comment_resolve": "marking a comment dealt with: POST only",
    "situation:report_new_version": "a new version of a published lägesbild: POST only",
    "surveys:codebook_export": "a survey wave's codebook as a CSV (or Excel) download",
    "surveys:export_csv": "a survey wave's aggregated results as a CSV download",
    "surveys:export_xlsx": "a survey wave's aggregated results as an Excel download",
    # the lägesbild map's layers, fetched by situation_map.js
    "situation:map_areas": "the situation map's areas as GeoJSON for the map script",
    "situation:map_hotspots": "the situation map's hot-spot cells as GeoJSON for the map script",
    "situation:map_density": "the situation map's density cells as GeoJSON for the map script",
    "situation:map_police": "the situation map's police events as GeoJSON for the map script",
}
NOT_PAGE_PREFIXES = {
    "api:": "the REST API answers JSON to programs",
    "open311:": "Open311 GeoReport v2 answers JSON or XML to programs",
}
PAGES_UNDER_PREFIX = {"api:docs"}  # the API's HTML reference is a page
# HTMX fragments, measured as part of the page that polls them.
FRAGMENTS = {
    "incidents:police_job_status": "incidents:police_job",
    "incidents:import_progress": "incidents:import_detail",
}
# Pages of signing in, each seen by a session in that state (see sign_in_sessions).
SIGN_IN_PAGES = {"account:login", "account:otp_verify", "account:otp_setup"}

WIDEST = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 0.5 && !el.parentElement.closest(".table-scroll")) {
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "")
        + " → " + Math.round(r.right) + " px");
    }
  }
  return out.slice(0, 6);
}"""


def left_out(name: str) -> str | None:
    """Why route ``name`` is not measured, or ``None`` if it is a page."""
    if name in NOT_PAGES:
        return NOT_PAGES[name]
    if name in FRAGMENTS:
        return f"a fragment of {FRAGMENTS[name]}"
    if name in PAGES_UNDER_PREFIX:
        return None
    return next((why for p, why in NOT_PAGE_PREFIXES.items() if name.startswith(p)), None)


@pytest.fixture
def demo_world(world):
    """The demo municipality's data on top of the test world, and one object per ``<pk>``."""
    from brygga.core.demo import load_demo
    from brygga.incidents.demo import load_police, load_records

    load_demo()
    load_records()
    load_police(path=POLICE_SAMPLE)
    world.matrix_objects = {}
    for module in _modules():
        world.matrix_objects.update(module.objects(world))
    return world


def measure(s, label: str) -> list[str]:
    """The page's width problems: wider than the screen with the menu as it loads, and with the
    menu opened (on a phone it loads folded)."""
    problems = []
    for state in ("menu as loaded", "menu open"):
        if state == "menu open":
            if s.page.locator("#nav-menu").count() == 0:
                break
            s.page.evaluate("document.getElementById('nav-menu').open = true")
        width = s.page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{label} ({state}): {width} px wide; {s.page.evaluate(WIDEST)}")
    return problems


def sign_in_sessions(session_for, world) -> dict:
    """A phone on each sign-in page: the sign-in form, the second factor (a viewer who has an
    authenticator app) and the enrolment of one (a case worker who has none yet)."""
    TOTPDevice.objects.filter(user=world.users["case_worker"]).delete()
    pages = {}
    s = session_for(viewport=PHONE)
    s.goto(reverse("account:login"))
    pages["account:login"] = s
    for name, username in (("account:otp_verify", "viewer"), ("account:otp_setup", "case_worker")):
        s = session_for(viewport=PHONE)
        s.goto(reverse("account:login"))
        s.page.fill("#id_username", username)
        s.page.fill("#id_password", PASSWORD)
        s.page.click("button[type=submit].button")
        s.page.wait_for_url(f"**{reverse(name)}**")
        s.check()
        pages[name] = s
    return pages


def test_no_page_is_wider_than_a_phone(session_for, demo_world):
    w = demo_world
    admin = session_for("municipal_admin", viewport=PHONE)
    sessions = {"municipal_admin": admin, "system_admin": None}
    signing_in = sign_in_sessions(session_for, w)
    problems, measured = [], []
    for name, params in walk():
        if left_out(name) is not None:
            continue
        if name in SIGN_IN_PAGES:
            s = signing_in[name]
            problems += measure(s, name)
            measured.append(name)
            continue
        actor = next(
            (a for a in ("municipal_admin", "system_admin") if EXPECTED[name][a] == 200), None
        )
        assert actor is not None, (
            f"{name}: a GET route neither measured nor left out; add it to NOT_PAGES with the "
            "reason, or make it a page one of the test's users can open"
        )
        if sessions[actor] is None:
            sessions[actor] = session_for(actor, viewport=PHONE)
        s = sessions[actor]
        url = reverse(name, kwargs=kwargs_for(name, params, w))
        s.goto(url)
        problems += measure(s, f"{name} {url}")
        measured.append(name)
    admin.goto("/finns-inte/", status=404)
    problems += measure(admin, "404 page")
    assert not problems, "pages wider than a 390 px phone:\n" + "\n".join(problems)
    # the walk reached the pages issue #12 names (a wrong walk cannot pass by measuring nothing)
    for name in (
        "core:municipality_list",
        "core:member_list",
        "core:retention",
        "account:profile",
        "audit:log",
        "api:docs",
        "incidents:police_summary",
        "incidents:police_mapping_list",
        "incidents:category_list",
        "incidents:import_detail",
        "incidents:open311_key_list",
        "incidents:map",
        "incidents:report",
    ):
        assert name in measured, name


def test_routes_left_out_are_no_pages(demo_world, client_for):
    """Every route the width test leaves out answers a GET with no HTML page of its own."""
    names = {name for name, _ in walk()}
    assert not set(NOT_PAGES) - names, "NOT_PAGES names routes that no longer exist"
    assert not set(FRAGMENTS) - names and set(FRAGMENTS.values()) <= names
    assert names >= PAGES_UNDER_PREFIX | SIGN_IN_PAGES
    client = client_for("system_admin")
    for name, params in walk():
        why = left_out(name)
        if why is None:
            continue
        url = reverse(name, kwargs=kwargs_for(name, params, demo_world))
        response = client.get(url, HTTP_ACCEPT="text/html,*/*")
        content_type = response.get("Content-Type", "")
        body = b"".join(response) if response.streaming else response.content
        full_page = b"<html" in body[:2000].lower()
        if name in FRAGMENTS:
            assert response.status_code == 200 and not full_page, f"{name}: not a fragment"
        else:
            assert not (response.status_code == 200 and "text/html" in content_type), (
                f"{name} ({why}) answers an HTML page: measure it instead"
            )


def test_menu_folds_on_a_phone_and_is_open_on_a_desktop(session_for, world):
    s = session_for("coordinator", viewport=PHONE)
    page = s.page
    s.goto("/kommuner/2281/")
    summary = page.locator("#nav-menu > summary")
    incidents = page.locator("nav.main-nav a", has_text="Händelser")
    assert summary.is_visible() and summary.inner_text().strip() == "Meny"
    assert not incidents.is_visible()
    nav_height = page.locator("nav.main-nav").bounding_box()["height"]
    assert nav_height < 70, f"the folded menu is {nav_height} px high"
    # keyboard: Tab to "Meny", Enter opens it, the links follow in the tab order
    summary.focus()
    page.keyboard.press("Enter")
    assert incidents.is_visible()
    assert page.locator("#nav-menu").get_attribute("open") is not None
    s.check()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Översikt"
    summary.focus()
    page.keyboard.press("Space")
    assert not incidents.is_visible()
    # the links work once opened with a tap
    summary.click()
    incidents.click()
    page.wait_for_url("**/kommuner/2281/handelser/")
    s.check()

    d = session_for("viewer", viewport=DESKTOP)  # another user: a TOTP code works once
    d.goto("/kommuner/2281/")
    assert d.page.locator("nav.main-nav a", has_text="Händelser").is_visible()
    assert not d.page.locator("#nav-menu > summary").is_visible()
    # narrowing the window to a phone's width folds it; widening opens it again
    d.page.set_viewport_size(PHONE)
    d.page.wait_for_function("() => !document.getElementById('nav-menu').open")
    d.page.set_viewport_size(DESKTOP)
    d.page.wait_for_function("() => document.getElementById('nav-menu').open")


def test_menu_is_open_without_javascript(browser, live_server, world):
    """Without JavaScript the menu is simply open on a phone too: nothing hides behind a script."""
    from django_otp.oath import totp

    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/konto/logga-in/")
        page.fill("#id_username", "coordinator")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].button")
        page.wait_for_url("**/konto/tvafaktor/**")
        device = TOTPDevice.objects.get(user=world.users["coordinator"])
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        page.fill("#id_otp_token", f"{code:06d}")
        page.click("button[type=submit].button")
        page.wait_for_url("**/kommuner/2281/")
        assert page.locator("nav.main-nav a[data-module=incidents]").is_visible()
        assert page.locator("#nav-menu > summary").is_visible()  # and can be folded
    finally:
        context.close()


def test_wide_table_scrolls_in_a_labelled_region(session_for, demo_world):
    s = session_for("municipal_admin", viewport=PHONE)
    s.goto("/kommuner/2281/handelser/polisen/typer/")
    region = s.page.locator(".table-scroll:has(#police-mappings)")
    assert region.get_attribute("role") == "region"
    assert region.get_attribute("tabindex") == "0"
    label_id = region.get_attribute("aria-labelledby")
    assert "händelsetyper från polisen" in s.page.locator(f"#{label_id}").inner_text()
    widths = region.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert widths[0] > widths[1], "the table is wide enough to need its own scrolling here"
    # the key column (the police type) comes first, and the region scrolls from the keyboard
    assert s.page.locator("#police-mappings thead th").first.inner_text() == "Polisens händelsetyp"
    region.focus()
    s.page.keyboard.press("ArrowRight")
    s.page.wait_for_function(
        "() => document.querySelector('.table-scroll:has(#police-mappings)').scrollLeft > 0"
    )


# --- the menu shows what is installed, for the user's municipality, on every page -----------
PAGES_WITHOUT_A_MUNICIPALITY = [
    ("/kommuner/", 200),
    ("/konto/profil/", 200),
    ("/konto/losenord/", 200),
    ("/api/v1/docs/", 200),
    ("/finns-inte/", 404),
]


def assert_menu_of(s, code: str, where: str) -> None:
    nav = s.page.locator("nav.main-nav")
    link = nav.locator("a[data-module=incidents]")
    assert link.count() == 1, f"{where}: no Händelser in the menu"
    assert link.inner_text() == "Händelser" and link.get_attribute("href") == (
        f"/kommuner/{code}/handelser/"
    ), where
    assert nav.locator("[aria-disabled], .nav-disabled, [title]").count() == 0, where
    assert "installerad" not in nav.inner_text(), where
    assert nav.locator(f"a[href='/kommuner/{code}/omraden/']").count() == 1, where


def test_menu_keeps_the_municipality_on_pages_without_one(session_for, world):
    s = session_for("viewer")  # one municipality: Sundsvall
    for path, status in PAGES_WITHOUT_A_MUNICIPALITY:
        s.goto(path, status=status)
        assert_menu_of(s, "2281", path)
        assert s.page.locator(".brand-muni").inner_text() == "Sundsvall"
    s.page.locator("nav.main-nav a[data-module=incidents]").click()
    s.page.wait_for_url("**/kommuner/2281/handelser/")
    s.check()
    assert s.page.locator("h1").inner_text() == "Händelser"


def test_menu_remembers_the_municipality_last_opened(session_for, world):
    """A system administrator sees every municipality: the menu follows the one last opened."""
    s = session_for("system_admin")
    s.goto("/kommuner/")
    assert s.page.locator("nav.main-nav a[data-module]").count() == 0  # none chosen yet
    s.goto("/kommuner/2262/")
    s.goto("/konto/profil/")
    assert_menu_of(s, "2262", "profile after Timrå")
    s.goto("/kommuner/2281/omraden/")
    s.goto("/api/v1/docs/")
    assert_menu_of(s, "2281", "API docs after Sundsvall")


def test_menu_on_the_second_factor_pages(session_for, world):
    # a viewer whose role needs no second factor in Sundsvall enrols one of their own free will:
    # the enrolment page has the whole menu
    with acting_as(label="test setup"):
        RoleSecurityPolicy.objects.create(
            municipality=world.sundsvall, role="viewer", otp_required=False
        )
    TOTPDevice.objects.filter(user=world.users["viewer"]).delete()
    s = session_for("viewer")
    s.goto("/konto/tvafaktor/aktivera/")
    assert s.page.locator(".qr svg").count() == 1
    assert_menu_of(s, "2281", "enrolment")
    # halfway through signing in, every other page leads back to the code: no menu at all
    # (and nothing greyed out)
    t = session_for()
    t.goto("/konto/logga-in/")
    t.page.fill("#id_username", "analyst")
    t.page.fill("#id_password", PASSWORD)
    t.page.click("button[type=submit].button")
    t.page.wait_for_url("**/konto/tvafaktor/**")
    t.check()
    assert t.page.locator("nav.main-nav").count() == 0
    assert "installerad" not in t.page.content()


# --- focus ---------------------------------------------------------------------------------
def luminance(css_colour: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_colour)[:3])

    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper():
    assert round(contrast("rgb(242, 183, 5)", "rgb(255, 255, 255)"), 2) == 1.82  # the old ring
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0


FOCUS_STYLE = """el => {
  const s = getComputedStyle(el);
  return {colour: s.outlineColor, style: s.outlineStyle, width: parseFloat(s.outlineWidth),
          tag: el.tagName.toLowerCase()};
}"""


def test_focus_ring_stands_out_on_white(session_for, demo_world):
    """WCAG 1.4.11: the focus outline has at least 3:1 against the white page, for a link, a
    button, a form field, the menu's "Meny" and a table's scroll region."""
    s = session_for("municipal_admin", viewport=PHONE)
    s.goto("/kommuner/2281/organisationer/")
    page = s.page
    targets = [
        "#nav-menu > summary",
        "main .page-head a.button",
        "main select",
        "main button[type=submit]",
        "main .table-scroll",
        "main table a",
    ]
    for selector in targets:
        page.locator(selector).first.focus()
        style = page.evaluate_handle("document.activeElement").evaluate(FOCUS_STYLE)
        assert style["tag"] == page.locator(selector).first.evaluate(
            "el => el.tagName.toLowerCase()"
        ), f"{selector} did not take the focus"
        assert style["style"] != "none" and style["width"] >= 2, (selector, style)
        ratio = contrast(style["colour"], "rgb(255, 255, 255)")
        assert ratio >= 3, f"{selector}: focus outline {style['colour']} has {ratio:.2f}:1"
    # from the keyboard too: the first Tab stop (the skip link) shows the same ring
    s.goto("/kommuner/2281/organisationer/")
    page.keyboard.press("Tab")
    style = page.evaluate_handle("document.activeElement").evaluate(FOCUS_STYLE)
    assert style["tag"] == "a" and contrast(style["colour"], "rgb(255, 255, 255)") >= 3, style
