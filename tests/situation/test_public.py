"""The lägesbild for the public, without signing in (/offentlig/kommuner/<code>/lagesbild/):
only published reports for the public are listed and shown, newest first, a superseded
version marked and linked to the newer one; a draft, a report for the partners or the
council, another municipality's report and an unknown municipality are 404; no comment, no
edit link, no name of a person; short browser caching."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from brygga.situation import selectors, services
from brygga.situation.models import SituationReport

from . import crawl_world as cw
from .html import find, page_of, text

pytestmark = pytest.mark.django_db


def url(name, code, pk=None):
    kwargs = {"code": code}
    if pk is not None:
        kwargs["pk"] = pk
    return reverse(f"situation:{name}", kwargs=kwargs)


def _published(world, audience, title, municipality=None, *, version_of=None):
    """A published report (a small snapshot: these tests are about who sees what)."""
    from brygga.audit.context import acting_as

    snapshot = {
        "meta": {
            "title": title,
            "municipality": (municipality or world.sundsvall).code,
            "scope_title": "Sundsvall",
            "period": {"start": "2025-01-01", "end": "2025-12-31", "label": "2025"},
            "min_count": 5,
            "headline": {"events": 40, "rate_per_1000": 0.4},
        },
        **{
            k: {"title": k, "text": f"{title} text {k}", "paragraphs": [], "tables": [],
                "charts": []}
            for k in ("summary", "crime", "insecurity", "other", "analysis", "priorities",
                      "sources")
        },
    }  # fmt: skip
    with acting_as(label="test setup"):
        return SituationReport.objects.create(
            municipality=municipality or world.sundsvall,
            title=title,
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 12, 31),
            audience=audience,
            state=SituationReport.State.PUBLISHED,
            published_at=dt.datetime(2026, 1, 10 + (version_of.version if version_of else 0),
                                     tzinfo=dt.UTC),
            version=version_of.version + 1 if version_of else 1,
            supersedes=version_of,
            snapshot=snapshot,
            created_by=world.users["coordinator"],
            published_by=world.users["coordinator"],
        )  # fmt: skip


@pytest.fixture
def reports(world):
    return make_reports(world)


def make_reports(world) -> dict:
    """Two public versions, a council and a partners report, Timrå's public one, a draft."""
    v1 = _published(world, "public", "Offentlig v1")
    v2 = _published(world, "public", "Offentlig v2", version_of=v1)
    with_drafts = {
        "v1": v1,
        "v2": v2,
        "council": _published(world, "council", "Fullmäktige"),
        "partners": _published(world, "partners", "Partner"),
        "timra": _published(world, "public", "Timrå offentlig", world.timra),
    }
    from brygga.audit.context import acting_as

    with acting_as(label="test setup"):
        with_drafts["draft"] = SituationReport.objects.create(
            municipality=world.sundsvall,
            title="Utkast",
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 12, 31),
            audience="public",
        )
    return with_drafts


def test_the_selector_returns_published_public_reports_newest_first(world, reports):
    got = list(selectors.public_reports(world.sundsvall))
    assert [r.pk for r in got] == [reports["v2"].pk, reports["v1"].pk]
    assert [r.superseded for r in got] == [False, True]


