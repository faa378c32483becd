"""The authorization matrix: every URL pattern in the project × every role (and anonymous).

The test walks the URL resolver, so a pattern added later without an entry in EXPECTED fails
here the day it is added. Each entry says which status each actor must get on GET; a POST to a
page an actor may not open must be refused as well, and must change nothing.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.db.models import Max
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from brygga.audit.models import AuditEvent

from . import authz
from .authz import LOGIN
from .conftest import ALL_ACTORS


def _modules():
    return [
        importlib.import_module(f"{authz.__name__}.{m.name}")
        for m in pkgutil.iter_modules(authz.__path__)
    ]


def _merged_expectations() -> dict[str, dict]:
    merged: dict[str, dict] = {}
    for module in _modules():
        overlap = set(merged) & set(module.EXPECTED)
        assert not overlap, f"{module.__name__} repeats expectations for {sorted(overlap)}"
        merged.update(module.EXPECTED)
    return merged


EXPECTED = _merged_expectations()


def walk(patterns=None, prefix_ns="", params=()):
    """Yield (name, parameter names) for every URL pattern in the project, with the
    parameters of the include prefixes it sits under."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        here = (*params, *p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            ns = f"{prefix_ns}{p.namespace}:" if p.namespace else prefix_ns
            yield from walk(p.url_patterns, ns, here)
        elif isinstance(p, URLPattern):
            name = f"{prefix_ns}{p.name}" if p.name else None
            yield name, here


def kwargs_for(name: str, params, world) -> dict:
    kwargs = {}
    for key in params:
        if key == "code":
            kwargs[key] = world.sundsvall.code
        elif key == "pk":
            short = name.split(":")[-1]
            kwargs[key] = next(v for k, v in world.matrix_objects.items() if short.startswith(k))
        else:  # another parameter (the survey's <int:year>): objects() gives it by its name
            kwargs[key] = world.matrix_objects[key]
    return kwargs


@pytest.fixture
def matrix_world(world):
    world.matrix_objects = {}
    for module in _modules():
        world.matrix_objects.update(module.objects(world))
    return world


def test_every_url_pattern_has_an_expectation():
    names = [name for name, _ in walk()]
    assert None not in names, "every URL pattern needs a name so the matrix can cover it"
    missing = sorted(set(names) - set(EXPECTED))
    assert not missing, f"URL patterns without an authorization expectation: {missing}"
    stale = sorted(set(EXPECTED) - set(names))
    assert not stale, f"expectations for URL patterns that no longer exist: {stale}"
    for name, row in EXPECTED.items():
        assert set(row) == set(ALL_ACTORS), f"{name}: an actor is missing"
        assert all(v is not None for v in row.values()), f"{name}: an actor has no status"


@pytest.mark.parametrize("actor", ALL_ACTORS)
def test_matrix_get(actor, matrix_world, client_for):
    client = client_for(actor)
    failures = []
    for name, params in walk():
        url = reverse(name, kwargs=kwargs_for(name, params, matrix_world))
        response = client.get(url)
        expected = EXPECTED[name][actor]
        if expected == LOGIN:
            ok = response.status_code == 302 and "/konto/logga-in/" in response["Location"]
        else:
            ok = response.status_code == expected
        if not ok:
            failures.append(
                f"{actor} GET {url} ({name}): {response.status_code}, expected {expected}"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("actor", ALL_ACTORS)
def test_matrix_post_refused_where_get_is(actor, matrix_world, client_for):
    """Where an actor may not open a page, a POST (or API write) is refused and changes
    nothing."""
    client = client_for(actor)
    # seq is unique and ascending but has gaps (a sequence on PostgreSQL): compare with the
    # newest row, not with the number of rows
    before = AuditEvent.objects.aggregate(newest=Max("seq"))["newest"] or 0
    failures = []
    for name, params in walk():
        expected = EXPECTED[name][actor]
        if expected not in (LOGIN, 403, 404):
            continue
        url = reverse(name, kwargs=kwargs_for(name, params, matrix_world))
        for method in ("post", "put", "patch", "delete") if name.startswith("api:") else ("post",):
            payload = {"name": "x", "kind": "other"}
            if name.startswith("api:"):
                response = getattr(client, method)(url, payload, content_type="application/json")
            else:
                response = client.post(url, payload)
            ok = response.status_code in (302, 401, 403, 404, 405)
            if response.status_code == 302:
                ok = "/konto/logga-in/" in response["Location"]
            if not ok:
                failures.append(f"{actor} {method.upper()} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    changes = AuditEvent.objects.filter(seq__gt=before).exclude(kind__in=["login", "login_failed"])
    assert not changes.exists(), list(changes.values_list("kind", "object_type"))
