"""The OIDC routes when a municipality switches OpenID Connect on (issue #10 item 12 (e)).

``OIDC_ENABLED`` is read when the root URLconf is imported (brygga/config/urls.py), so the tests
enable it with ``override_settings`` plus the settings that brygga/config/settings/base.py sets
in that case (dummy IdP endpoints under example.invalid: no request leaves the machine), and
reload the URLconf; the fixture reloads it again afterwards without OIDC.

The authorization matrix walks these routes too: with OIDC on, every pattern that appears must
have an expectation in ``EXPECTED_WHEN_ENABLED``.
"""

from __future__ import annotations

import importlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse

from .conftest import ALL_ACTORS, login
from .test_authz_matrix import walk

IDP = "https://idp.example.invalid"
OIDC_SETTINGS = {
    "OIDC_ENABLED": True,
    "OIDC_RP_CLIENT_ID": "brygga-test",
    "OIDC_RP_CLIENT_SECRET": "not-a-secret",
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_OP_JWKS_ENDPOINT": f"{IDP}/jwks",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{IDP}/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": f"{IDP}/token",
    "OIDC_OP_USER_ENDPOINT": f"{IDP}/userinfo",
    "OIDC_RP_SCOPES": "openid email profile",
    "OIDC_CREATE_USER": False,
    "OIDC_LOGIN_LABEL": "Logga in med e-legitimation",
}

# GET with every actor: the sign-in start sends everyone to the IdP; the callback without a
# code and state from this session refuses (back to "/", nobody signed in); sign-out is POST.
EXPECTED_WHEN_ENABLED = {
    "oidc_authentication_init": dict.fromkeys(ALL_ACTORS, 302),
    "oidc_authentication_callback": dict.fromkeys(ALL_ACTORS, 302),
    "oidc_logout": dict.fromkeys(ALL_ACTORS, 405),
}


def _reload_urls():
    import brygga.config.urls as root

    importlib.reload(root)
    clear_url_caches()


@pytest.fixture
def oidc():
    backends = list(settings.AUTHENTICATION_BACKENDS)
    backends.insert(1, "brygga.core.oidc.BryggaOIDCBackend")  # as base.py does
    with override_settings(AUTHENTICATION_BACKENDS=backends, **OIDC_SETTINGS):
        _reload_urls()
        yield
    _reload_urls()


@pytest.fixture
def no_idp(monkeypatch):
    """Fail if anything tries to reach the IdP."""
    import requests

    def refuse(*args, **kwargs):
        raise AssertionError(f"a request to the IdP was made: {args[:1]}")

    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(requests, "post", refuse)


def test_oidc_routes_only_when_enabled(oidc):
    names = {name for name, _ in walk()}
    assert set(EXPECTED_WHEN_ENABLED) <= names
    with override_settings(OIDC_ENABLED=False):
        _reload_urls()
        plain = {name for name, _ in walk()}
        with pytest.raises(NoReverseMatch):
            reverse("oidc_authentication_init")
    _reload_urls()
    assert names - plain == set(EXPECTED_WHEN_ENABLED), "an OIDC route without an expectation"


@pytest.mark.parametrize("actor", ALL_ACTORS)
def test_oidc_matrix(actor, oidc, no_idp, world, client_for):
    client = client_for(actor)
    failures = []
    for name, row in EXPECTED_WHEN_ENABLED.items():
        response = client.get(reverse(name))
        if response.status_code != row[actor]:
            failures.append(f"{actor} GET {name}: {response.status_code}, expected {row[actor]}")
    assert not failures, "\n".join(failures)


def test_sign_in_starts_at_the_idp(oidc, no_idp, client, db):
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{IDP}/authorize"
    query = parse_qs(target.query)
    assert query["client_id"] == ["brygga-test"]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"][0].endswith(reverse("oidc_authentication_callback"))
    state = query["state"][0]
    assert state in client.session["oidc_states"]  # kept to check the callback against
    assert query["nonce"] == [client.session["oidc_states"][state]["nonce"]]


def test_login_page_offers_the_idp(oidc, client, db):
    response = client.get(reverse("account:login"))
    assert response.status_code == 200
    assert reverse("oidc_authentication_init") in response.content.decode()


def _signed_in(client) -> bool:
    response = client.get(reverse("account:profile"))
    return response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {},  # nothing
        {"code": "abc"},  # a code without state
        {"state": "abc"},  # a state without code
        {"code": "abc", "state": "forged"},  # no sign-in was started in this session
        {"error": "access_denied", "state": "forged"},
    ],
    ids=["empty", "code-only", "state-only", "no-session-state", "idp-error"],
)
def test_callback_without_valid_state_is_refused(query, oidc, no_idp, client, world):
    response = client.get(reverse("oidc_authentication_callback"), query)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/"  # the failure URL
    assert not _signed_in(client)


def test_callback_with_a_state_this_session_never_issued(oidc, no_idp, client, world):
    client.get(reverse("oidc_authentication_init"))  # the session now holds one state
    response = client.get(reverse("oidc_authentication_callback"), {"code": "a", "state": "x"})
    assert response.status_code == 400  # SuspiciousOperation
    assert not _signed_in(client)


def _idp_answers(monkeypatch, email: str):
    """The IdP's answers for a completed sign-in (no network): tokens, and the e-mail claim."""
    from brygga.core.oidc import BryggaOIDCBackend

    monkeypatch.setattr(
        BryggaOIDCBackend, "get_token", lambda self, payload: {"id_token": "i", "access_token": "a"}
    )
    monkeypatch.setattr(
        BryggaOIDCBackend, "verify_token", lambda self, token, **kw: {"nonce": kw.get("nonce")}
    )
    monkeypatch.setattr(
        BryggaOIDCBackend, "get_userinfo", lambda self, a, i, p: {"email": email, "sub": "s"}
    )


def _complete_sign_in(client):
    start = client.get(reverse("oidc_authentication_init"))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    return client.get(reverse("oidc_authentication_callback"), {"code": "c", "state": state})


def test_idp_sign_in_still_asks_for_the_second_factor(oidc, no_idp, monkeypatch, client, world):
    """The IdP authenticates; the roles' second factor is still asked for before any page of
    the municipality opens."""
    user = world.users["coordinator"]
    _idp_answers(monkeypatch, user.email)
    response = _complete_sign_in(client)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    page = client.get(reverse("core:municipality_detail", kwargs={"code": "2281"}))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("account:otp_verify"))


def test_idp_sign_in_creates_no_account(oidc, no_idp, monkeypatch, client, world):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.count()
    _idp_answers(monkeypatch, "stranger@example.invalid")
    response = _complete_sign_in(client)
    assert urlsplit(response["Location"]).path == "/"
    assert get_user_model().objects.count() == users
    assert "_auth_user_id" not in client.session


def test_idp_sign_in_of_a_deactivated_account_is_refused(oidc, no_idp, monkeypatch, client, world):
    user = world.users["viewer"]
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    _idp_answers(monkeypatch, user.email)
    _complete_sign_in(client)
    assert "_auth_user_id" not in client.session


def test_oidc_sign_out_is_post_only(oidc, client, world):
    login(client, world.users["viewer"])
    assert client.get(reverse("oidc_logout")).status_code == 405
    assert _signed_in(client)
    response = client.post(reverse("oidc_logout"))
    assert response.status_code == 302
    assert not _signed_in(client)
