"""Agreements and citizen promises in a real browser: the coordinator enters an agreement with
four priority areas, two parties and the signed PDF, makes a citizen promise under it, extends
it, publishes it and marks it fulfilled (first without a justification: refused, then with
one); an anonymous visitor then sees it, with its status and justification, on the public
page. axe-core checks every page."""

import re

import pytest

from brygga.plans.models import Agreement, CitizenPromise

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
A = "/kommuner/2281/overenskommelser"
P = "/kommuner/2281/medborgarloften"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PRIORITIES = [
    "Arbeta förebyggande med barn och unga",
    "Trygga miljöer",
    "Våld i nära relationer",
    "Våld i offentlig miljö",
]


def test_agreement_promise_to_public_page(session_for, world):
    s = session_for("coordinator")
    s.goto(f"{A}/")
    s.page.click("#agreement-new")
    s.page.wait_for_url(f"**{A}/ny/")
    s.check()
    s.page.fill("#id_title", "Samverkansöverenskommelse 2025–2028")
    s.page.fill("#id_period_start", "2025-01-01")
    s.page.fill("#id_period_end", "2028-12-31")
    s.page.fill("#id_priorities", "\n".join(PRIORITIES))
    s.page.fill("#id_signed_on", "2025-01-20")
    s.page.select_option("#id_party-0-organisation", str(world.orgs["kommun"].pk))
    s.page.fill("#id_party-0-commitments", "Belysning och fältarbete")
    s.page.select_option("#id_party-1-organisation", str(world.orgs["police"].pk))
    s.page.fill("#id_party-1-commitments", "Synlig närvaro")
    s.page.set_input_files(
        "#id_signed_document",
        files=[{"name": "signerad.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    s.page.click("#agreement-save")
    s.page.wait_for_url(re.compile(r"/overenskommelser/\d+/$"))
    s.check()
    agreement = Agreement.objects.get()
    assert s.page.locator("#agreement-priorities li").all_inner_texts() == PRIORITIES
    assert s.page.locator("#agreement-parties tbody tr").count() == 2
    assert s.page.locator("#agreement-document").inner_text() == "signerad.pdf"

    # a promise under the agreement
    s.goto(f"{P}/")
    s.page.click("#promise-new")
    s.page.wait_for_url(f"**{P}/ny/")
    s.check()
    s.page.fill("#id_title", "Tryggare resecentrum")
    s.page.fill("#id_text", "Vi lovar fler vuxna vid resecentrum på kvällarna.")
    s.page.fill("#id_period_start", "2025-01-01")
    s.page.fill("#id_period_end", "2025-12-31")
    s.page.fill("#id_police_commitments", "Polisen patrullerar fredagar.")
    s.page.fill("#id_municipality_commitments", "Kommunen förbättrar belysningen.")
    s.page.select_option("#id_agreement", str(agreement.pk))
    s.page.click("#promise-save")
    s.page.wait_for_url(re.compile(r"/medborgarloften/\d+/$"))
    s.check()
    promise = CitizenPromise.objects.get()
    detail = f"{P}/{promise.pk}/"

    # extend it
    s.page.click("#promise-extend")
    s.page.wait_for_url(f"**{detail}forlang/")
    s.check()
    s.page.fill("#id_extended_to", "2026-06-30")
    s.page.click("#promise-extend-save")
    s.page.wait_for_url(f"**{detail}")
    s.check()
    assert s.page.locator("#promise-extended").get_attribute("data-extended-to") == "2026-06-30"

    # publish it
    s.page.click("#promise-publish")
    s.page.wait_for_url(f"**{detail}publicera/")
    s.check()
    s.page.click("#promise-publish-save")
    s.page.wait_for_url(f"**{detail}")
    assert s.page.locator("#promise-published").get_attribute("data-published")

    # fulfilled: refused without a justification, saved with one
    s.page.click("#promise-status")
    s.page.wait_for_url(f"**{detail}status/")
    s.check()
    s.page.select_option("#id_status", "fulfilled")
    s.page.click("#promise-status-save")
    s.page.wait_for_load_state()
    s.check()
    assert s.page.locator("#id_status_justification_error").is_visible()
    s.page.fill("#id_status_justification", "Belysningen är på plats och kvällarna bemannade.")
    s.page.click("#promise-status-save")
    s.page.wait_for_url(f"**{detail}")
    s.check()
    assert s.page.locator("#promise-status-value").get_attribute("data-status") == "fulfilled"

    # the anonymous visitor on the public page
    v = session_for()
    v.goto("/offentlig/kommuner/2281/medborgarloften/")
    card = v.page.locator(f"#public-promise-{promise.pk}")
    assert card.get_attribute("data-status") == "fulfilled"
    text = card.inner_text()
    assert "Tryggare resecentrum" in text
    assert "Belysningen är på plats och kvällarna bemannade." in text
    assert "Polisen patrullerar fredagar." in text
    assert "2026-06-30" in text
