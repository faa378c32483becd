"""Open311 reads: jurisdictions, filters, status mapping and what a public tip reveals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from brygga.audit.models import AuditEvent
from brygga.incidents.models import Category, Incident, Status, Visibility
from brygga.incidents.services import incident_set_status, incident_update

from .factories import IncidentFactory, field_key, make_key, publish, submitted, tip
from .georeport import BASE, FORMATS, as_records, error_descriptions, post, validate


@pytest.fixture
def key(world):
    return field_key(world)


CONTACT = {
    "email": "ylva.zetterqvist@example.invalid",
    "first_name": "Ylva",
    "last_name": "Zetterqvist",
    "phone": "+46 70 123 45 67",
}


def _records(client, fmt, query=""):
    r = client.get(f"{BASE}/requests.{fmt}{query}")
    assert r.status_code == 200, r.content
    return as_records(validate(r, fmt, "requests"), fmt)


def _submit(client, secret, **extra) -> Incident:
    r = post(client, "json", tip(secret, **extra), ip=f"198.51.100.{Incident.objects.count()}")
    assert r.status_code == 201, r.content
    return submitted(r)


def _published(world, client, secret, **extra) -> Incident:
    """A tip that a coordinator reviewed and published (only those are on the public lists)."""
    incident = _submit(client, secret, **extra)
    publish(world, incident, extra.get("description") or "Klotter på muren")
    incident.refresh_from_db()
    return incident


def _token(incident: Incident) -> str:
    return incident.open311_request.token


# --- jurisdiction ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_no_municipality_with_keys_means_open311_is_closed(fmt, world, client):
    r = client.get(f"{BASE}/services.{fmt}")
    assert r.status_code == 404
    validate(r, fmt, "errors")


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_required_when_several_municipalities_take_part(fmt, world, client):
    make_key(world)
    make_key(world, municipality=world.timra)
    r = client.get(f"{BASE}/services.{fmt}")
    assert r.status_code == 400
    assert any("jurisdiction_id" in d for d in error_descriptions(r, fmt))
    assert client.get(f"{BASE}/services.{fmt}?jurisdiction_id=2262").status_code == 200
    assert client.get(f"{BASE}/requests.{fmt}?jurisdiction_id=2281").status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_or_closed_jurisdiction_is_not_found(fmt, world, key, client):
    for code in ("9999", "2262", "<script>", "2281" * 50):
        r = client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": code})
        assert r.status_code == 404, code
        assert any("jurisdiction_id" in d for d in error_descriptions(r, fmt))


def test_revoking_the_last_key_closes_the_jurisdiction(world, key, client):
    k, _secret = key
    assert client.get(f"{BASE}/services.json").status_code == 200
    k.is_active = False
    k.save()
    assert client.get(f"{BASE}/services.json").status_code == 404


def test_requests_of_other_municipalities_and_sources_are_not_listed(world, key, client):
    _k, secret = key
    own = _published(world, client, secret)
    _timra_key, timra_secret = make_key(world, municipality=world.timra)
    timra = _published(world, client, timra_secret, lat="62.487", long="17.325")
    assert timra.municipality == world.timra
    manual = IncidentFactory(
        municipality=world.sundsvall, category=own.category, occurred_from=timezone.now()
    )
    ids = {r["service_request_id"] for r in _records(client, "json", "?jurisdiction_id=2281")}
    assert ids == {_token(own)}
    for other in (_token(timra), str(manual.pk), str(own.pk)):
        r = client.get(f"{BASE}/requests/{other}.json?jurisdiction_id=2281")
        assert r.status_code == 404
        assert any("service_request_id" in d for d in error_descriptions(r, "json"))


def test_deleted_tips_disappear(world, key, client):
    _k, secret = key
    incident = _published(world, client, secret)
    Incident.objects.filter(pk=incident.pk).update(deleted_at=timezone.now())
    assert _records(client, "json") == []
    assert client.get(f"{BASE}/requests/{_token(incident)}.json").status_code == 404


def test_request_detail_with_a_malformed_id_is_not_found(world, key, client):
    for bad in ("abc", "1e3", "١٢", "9" * 40, "a" * 65, "a.b"):
        r = client.get(f"{BASE}/requests/{bad}.xml")
        assert r.status_code == 404, bad
        validate(r, "xml", "errors")


# --- status mapping and privacy -------------------------------------------------------------
def test_only_published_reviewed_shared_tips_are_listed_as_open(world, key, client):
    # Reviewing a tip does not publish it; publication is a moderation step of its own, and a
    # rejected or organisation-only tip leaves the public lists whatever was published.
    _k, secret = key
    coordinator = world.users["coordinator"]
    incident = _submit(client, secret)
    assert _records(client, "json") == []  # new
    incident = incident_set_status(actor=coordinator, incident=incident, status=Status.REVIEWED)
    assert _records(client, "json") == []  # reviewed, not published
    publish(world, incident)
    assert _records(client, "json")[0]["status"] == "open"
    assert len(_records(client, "json", "?status=closed,open")) == 1
    assert _records(client, "json", "?status=closed") == []
    incident_set_status(actor=coordinator, incident=incident, status=Status.REJECTED)
    assert _records(client, "xml") == []
    assert client.get(f"{BASE}/requests/{_token(incident)}.json").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_personal_data_in_any_get_response(fmt, world, key, client):
    _k, secret = key
    incident = _published(world, client, secret, description="Klotter på gaveln", **CONTACT)
    bodies = [
        client.get(f"{BASE}/requests.{fmt}").content,
        client.get(f"{BASE}/requests/{_token(incident)}.{fmt}").content,
        client.get(f"{BASE}/requests.{fmt}?service_request_id={_token(incident)}").content,
        client.get(f"{BASE}/services.{fmt}").content,
    ]
    for body in bodies:
        text = body.decode("utf-8")
        for value in [*CONTACT.values(), "198.51.100", "ylva.zetterqvist", "46 70"]:
            assert value.lower() not in text.lower(), value
    record = _records(client, fmt)[0]
    assert record["address"] == "" and record["media_url"] == ""


def test_only_the_published_text_is_shown(world, key, client):
    _k, secret = key
    incident = _submit(client, secret, description="Ylva på Storgatan 3 klottrar varje natt")
    coordinator = world.users["coordinator"]
    incident_set_status(actor=coordinator, incident=incident, status=Status.REVIEWED)
    publish(world, incident, "Klotter nattetid vid Storgatan")
    assert _records(client, "json")[0]["description"] == "Klotter nattetid vid Storgatan"
    # a later change of the tip's own text does not reach the public list
    incident_update(actor=coordinator, incident=incident, description="Ylva igen")
    assert _records(client, "xml")[0]["description"] == "Klotter nattetid vid Storgatan"
    incident_update(actor=coordinator, incident=incident, visibility=Visibility.ORGANISATION)
    assert _records(client, "json") == []


def test_coordinates_are_rounded_to_about_100_metres(world, key, client):
    _k, secret = key
    incident = _published(world, client, secret, lat="62.390849", long="17.306951")
    assert incident.lat == pytest.approx(62.390849)
    record = _records(client, "json")[0]
    assert record["lat"] == 62.391 and record["long"] == 17.307
    assert _records(client, "xml")[0]["lat"] == "62.391"


def test_address_only_request_has_no_coordinates(world, key, client):
    _k, secret = key
    incident = _published(world, client, secret, lat="", long="", address_string="Storgatan 10")
    assert incident.lat is None and incident.area is None
    assert incident.place_description == "Storgatan 10"
    record = _records(client, "json")[0]
    assert record["lat"] is None and record["long"] is None and record["address"] == ""
    assert _records(client, "xml")[0]["lat"] == ""


def test_service_name_and_agency(world, key, client):
    _k, secret = key
    _published(world, client, secret, service_code="skadegorelse-fonster")
    record = _records(client, "json")[0]
    assert record["service_code"] == "skadegorelse-fonster"
    assert record["service_name"] == Category.objects.get(code="skadegorelse-fonster").name
    assert record["agency_responsible"] == world.sundsvall.name


def test_get_reads_write_nothing(world, key, client):
    _k, secret = key
    _published(world, client, secret)
    before = AuditEvent.objects.count()
    _records(client, "json")
    _records(client, "xml")
    assert AuditEvent.objects.count() == before


# --- filters ---------------------------------------------------------------------------------
def test_filter_by_ids_overrides_other_filters(world, key, client):
    _k, secret = key
    a = _published(world, client, secret)
    b = _published(world, client, secret, service_code="nedskrapning")
    _published(world, client, secret)
    query = f"?service_request_id={_token(a)},{_token(b)}&service_code=ingen&status=closed"
    assert {r["service_request_id"] for r in _records(client, "json", query)} == {
        _token(a),
        _token(b),
    }
    # the sequential incident ids are not public ids
    assert _records(client, "json", f"?service_request_id={a.pk},{b.pk}") == []


def test_filter_by_service_code_and_dates(world, key, client):
    _k, secret = key
    a = _published(world, client, secret)
    b = _published(world, client, secret, service_code="nedskrapning")
    old = _published(world, client, secret)
    Incident.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=120))
    ids = {r["service_request_id"] for r in _records(client, "json", "?service_code=nedskrapning")}
    assert ids == {_token(b)}
    ids = {r["service_request_id"] for r in _records(client, "json")}  # default: last 90 days
    assert ids == {_token(a), _token(b)}
    start = (timezone.now() - timedelta(days=150)).date().isoformat()
    ids = {r["service_request_id"] for r in _records(client, "json", f"?start_date={start}")}
    assert ids == {_token(old)}
    end = (timezone.localtime() - timedelta(days=100)).isoformat(timespec="seconds")
    r = client.get(f"{BASE}/requests.json", {"end_date": end})
    assert {x["service_request_id"] for x in validate(r, "json", "requests")} == {_token(old)}
    r = client.get(
        f"{BASE}/requests.json",
        {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-03-01T00:00:00+01:00"},
    )
    assert validate(r, "json", "requests") == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start_date": "igår"}, "start_date"),
        ({"start_date": "2025-13-45"}, "start_date"),
        ({"end_date": "0001-01-01T00:00:00+14:00"}, "end_date"),
        ({"start_date": "2025-01-01", "end_date": "2025-06-01"}, "end_date"),
        ({"start_date": "2025-06-01", "end_date": "2025-01-01"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": "1,a b"}, "service_request_id"),
        ({"service_request_id": "1,ä"}, "service_request_id"),
        ({"service_request_id": ","}, "service_request_id"),
        ({"service_request_id": ",".join(["1"] * 1001)}, "service_request_id"),
    ],
)
def test_bad_filters_are_refused_by_name(fmt, query, field, world, key, client):
    r = client.get(f"{BASE}/requests.{fmt}", query)
    assert r.status_code == 400
    descriptions = error_descriptions(r, fmt)
    assert any(d.startswith(f"{field}:") for d in descriptions), descriptions


def test_at_most_1000_requests(world, key, client, monkeypatch):
    from brygga.incidents.open311 import selectors

    assert selectors.MAX_REQUESTS == 1000
    monkeypatch.setattr(selectors, "MAX_REQUESTS", 2)
    _k, secret = key
    for _ in range(3):
        _published(world, client, secret)
    assert len(_records(client, "json")) == 2
