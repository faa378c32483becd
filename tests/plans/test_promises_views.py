"""The promise pages: create, bad input shown again (period, extension, closed status without
justification), the overlap warning after save and on the page, the evidence (measures and
indicator names), the public page (only published promises, none of the non-public fields)
and the API (create and PATCH through the services)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from brygga.plans.models import CitizenPromise

from . import factories

pytestmark = pytest.mark.django_db


def _url(name, world, pk=None):
    kw = {"code": world.sundsvall.code}
    if pk is not None:
        kw["pk"] = pk
    return reverse(f"plans:{name}", kwargs=kw)


def _data(**over):
    data = {
        "title": "Tryggare resecentrum",
        "text": "Vi lovar fler vuxna vid resecentrum.",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "police_commitments": "Närvaro fredagar",
        "municipality_commitments": "Belysning",
    }
    data.update(over)
    return data


def test_create_and_detail(world, client_for):
    problem = factories.problem(factories.plan(world.sundsvall))
    c = client_for("coordinator")
    form = c.get(_url("promise_new", world)).content.decode()
    assert f'value="{problem.pk}"' in form
    r = c.post(_url("promise_new", world), _data(problems=[problem.pk]))
    p = CitizenPromise.objects.get()
    assert r.status_code == 302 and r["Location"] == _url("promise_detail", world, p.pk)
    page = c.get(r["Location"]).content.decode()
    assert f'data-problem="{problem.pk}"' in page
    assert 'data-status="active"' in page and 'id="promise-overlaps"' not in page


def test_bad_period_shown_again(world, client_for):
    r = client_for("coordinator").post(_url("promise_new", world), _data(period_end="2024-01-01"))
    assert r.status_code == 400 and 'id="id_period_end_error"' in r.content.decode()
    assert not CitizenPromise.objects.exists()


def test_overlap_is_a_warning_after_save_and_on_the_page(world, client_for):
    problem = factories.problem(factories.plan(world.sundsvall))
    first = factories.promise(world.sundsvall, title="Första löftet")
    with __import__("brygga.audit.context", fromlist=["acting_as"]).acting_as(label="t"):
        first.problems.set([problem], through_defaults={"municipality_id": first.municipality_id})
    c = client_for("coordinator")
    r = c.post(
        _url("promise_new", world),
        _data(problems=[problem.pk], period_start="2025-06-01", period_end="2026-05-31"),
        follow=True,
    )
    assert r.status_code == 200  # saved: a warning, not a refusal
    second = CitizenPromise.objects.exclude(pk=first.pk).get()
    page = r.content.decode()
    assert "message-warning" in page and "Första löftet" in page
    assert f'data-overlap="{first.pk}"' in page
    other = c.get(_url("promise_detail", world, first.pk)).content.decode()
    assert f'data-overlap="{second.pk}"' in other


def test_status_without_justification_shown_again(world, client_for):
    p = factories.promise(world.sundsvall)
    c = client_for("coordinator")
    r = c.post(_url("promise_status", world, p.pk), {"status": "fulfilled"})
    assert r.status_code == 400
    assert 'id="id_status_justification_error"' in r.content.decode()
    p.refresh_from_db()
    assert p.status == "active"
    r = c.post(
        _url("promise_status", world, p.pk),
        {"status": "partly", "status_justification": "Halva sträckan belyst."},
    )
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == "partly" and p.status_changed_on == timezone.localdate()


def test_extension_before_end_shown_again(world, client_for):
    p = factories.promise(world.sundsvall)
    c = client_for("coordinator")
    r = c.post(_url("promise_extend", world, p.pk), {"extended_to": "2025-06-30"})
    assert r.status_code == 400 and 'id="id_extended_to_error"' in r.content.decode()
    r = c.post(_url("promise_extend", world, p.pk), {"extended_to": "not a date"})
    assert r.status_code == 400
    r = c.post(_url("promise_extend", world, p.pk), {"extended_to": "2026-06-30"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.extended_to == dt.date(2026, 6, 30)


def test_publish(world, client_for):
    p = factories.promise(world.sundsvall)
    r = client_for("coordinator").post(_url("promise_publish", world, p.pk), {"published_on": ""})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.published_on == timezone.localdate()


def test_evidence_measures_and_indicators(world, client_for):
    plan = factories.plan(world.sundsvall)
    p = factories.promise(world.sundsvall)
    m = factories.measure(plan, world.orgs["field"], promise=p, status="ongoing")
    ind = factories.indicator(world.sundsvall, measure=m, name="Anmälda rån vid resecentrum")
    factories.measure(plan, world.orgs["field"], title="Annan åtgärd")  # not linked
    page = client_for("coordinator").get(_url("promise_detail", world, p.pk)).content.decode()
    assert f'data-measure="{m.pk}"' in page and 'data-status="ongoing"' in page
    assert f'data-indicator="{ind.pk}"' in page and "Anmälda rån vid resecentrum" in page
    assert "Annan åtgärd" not in page
    # the viewer reads the promise but not the plan: no measures shown
    viewer = client_for("viewer").get(_url("promise_detail", world, p.pk)).content.decode()
    assert 'id="promise-evidence-none"' in viewer and m.title not in viewer


def test_public_page_shows_only_published_and_only_public_fields(world, client_for):
    today = timezone.localdate()
    plan = factories.plan(world.sundsvall)
    current = factories.promise(
        world.sundsvall,
        title="Gällande löfte",
        period_start=today - dt.timedelta(days=30),
        period_end=today + dt.timedelta(days=30),
        police_commitments="Polisen patrullerar",
        published_on=today,
    )
    past = factories.promise(
        world.sundsvall,
        title="Avslutat löfte",
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
        extended_to=dt.date(2024, 3, 31),
        status="fulfilled",
        status_justification="Belysningen är på plats.",
        published_on=dt.date(2023, 1, 1),
    )
    factories.promise(world.sundsvall, title="Hemligt utkast")
    factories.promise(
        world.sundsvall, title="Publiceras senare", published_on=today + dt.timedelta(days=5)
    )
    factories.promise(world.timra, title="Timrås löfte", published_on=today)
    factories.measure(plan, world.orgs["field"], title="Hemlig åtgärd", promise=current)
    for actor in ("anon", "viewer", "outsider"):
        r = client_for(actor).get(_url("public_promises", world))
        assert r.status_code == 200
        page = r.content.decode()
        assert "Gällande löfte" in page and "Avslutat löfte" in page
        assert "Polisen patrullerar" in page and "Belysningen är på plats." in page
        assert "2024-03-31" in page
        for hidden in ("Hemligt utkast", "Publiceras senare", "Timrås löfte", "Hemlig åtgärd"):
            assert hidden not in page
        assert world.users["coordinator"].username not in page
    page = client_for("anon").get(_url("public_promises", world)).content.decode()
    cur = page.index(f'id="public-promise-{current.pk}"')
    old = page.index(f'id="public-promise-{past.pk}"')
    assert cur < old  # current first
    assert f'data-promise="{past.pk}" data-status="fulfilled"' in page
    assert client_for("anon").get("/offentlig/kommuner/9999/medborgarloften/").status_code == 404


def test_list_splits_current_and_past(world, client_for):
    today = timezone.localdate()
    cur = factories.promise(
        world.sundsvall,
        period_start=today - dt.timedelta(days=1),
        period_end=today + dt.timedelta(days=1),
    )
    old = factories.promise(
        world.sundsvall,
        title="Gammalt",
        period_start=dt.date(2020, 1, 1),
        period_end=dt.date(2020, 12, 31),
    )
    page = client_for("viewer").get(_url("promises", world)).content.decode()
    assert page.index(f'data-promise="{cur.pk}"') < page.index('id="promises-past"')
    assert page.index('id="promises-past"') < page.index(f'data-promise="{old.pk}"')


# --- the API ------------------------------------------------------------------------------------
API = "/api/v1/plans/2281/promises/"


def test_api_create_and_patch(world, client_for):
    problem = factories.problem(factories.plan(world.sundsvall))
    c = client_for("coordinator")
    r = c.post(
        API,
        {
            "title": "API-löfte",
            "text": "Text",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "problems": [problem.pk],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["problems"] == [problem.pk] and r.json()["municipality"] == "2281"
    bad = c.patch(f"{API}{pk}/", {"status": "fulfilled"}, content_type="application/json")
    assert bad.status_code == 400 and "status_justification" in bad.json()
    assert CitizenPromise.objects.get(pk=pk).status == "active"
    ok = c.patch(
        f"{API}{pk}/",
        {"status": "fulfilled", "status_justification": "Klart.", "extended_to": "2026-03-31"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "fulfilled"
    assert ok.json()["extended_to"] == "2026-03-31"
    bad = c.patch(f"{API}{pk}/", {"extended_to": "2025-01-01"}, content_type="application/json")
    assert bad.status_code == 400 and "extended_to" in bad.json()
    bad = c.patch(f"{API}{pk}/", {"period_end": "2024-01-01"}, content_type="application/json")
    assert bad.status_code == 400
    assert [row["id"] for row in client_for("viewer").get(API).json()] == [pk]


def test_api_refuses_others(world, client_for):
    p = factories.promise(world.sundsvall)
    payload = {"title": "x", "text": "x", "period_start": "2025-01-01", "period_end": "2025-02-01"}
    v = client_for("viewer")
    assert v.post(API, payload, content_type="application/json").status_code == 403
    assert (
        v.patch(f"{API}{p.pk}/", {"title": "y"}, content_type="application/json").status_code == 403
    )
    assert client_for("outsider").get(f"{API}{p.pk}/").status_code == 404
    c = client_for("coordinator")
    r = c.post(API, {**payload, "municipality": "2262"}, content_type="application/json")
    assert r.status_code == 400
    assert c.put(f"{API}{p.pk}/", payload, content_type="application/json").status_code == 405
    assert CitizenPromise.objects.count() == 1
