"""The authorization matrix: every URL pattern in the project × every role (and anonymous).

The test walks the URL resolver, so a pattern added later without an entry in EXPECTED fails
here the day it is added. Each entry says which status each actor must get on GET; a POST to a
page an actor may not open must be refused as well, and must change nothing.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from brygga.audit.models import AuditEvent

from .conftest import ALL_ACTORS

LOGIN = "login"  # 302 to the sign-in page
MEMBERS = [
    "viewer",
    "reporter",
    "analyst",
    "coordinator",
    "case_worker",
    "municipal_admin",
    "system_admin",
]
MANAGERS = ["coordinator", "municipal_admin", "system_admin"]
ADMINS = ["municipal_admin", "system_admin"]
SIGNED_IN = [*MEMBERS, "outsider"]


def _m(anon=LOGIN, default=None, **by_actor):
    """Build an expectation: ``by_actor`` values are applied to lists of actors."""
    out = {"anon": anon}
    for a in SIGNED_IN:
        out[a] = default
    for status, actors in by_actor.items():
        code = int(status[1:])
        for a in actors:
            out[a] = code
    return out


def members_page():
    """A page of Sundsvall's shared data: members 200, the outsider 404."""
    return _m(s200=MEMBERS, s404=["outsider"])


def manage_page():
    return _m(
        s200=MANAGERS, s403=["viewer", "reporter", "analyst", "case_worker"], s404=["outsider"]
    )


def admin_page():
    return _m(
        s200=ADMINS,
        s403=["viewer", "reporter", "analyst", "case_worker", "coordinator"],
        s404=["outsider"],
    )


def sspf_forum_page(ok_status=200):
    return _m(
        **{f"s{ok_status}": ["case_worker", *MANAGERS]},
        s404=["viewer", "reporter", "analyst", "outsider"],
    )


def api(default=200, anon=403, **kw):
    base = _m(anon=anon, **{f"s{default}": SIGNED_IN})
    for status, actors in kw.items():
        for a in actors:
            base[a] = int(status[1:])
    return base


EXPECTED: dict[str, dict] = {
    "healthz": dict.fromkeys(ALL_ACTORS, 200),
    "set_language": dict.fromkeys(ALL_ACTORS, 302),
    "account:login": _m(anon=200, s302=SIGNED_IN),
    "account:logout": dict.fromkeys(ALL_ACTORS, 405),
    "account:otp_verify": _m(s302=SIGNED_IN),
    "account:otp_setup": _m(
        s200=["viewer", "reporter", "analyst"],
        s302=["coordinator", "case_worker", "municipal_admin", "system_admin", "outsider"],
    ),
    "account:profile": _m(s200=SIGNED_IN),
    "account:password_change": _m(s200=SIGNED_IN),
    "core:home": _m(s302=SIGNED_IN),
    "core:municipality_list": _m(s200=SIGNED_IN),
    "core:municipality_detail": members_page(),
    "core:organisation_list": members_page(),
    "core:organisation_detail": members_page(),
    "core:organisation_create": manage_page(),
    "core:organisation_edit": manage_page(),
    "core:organisation_delete": manage_page(),
    "core:area_list": members_page(),
    "core:area_detail": members_page(),
    "core:area_create": manage_page(),
    "core:area_edit": manage_page(),
    "core:area_delete": manage_page(),
    "core:forum_list": members_page(),
    "core:forum_detail": sspf_forum_page(),
    "core:forum_create": manage_page(),
    "core:forum_edit": manage_page(),
    "core:forum_delete": manage_page(),
    "core:member_list": manage_page(),
    "core:member_create": manage_page(),
    "core:user_detail": manage_page(),
    "core:user_account": _m(
        s405=MANAGERS, s403=["viewer", "reporter", "analyst", "case_worker"], s404=["outsider"]
    ),
    "core:membership_delete": manage_page(),
    "core:security_policy": admin_page(),
    "audit:log": admin_page(),
    "api:schema": api(),
    "api:docs": api(),
    "api:municipality-list": api(),
    "api:municipality-detail": api(s404=["outsider"]),
    "api:policearea-list": api(),
    "api:policearea-detail": api(s404=["outsider"]),
    "api:organisation-list": api(),
    "api:organisation-detail": api(s404=["outsider"]),
    "api:area-list": api(),
    "api:area-detail": api(s404=["outsider"]),
    "api:forum-list": api(),
    "api:forum-detail": api(s404=["viewer", "reporter", "analyst", "outsider"]),
    "api:membership-list": api(),
    "api:membership-detail": api(s404=["viewer", "analyst", "case_worker", "outsider"]),
}


def walk(patterns=None, prefix_ns=""):
    """Yield (name, converters) for every URL pattern in the project."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix_ns}{p.namespace}:" if p.namespace else prefix_ns
            yield from walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            name = f"{prefix_ns}{p.name}" if p.name else None
            yield name, p.pattern


def kwargs_for(name: str, pattern, world) -> dict:
    objects = {
        "organisation": world.orgs["field"].pk,
        "area": world.areas["centrum"].pk,
        "forum": world.forums["sspf"].pk,
        "user_detail": world.users["reporter"].pk,
        "user_account": world.users["reporter"].pk,
        "membership": world.memberships["reporter"].pk,
        "policearea": world.police_area.pk,
    }
    kwargs = {}
    for key in pattern.regex.groupindex:
        if key == "code":
            kwargs[key] = world.sundsvall.code
        elif key == "pk":
            short = name.split(":")[-1]
            match = next(v for k, v in objects.items() if short.startswith(k))
            kwargs[key] = match
    return kwargs


@pytest.fixture
def matrix_world(world):
    from brygga.core.models import PoliceArea

    world.police_area = PoliceArea.objects.create(name="LPO Medelpad (test)")
    world.police_area.municipalities.add(world.sundsvall)
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
    for name, pattern in walk():
        url = reverse(name, kwargs=kwargs_for(name, pattern, matrix_world))
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
    before = AuditEvent.objects.count()
    failures = []
    for name, pattern in walk():
        expected = EXPECTED[name][actor]
        if expected not in (LOGIN, 403, 404):
            continue
        url = reverse(name, kwargs=kwargs_for(name, pattern, matrix_world))
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
