"""Fuzz the API from its own OpenAPI schema with schemathesis: no request answers 5xx.

The app is called in-process through its WSGI handler (no server, no network), signed in as a
coordinator (session cookie, second factor passed, CSRF token for writes), inside the test's
database transaction. Every operation in the schema is exercised, reads first, then writes, then
deletes (so deleting world objects cannot starve the other operations). The example count per
operation is small so the file stays well under a minute; the operations of the incidents API
get more examples than the rest.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, Phase, given, settings

from .factories import CENTRE, ImportProfileFactory, category, make_incident

pytestmark = pytest.mark.django_db

OWN_PATHS = ("/api/v1/incidents", "/api/v1/categories", "/api/v1/import-profiles")
METHOD_ORDER = {"GET": 0, "POST": 1, "PATCH": 2, "PUT": 3, "DELETE": 4}


@pytest.fixture
def fuzz_target(world, client_for):
    make_incident(world, lat=CENTRE[0], lon=CENTRE[1], area=world.areas["centrum"])
    secret = make_incident(world, area=world.areas["nacksta"], has_personal_data=True)
    profile = ImportProfileFactory(municipality=world.sundsvall, name="Profil", mapping={"a": "b"})
    # Every other example of these operations uses a real id, and the incident writes start
    # from a valid body that the generated fields then override, so the fuzzing reaches past
    # "not found" and "this field is required" into the services.
    real_ids = {
        "/api/v1/incidents/{id}/": secret.pk,
        "/api/v1/categories/{id}/": category().pk,
        "/api/v1/import-profiles/{id}/": profile.pk,
        "/api/v1/areas/{id}/": world.areas["nacksta"].pk,
        "/api/v1/forums/{id}/": world.forums["safety"].pk,
        "/api/v1/organisations/{id}/": world.orgs["housing"].pk,
    }
    valid_body = {
        "municipality": "2281",
        "category": category().pk,
        "occurred_from": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "lat": CENTRE[0],
        "lon": CENTRE[1],
    }
    client = client_for("coordinator")
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(response.json())
    schema.app = WSGIHandler()
    token = get_random_string(32)
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}
    headers = {"X-CSRFToken": token}
    return schema, cookies, headers, real_ids, valid_body


def _operations(schema):
    ops = [result.ok() for result in schema.get_all_operations()]
    return sorted(ops, key=lambda op: (METHOD_ORDER.get(op.method.upper(), 9), op.path))


def _fuzz(operation, target, counter: list[int], failures: list[str]) -> None:
    """Run one operation's examples; ``counter`` and ``failures`` collect across operations."""
    schema, cookies, headers, real_ids, valid_body = target
    path = operation.path
    own = path.startswith(OWN_PATHS)

    @settings(
        max_examples=25 if own else 6,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case):
        counter[0] += 1
        n = counter[0]
        method = case.method.upper()
        if n % 2 and path in real_ids and (own or method == "GET"):
            case.path_parameters = {**(case.path_parameters or {}), "id": real_ids[path]}
        if (
            n % 2
            and path.startswith("/api/v1/incidents")
            and method in ("POST", "PATCH")
            and isinstance(case.body, dict)
        ):
            # alternately: valid core fields with generated extras, and generated fields over
            # a valid base
            if n % 4 == 1:
                case.body = {**case.body, **valid_body}
            else:
                case.body = {**valid_body, **case.body}
        response = case.call(headers=headers, cookies=cookies)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} query={case.query} "
                f"body={case.body!r:.300} -> {response.status_code}"
            )

    check()


@pytest.fixture
def in_test_transaction(fuzz_target):
    """The WSGI handler closes "old" connections around each request, and a connection inside
    the test's transaction counts as one on PostgreSQL; Django's test client avoids this the
    same way (and reconnects the receivers after each of its requests, so this comes last)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield fuzz_target
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_server_errors_anywhere_in_the_api(in_test_transaction):
    fuzz_target = in_test_transaction
    counter = [0]
    failures: list[str] = []
    for operation in _operations(fuzz_target[0]):
        _fuzz(operation, fuzz_target, counter, failures)
    assert counter[0] > 100
    assert not failures, "\n".join(failures[:20])
