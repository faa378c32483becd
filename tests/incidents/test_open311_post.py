"""Open311 POST requests: what a public tip becomes, bad input, rate limits, stored contact."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from brygga.audit.models import AuditEvent
from brygga.core import citus
from brygga.incidents.models import (
    Incident,
    Open311Contact,
    Open311Submission,
    Source,
    Status,
    Visibility,
)
from brygga.incidents.open311 import services as open311

from .factories import IN_CENTRE, field_key, make_key, tip
from .georeport import BASE, FORMATS, as_records, error_descriptions, post, validate


@pytest.fixture
def key(world):
    return field_key(world)


def _nothing_written(before: dict) -> None:
    assert Incident.objects.count() == before["incidents"]
    assert Open311Contact.objects.count() == before["contacts"]


def _counts() -> dict:
    return {"incidents": Incident.objects.count(), "contacts": Open311Contact.objects.count()}


# --- what a tip becomes ---------------------------------------------------------------------
@pytest.mark.parametrize("as_json", [False, True])
def test_tip_becomes_a_new_untrusted_incident(as_json, world, key, client):
    k, secret = key
    r = post(
        client,
        "json",
        tip(secret, description="Nytt klotter på skolans vägg", email="ylva@example.invalid"),
        as_json=as_json,
    )
    assert r.status_code == 201
    (created,) = validate(r, "json", "created")
    assert created["account_id"] is None and created["service_notice"]
    incident = Incident.objects.get(open311_request__token=created["service_request_id"])
    assert incident.source == Source.OPEN311 and incident.status == Status.NEW
    assert incident.municipality == world.sundsvall
    assert incident.category.code == "klotter"
    assert incident.area == world.areas["centrum"]
    assert incident.sweref_e and incident.sweref_n
    assert incident.reporting_organisation == world.orgs["field"]
    assert incident.reported_by is None
    # public free text is personal data by default: need-to-know, every read logged
    assert incident.visibility == Visibility.SHARED and incident.has_personal_data
    # the public id is a random token, not the sequential incident id
    assert created["service_request_id"] != str(incident.pk)
    assert len(created["service_request_id"]) >= 22
    assert incident.description == "Nytt klotter på skolans vägg"
    assert "ylva" not in incident.description
    create = AuditEvent.objects.get(
        object_type="incidents.incident", object_id=str(incident.pk), kind="create"
    )
    assert create.actor_label == f"open311:{k.key_prefix}" and create.actor_id is None
    stored = AuditEvent.objects.get(event_type="open311_contact_stored")
    assert stored.actor_label == f"open311:{k.key_prefix}" and stored.changes == {
        "fields": ["email"]
    }


def test_tips_are_personal_data_seen_only_with_need_to_know(world, key, client):
    _k, secret = key
    r = post(client, "json", tip(secret))
    incident = Incident.objects.get(open311_request__token=r.json()[0]["service_request_id"])

    def sees(actor):
        user = world.users[actor]
        user._brygga_resolver = None
        return Incident.objects.visible_to(user).filter(pk=incident.pk).exists()

    assert not sees("viewer") and not sees("case_worker") and not sees("analyst")
    assert sees("coordinator") and sees("reporter")  # reporter: the key's organisation
    incident.status = Status.REVIEWED
    incident.save()
    assert not sees("viewer")  # reviewed, still personal data
    incident.has_personal_data = False  # a coordinator judged the text free of it
    incident.save()
    assert sees("viewer") and sees("analyst")


def test_contact_details_are_kept_apart_and_out_of_the_audit_trail(world, key, client):
    _k, secret = key
    r = post(
        client,
        "json",
        tip(
            secret,
            email="ylva@example.invalid",
            first_name="Ylva",
            last_name="Zetterqvist",
            phone="070-123 45 67",
        ),
        as_json=True,
    )
    incident = Incident.objects.get(open311_request__token=r.json()[0]["service_request_id"])
    contact = Open311Contact.objects.get(incident=incident)
    assert (contact.email, contact.first_name, contact.last_name, contact.phone) == (
        "ylva@example.invalid",
        "Ylva",
        "Zetterqvist",
        "070-123 45 67",
    )
    assert contact.municipality == world.sundsvall
    trail = json.dumps(list(AuditEvent.objects.values("changes", "object_repr")))
    for value in ("ylva@example.invalid", "Zetterqvist", "070-123"):
        assert value not in trail
    stored = AuditEvent.objects.get(event_type="open311_contact_stored")
    assert stored.changes == {"fields": ["email", "first_name", "last_name", "phone"]}


def test_no_contact_row_without_contact_details(world, key, client):
    _k, secret = key
    post(client, "json", tip(secret, email="  "))
    assert Open311Contact.objects.count() == 0


def test_client_address_is_stored_only_as_a_keyed_hash(world, key, client):
    _k, secret = key
    post(client, "json", tip(secret), ip="203.0.113.77")
    row = Open311Submission.objects.get()
    assert row.accepted and "203.0.113" not in row.client_hash
    assert row.client_hash == open311.client_hash("203.0.113.77")
    assert row.client_hash != open311.client_hash("203.0.113.78")
    assert settings.SECRET_KEY  # the hash is keyed with it
    trail = json.dumps(list(AuditEvent.objects.values("changes")))
    assert row.client_hash not in trail and "203.0.113" not in trail


def test_jurisdiction_of_the_key_is_used_and_checked(world, key, client):
    _k, secret = key
    make_key(world, municipality=world.timra)
    r = post(client, "json", tip(secret, jurisdiction_id="2281"))
    assert r.status_code == 201
    before = _counts()
    r = post(client, "xml", tip(secret, jurisdiction_id="2262"))
    assert r.status_code == 403
    assert any(d.startswith("jurisdiction_id:") for d in error_descriptions(r, "xml"))
    _nothing_written(before)


def test_key_of_an_organisation_in_another_municipality_is_not_attributed(world, client):
    k, secret = make_key(world, organisation=world.orgs["housing"])
    k.reporting_organisation = world.orgs["timra"]  # e.g. changed behind Brygga's back
    k.save()
    r = post(client, "json", tip(secret))
    incident = Incident.objects.get(open311_request__token=r.json()[0]["service_request_id"])
    assert incident.reporting_organisation is None
    if connection.vendor == "postgresql" and not citus.is_citus():
        # there the composite foreign key refuses such a link when the transaction ends (on
        # Citus the workers check it when they commit, which a test's transaction never does)
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        k.reporting_organisation = world.orgs["housing"]
        k.save()


# --- bad input ------------------------------------------------------------------------------
BAD = [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "fel-nyckel"}, 403, "api_key"),
    ({"lat": "abc"}, 400, "lat"),
    ({"long": "17,3069x"}, 400, "long"),
    ({"lat": "nan"}, 400, "lat"),
    ({"lat": "inf"}, 400, "lat"),
    ({"lat": "1e400"}, 400, "lat"),
    ({"long": None}, 400, "long"),
    ({"lat": None}, 400, "lat"),
    ({"lat": "59.3293", "long": "18.0686"}, 400, "lat/long"),  # Stockholm: other municipality
    ({"lat": "17.3069", "long": "62.3908"}, 400, "lat/long"),  # swapped
    ({"lat": "6920000", "long": "617000"}, 400, "lat/long"),  # SWEREF metres
    ({"lat": "48.85", "long": "2.35"}, 400, "lat/long"),  # Paris
    ({"lat": None, "long": None}, 400, "lat/long"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "finns-inte"}, 400, "service_code"),
    ({"description": "x" * 4001}, 400, "description"),
    ({"address_string": "x" * 201}, 400, "address_string"),
    ({"email": "inte-en-adress"}, 400, "email"),
    ({"phone": "ring mig"}, 400, "phone"),
    ({"first_name": "x" * 101}, 400, "first_name"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("change", "status", "field"), BAD)
def test_bad_input_is_refused_by_name_and_writes_nothing(
    fmt, change, status, field, world, key, client
):
    _k, secret = key
    data = {k: v for k, v in {**tip(secret), **change}.items() if v is not None}
    before = _counts()
    r = post(client, fmt, data)
    assert r.status_code == status, r.content
    descriptions = error_descriptions(r, fmt)
    assert any(d.startswith(f"{field}:") for d in descriptions), descriptions
    _nothing_written(before)
    assert Open311Submission.objects.filter(accepted=False).count() == 1


def test_revoked_key_is_refused(world, key, client):
    k, secret = key
    open311.open311_key_revoke(actor=world.users["municipal_admin"], key=k)
    before = _counts()
    r = post(client, "json", tip(secret))
    assert r.status_code == 403
    _nothing_written(before)


def test_several_problems_are_reported_together(world, key, client):
    _k, secret = key
    r = post(client, "json", tip(secret, service_code="okänd", lat="x", email="y"))
    assert r.status_code == 400
    fields = {d.split(":", 1)[0] for d in error_descriptions(r, "json")}
    assert fields == {"service_code", "lat", "email"}
    assert all(e["code"] == 400 for e in r.json())


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'"text"',
        b"\xff\xfe\x00",
        b"[" * 100_000,
    ],
)
def test_unreadable_json_bodies_are_refused(body, world, key, client):
    before = _counts()
    r = client.post(f"{BASE}/requests.json", body, content_type="application/json")
    assert r.status_code == 400
    validate(r, "json", "errors")
    _nothing_written(before)


@pytest.mark.parametrize(
    "change",
    [
        {"lat": True},
        {"lat": [62.39]},
        {"description": {"text": "x"}},
        {"service_code": 12},
        {"description": "lone \ud800 surrogate"},
        {"lat": 10**400},
    ],
)
def test_wrong_json_types_are_refused(change, world, key, client):
    _k, secret = key
    before = _counts()
    r = client.post(
        f"{BASE}/requests.json",
        json.dumps({**tip(secret), **change}),
        content_type="application/json",
    )
    assert r.status_code == 400, r.content
    validate(r, "json", "errors")
    _nothing_written(before)


def test_json_numbers_are_accepted_for_coordinates(world, key, client):
    _k, secret = key
    data = {**tip(secret), "lat": 62.3908, "long": 17.3069}
    r = post(client, "json", data, as_json=True)
    assert r.status_code == 201


def test_control_characters_are_removed(world, key, client):
    _k, secret = key
    r = post(client, "json", tip(secret, description="a\x00b\x07c\nd"), as_json=True)
    incident = Incident.objects.get(open311_request__token=r.json()[0]["service_request_id"])
    assert incident.description == "abc\nd"


def test_get_only_endpoints_refuse_other_methods(world, key, client):
    for url in (f"{BASE}/services.json", f"{BASE}/services/klotter.xml", f"{BASE}/requests/1.json"):
        r = client.post(url, {"x": "y"})
        assert r.status_code == 405 and "GET" in r["Allow"]
    validate(client.put(f"{BASE}/requests.xml"), "xml", "errors")


def test_no_csrf_token_and_no_session_needed(world, key, client_for):
    from django.test import Client

    _k, secret = key
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, "json", tip(secret)).status_code == 201
    # a signed-in member posting gets no extra rights: the key decides
    signed_in = client_for("coordinator")
    r = post(signed_in, "json", {**tip(secret), "api_key": ""}, ip="192.0.2.99")
    assert r.status_code == 403


@hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "service_code",
                "lat",
                "long",
                "address_string",
                "description",
                "email",
                "first_name",
                "last_name",
                "phone",
                "jurisdiction_id",
                "attribute[x]",
            ]
        ),
        st.one_of(
            st.sampled_from(["klotter", "62.3908", "17.3069", "Storgatan 1", "2281"]),
            st.text(max_size=50),
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(),
            st.booleans(),
            st.none(),
            st.lists(st.integers(), max_size=2),
        ),
    ),
    as_json=st.booleans(),
    fmt=st.sampled_from(FORMATS),
)
def test_fuzzed_posts_never_fail_with_500(data, as_json, fmt, world, key, client, monkeypatch):
    monkeypatch.setattr(open311, "CLIENT_LIMIT", 10**6)
    monkeypatch.setattr(open311, "KEY_LIMIT", 10**6)
    _k, secret = key
    payload = {**data, "api_key": secret}
    if as_json:
        r = client.post(
            f"{BASE}/requests.{fmt}", json.dumps(payload), content_type="application/json"
        )
    else:
        form = {k: str(v) for k, v in payload.items() if v is not None}
        r = client.post(f"{BASE}/requests.{fmt}", form)
    assert r.status_code in (201, 400, 403), r.content  # 403: another jurisdiction_id
    validate(r, fmt, "created" if r.status_code == 201 else "errors")


# --- rate limits ----------------------------------------------------------------------------
def test_client_limit_ten_per_ten_minutes(world, key, client):
    _k, secret = key
    assert open311.CLIENT_LIMIT == 10 and open311.CLIENT_WINDOW.total_seconds() == 600
    for i in range(10):
        data = tip(secret) if i % 2 else {**tip(secret), "lat": "x"}  # refusals count too
        assert post(client, "json", data, ip="192.0.2.50").status_code in (201, 400)
    before = _counts()
    r = post(client, "xml", tip(secret), ip="192.0.2.50")
    assert r.status_code == 429
    validate(r, "xml", "errors")
    _nothing_written(before)
    assert post(client, "json", tip(secret), ip="192.0.2.51").status_code == 201  # another
    # 429s are not counted, so the client is let in again when the window has passed
    assert Open311Submission.objects.filter(accepted=False).count() == 5
    Open311Submission.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert post(client, "json", tip(secret), ip="192.0.2.50").status_code == 201


def test_guessing_keys_is_limited_per_client(world, key, client):
    _k, secret = key
    for i in range(10):
        assert post(client, "json", tip(f"gissning-{i}"), ip="192.0.2.60").status_code == 403
    assert post(client, "json", tip(secret), ip="192.0.2.60").status_code == 429


def test_key_limit_thirty_per_minute(world, key, client):
    _k, secret = key
    other_key, other_secret = make_key(world, name="App")
    assert open311.KEY_LIMIT == 30 and open311.KEY_WINDOW.total_seconds() == 60
    for i in range(30):
        assert post(client, "json", tip(secret), ip=f"198.18.0.{i}").status_code == 201
    r = post(client, "json", tip(secret), ip="198.18.1.1")
    assert r.status_code == 429
    assert any("429" in str(e["code"]) for e in r.json())
    assert post(client, "json", tip(other_secret), ip="198.18.1.2").status_code == 201
    assert other_key.submissions.count() == 1
    Open311Submission.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert post(client, "json", tip(secret), ip="198.18.1.3").status_code == 201


def test_old_submission_rows_are_pruned(world, key, client):
    _k, secret = key
    post(client, "json", tip(secret), ip="192.0.2.70")
    Open311Submission.objects.update(created_at=timezone.now() - timedelta(days=2))
    before = AuditEvent.objects.count()
    assert open311.prune_submissions() == 1
    assert AuditEvent.objects.count() == before
    post(client, "json", tip(secret), ip="192.0.2.70")
    assert Open311Submission.objects.count() == 1


def test_response_lists_one_request_per_post(world, key, client):
    _k, secret = key
    r = post(client, "xml", {**tip(secret), **IN_CENTRE})
    records = as_records(validate(r, "xml", "created"), "xml")
    assert len(records) == 1 and records[0]["account_id"] == ""