def test_the_list_without_signing_in(world, reports, client):
    response = client.get(url("public_reports", "2281"))
    assert response.status_code == 200
    page = page_of(response.content.decode())
    rows = find(page, "tr", attr="data-report")
    assert [dict(r.attributes)["data-report"] for r in rows] == [
        str(reports["v2"].pk),
        str(reports["v1"].pk),
    ]
    assert [dict(r.attributes).get("data-superseded") for r in rows] == [None, "1"]
    body = text(page)
    for other in ("Fullmäktige", "Partner", "Utkast", "Timrå offentlig"):
        assert other not in body
    assert "max-age=300" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_report_without_signing_in(world, reports, client):
    v1 = reports["v1"]
    response = client.get(url("public_report_detail", "2281", v1.pk))
    assert response.status_code == 200
    markup = response.content.decode()
    page = page_of(markup)
    assert "Offentlig v1 text summary" in text(page)
    # the superseded version links to the newer one
    superseded = find(page, "p", id="report-superseded")
    assert superseded
    links = [dict(a.attributes)["href"] for a in find(superseded[0], "a")]
    assert links == [url("public_report_detail", "2281", reports["v2"].pk)]
    # no comment form, no edit or publish link, no link into the members' pages, no names
    assert not find(page, "form", action=url("report_texts", "2281", v1.pk))
    assert 'href="/kommuner/2281/' not in markup
    assert "<textarea" not in markup
    for user in world.users.values():
        assert user.username not in markup
        if user.get_full_name():
            assert user.get_full_name() not in markup
    # the JSON download
    response = client.get(url("public_report_json", "2281", v1.pk))
    assert response.status_code == 200
    assert json.loads(response.content) == v1.snapshot
    assert "public" in response["Cache-Control"]


@pytest.mark.parametrize("key", ["council", "partners", "draft", "timra"])
def test_what_is_not_for_the_public_is_404(world, reports, client, key):
    pk = reports[key].pk
    for name in ("public_report_detail", "public_report_json"):
        assert client.get(url(name, "2281", pk)).status_code == 404
    # signed in changes nothing: the public pages read the public reports only
    from ..conftest import login

    login(client, world.users["coordinator"])
    assert client.get(url("public_report_detail", "2281", pk)).status_code == 404


def test_an_unknown_municipality_is_404_and_one_without_reports_is_empty(world, client):
    assert client.get(url("public_reports", "9999")).status_code == 404
    response = client.get(url("public_reports", "2262"))
    assert response.status_code == 200
    assert find(page_of(response.content.decode()), "p", id="public-reports-none")


def test_a_public_report_of_another_municipality_is_not_shown_under_this_code(
    world, reports, client
):
    timra = reports["timra"]
    assert client.get(url("public_report_detail", "2262", timra.pk)).status_code == 200
    assert client.get(url("public_report_detail", "2281", timra.pk)).status_code == 404
    assert client.get(url("public_report_json", "2281", timra.pk)).status_code == 404


def test_the_public_page_shows_the_protected_snapshot(world, settings, client):
    """Published through the service, the public page shows "<k" where counts are small and
    not the free text of the "other" section."""
    settings.BRYGGA_SITUATION_MIN_COUNT = 5
    cw.build(world)
    report = cw.publish(world, "public")
    markup = client.get(url("public_report_detail", "2281", report.pk)).content.decode()
    page = page_of(markup)
    assert find(page, "table", id="table-omraden")
    assert "<5" in text(page)
    assert cw.OTHER_TEXT not in markup
    assert cw.texts()["summary"] in text(page)
    # a new version supersedes it
    draft = services.report_new_version(actor=world.users["coordinator"], report=report)
    services.report_publish(
        actor=world.users["coordinator"], report=draft, snapshot=report.snapshot
    )
    markup = client.get(url("public_reports", "2281")).content.decode()
    rows = find(page_of(markup), "tr", attr="data-report")
    assert [dict(r.attributes).get("data-superseded") for r in rows] == [None, "1"]


def test_the_public_pdf_is_rendered_once_per_version(client_for, world, settings, monkeypatch):
    """Anyone may download the public PDF; rendering takes seconds, so a version is rendered
    once and then served from the cache."""
    from brygga.situation.views import report_files

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    calls = []
    real = report_files.render_pdf

    def counting(snapshot, *, report=None):
        calls.append(report.pk)
        return real(snapshot, report=report)

    monkeypatch.setattr(report_files, "render_pdf", counting)
    report = _published(world, "public", "Offentlig")
    url = f"/offentlig/kommuner/2281/lagesbild/{report.pk}/lagesbild.pdf"
    first, second = client_for("anon").get(url), client_for("anon").get(url)
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/pdf" and first.content.startswith(b"%PDF-")
    assert first.content == second.content and calls == [report.pk]
    assert f"lagesbild-2281-{report.pk}-v1.pdf" in first["Content-Disposition"]
