"""Browser tests: Playwright for Python driving Debian's Chromium, axe-core on every page.

All browser tests share one xdist group, so one worker runs them with one Chromium. Without a
Chromium they are skipped on a developer's machine, but fail when BRYGGA_REQUIRE_BROWSER=1
(as in CI), so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..conftest import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Every request that does not go to the live server (the background map's tiles) is blocked:
# the tests never use the internet, and they see the maps as they are where tiles cannot load.
OUTSIDE = re.compile(r"^(?!https?://(localhost|127\.0\.0\.1)[:/])[a-z]+://")


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("BRYGGA_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = "Chromium not found (install Debian's chromium or set BRYGGA_CHROMIUM)"
        if os.environ.get("BRYGGA_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """A signed-in browser page that checks every page it visits."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.blocked: list[str] = []  # URLs outside the live server the page asked for
        self.referers: dict[str, str | None] = {}  # the Referer each of them was sent with
        page.route(OUTSIDE, self._block)
        # Failed requests are recorded from the responses below (a 400 form page is expected).
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and not m.text.startswith("Failed to load resource")
                and self.console_errors.append(m.text)
            ),
        )
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.request.resource_type != "document"
                and self.console_errors.append(f"{r.status} {r.url}")
            ),
        )

    def _block(self, route) -> None:
        self.blocked.append(route.request.url)
        self.referers[route.request.url] = route.request.headers.get("referer")
        route.abort("blockedbyclient")

    def goto(self, path: str, *, status: int = 200, check: bool = True):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == status, (
            f"{path}: {response.status if response else 'no response'}"
        )
        self.page.wait_for_load_state("load")
        if check:
            self.check()
        return response

    def check(self) -> None:
        """axe-core (WCAG 2.1 A/AA) finds nothing, and the console shows no error (CSP)."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(
            self.page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_TAGS},
                "resultTypes": ["violations"],
            },
        )
        violations = results.response["violations"]
        assert not violations, f"{self.page.url}: " + "; ".join(
            f"{v['id']} ({len(v['nodes'])}): {v['nodes'][0]['html'][:160]}" for v in violations
        )
        assert not self.console_errors, f"{self.page.url}: {self.console_errors}"

    def login(self, username: str, user=None) -> None:
        self.goto("/konto/logga-in/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit].button")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is not None:
            self.page.wait_for_url("**/konto/tvafaktor/**")
            self.check()
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            self.page.fill("#id_otp_token", f"{code:06d}")
            self.page.click("button[type=submit].button")
        self.page.wait_for_load_state("load")


@pytest.fixture
def session_for(browser, live_server, transactional_db):
    contexts = []

    def make(username: str | None = None, *, viewport=None, locale="sv-SE") -> Session:
        context = browser.new_context(
            viewport=viewport or {"width": 1280, "height": 900}, locale=locale
        )
        contexts.append(context)
        s = Session(context.new_page(), live_server.url)
        if username:
            s.login(username)
        return s

    yield make
    for c in contexts:
        c.close()
