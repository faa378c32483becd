"""The agreement pages: the list and the page for members, the form with parties and
priorities, bad input (period, a PNG or text named .pdf) shown again with 400 and nothing
saved, the download of the signed document, the renewal, and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from brygga.plans.models import Agreement

from . import factories
from .agreement_files import PDF, PNG, TEXT, docx_bytes, upload

pytestmark = pytest.mark.django_db

PRIORITIES = [
    "Arbeta förebyggande med barn och unga",
    "Trygga miljöer",
    "Våld i nära relationer",
    "Våld i offentlig miljö",
]


def _url(name, world, pk=None):
    kw = {"code": world.sundsvall.code}
    if pk is not None:
        kw["pk"] = pk
    return reverse(f"plans:{name}", kwargs=kw)


def _post_data(world, **over):
    data = {
        "title": "Samverkan 2025–2028",
        "period_start": "2025-01-01",
        "period_end": "2028-12-31",
        "summary": "",
        "priorities": "\n".join(PRIORITIES),
        "signed_on": "2025-01-20",
        "party-TOTAL_FORMS": "3",
        "party-INITIAL_FORMS": "0",
        "party-MIN_NUM_FORMS": "0",
        "party-MAX_NUM_FORMS": "1000",
        "party-0-organisation": str(world.orgs["kommun"].pk),
        "party-0-commitments": "Belysning och fältarbete",
        "party-0-signatory": "Kommunstyrelsens ordförande",
        "party-1-organisation": str(world.orgs["police"].pk),
        "party-1-mandate": "Lokalpolisområdet",
        "party-2-organisation": "",
    }
    data.update(over)
    return data


def test_coordinator_creates_with_pdf_and_downloads_it(world, client_for):
    c = client_for("coordinator")
    assert c.get(_url("agreement_new", world)).status_code == 200
    response = c.post(
        _url("agreement_new", world),
        {**_post_data(world), "signed_document": upload("Avtal signerat.pdf", PDF)},
    )
    a = Agreement.objects.get()
    assert response.status_code == 302 and response["Location"] == _url(
        "agreement_detail", world, a.pk
    )
    assert [p.title for p in a.priorities.all()] == PRIORITIES
    assert a.parties.count() == 2
    page = c.get(response["Location"]).content.decode()
    assert page.count("data-priority=") == 4 and page.count("data-party=") == 2
    assert 'id="agreement-document"' in page
    # every member reads and downloads it
    download = client_for("viewer").get(_url("agreement_document", world, a.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Avtal" in download["Content-Disposition"]
    assert download.content == PDF
    assert client_for("outsider").get(_url("agreement_document", world, a.pk)).status_code == 404


def test_docx_download_type(world, client_for):
    c = client_for("coordinator")
    c.post(
        _url("agreement_new", world),
        {**_post_data(world), "signed_document": upload("avtal.docx", docx_bytes(), "x/y")},
    )
    a = Agreement.objects.get()
    r = c.get(_url("agreement_document", world, a.pk))
    assert r["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    assert r.content == docx_bytes() or r.content[:2] == b"PK"


@pytest.mark.parametrize("content", [PNG, TEXT])
def test_not_pdf_or_docx_is_shown_again(world, client_for, content):
    c = client_for("coordinator")
    response = c.post(
        _url("agreement_new", world),
        {**_post_data(world), "signed_document": upload("skannad.pdf", content)},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_signed_document_error"' in page and "skannad.pdf" in page
    assert not Agreement.objects.exists()


def test_period_end_before_start_is_shown_again(world, client_for):
    response = client_for("coordinator").post(
        _url("agreement_new", world), _post_data(world, period_end="2024-01-01")
    )
    assert response.status_code == 400
    assert 'id="id_period_end_error"' in response.content.decode()
    assert not Agreement.objects.exists()


def test_party_twice_is_shown_again(world, client_for):
    response = client_for("coordinator").post(
        _url("agreement_new", world),
        _post_data(world, **{"party-1-organisation": str(world.orgs["kommun"].pk)}),
    )
    assert response.status_code == 400
    assert 'id="parties-errors"' in response.content.decode()
    assert not Agreement.objects.exists()


def test_no_document_is_404(world, client_for):
    a = factories.agreement(world.sundsvall)
    assert client_for("viewer").get(_url("agreement_document", world, a.pk)).status_code == 404


def test_edit_keeps_document_and_shows_the_lists(world, client_for):
    c = client_for("coordinator")
    c.post(
        _url("agreement_new", world),
        {**_post_data(world), "signed_document": upload("avtal.pdf", PDF)},
    )
    a = Agreement.objects.get()
    form = c.get(_url("agreement_edit", world, a.pk)).content.decode()
    assert "Trygga miljöer" in form and 'id="agreement-current-document"' in form
    data = _post_data(world, title="Ändrad", priorities="Trygga miljöer")
    data["party-TOTAL_FORMS"] = "1"
    data.pop("party-1-organisation")
    r = c.post(_url("agreement_edit", world, a.pk), data)
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.title == "Ändrad" and a.priorities.count() == 1 and a.parties.count() == 1
    assert bytes(a.signed_document) == PDF


def test_renew(world, client_for):
    old = factories.agreement(world.sundsvall)
    factories.party(old, world.orgs["kommun"], commitments="Belysning")
    factories.priority(old, "Trygga miljöer")
    c = client_for("coordinator")
    page = c.get(_url("agreement_renew", world, old.pk)).content.decode()
    assert 'value="2028-01-01"' in page  # the day after the old period
    bad = c.post(
        _url("agreement_renew", world, old.pk),
        {"title": "Ny", "period_start": "2028-01-01", "period_end": "2027-01-01"},
    )
    assert bad.status_code == 400 and Agreement.objects.count() == 1
    r = c.post(
        _url("agreement_renew", world, old.pk),
        {"title": "Samverkan 2028–2031", "period_start": "2028-01-01", "period_end": "2031-12-31"},
    )
    new = Agreement.objects.exclude(pk=old.pk).get()
    assert r["Location"] == _url("agreement_detail", world, new.pk)
    assert new.renews == old and new.priorities.get().title == "Trygga miljöer"
    detail = c.get(_url("agreement_detail", world, old.pk)).content.decode()
    assert f'data-renewal="{new.pk}"' in detail


def test_list_for_members_and_new_button_for_coordinators(world, client_for):
    a = factories.agreement(world.sundsvall)
    factories.agreement(world.timra, title="Timrås avtal")
    page = client_for("viewer").get(_url("agreements", world)).content.decode()
    assert f'data-agreement="{a.pk}"' in page and "Timrås avtal" not in page
    assert 'id="agreement-new"' not in page
    assert (
        'id="agreement-new"'
        in client_for("coordinator").get(_url("agreements", world)).content.decode()
    )
    assert 'aria-current="page"' in page


def test_api_agreements(world, client_for):
    a = factories.agreement(
        world.sundsvall,
        signed_document=PDF,
        signed_document_name="a.pdf",
        signed_document_type="application/pdf",
    )
    factories.party(a, world.orgs["police"])
    factories.priority(a, "Trygga miljöer", position=1)
    factories.priority(a, "Våld i offentlig miljö", position=2)
    c = client_for("viewer")
    rows = c.get("/api/v1/plans/2281/agreements/").json()
    assert [r["id"] for r in rows] == [a.pk]
    detail = c.get(f"/api/v1/plans/2281/agreements/{a.pk}/").json()
    assert [p["title"] for p in detail["priorities"]] == [
        "Trygga miljöer",
        "Våld i offentlig miljö",
    ]
    assert detail["parties"][0]["organisation"] == world.orgs["police"].pk
    assert detail["document"]["url"] == _url("agreement_document", world, a.pk)
    assert "signed_document" not in detail
    assert c.post("/api/v1/plans/2281/agreements/", {}).status_code == 405
    assert client_for("outsider").get("/api/v1/plans/2281/agreements/").status_code == 404
