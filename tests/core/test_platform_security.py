"""Platform protections (issue #10, items 7 and 11): the client address behind trusted proxies
for the login lock-out, no audit row per attempt on a locked user name, no-store on personal
data, and a cache shared by every worker process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory, override_settings

from brygga.audit.models import AuditEvent, ChainHead
from brygga.core.security import client_ip

from ..conftest import PASSWORD

LOGIN = "/konto/logga-in/"
PROXY = "127.0.0.1"  # nginx on the same machine


def _request(remote: str = "203.0.113.5", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


# --- client_ip ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "proxies, remote, forwarded, expected",
    [
        # no trusted proxy: the header is ignored, whatever it says
        (0, "203.0.113.5", "198.51.100.7", "203.0.113.5"),
        (0, "203.0.113.5", None, "203.0.113.5"),
        # nginx on the same machine, overwriting (the deploy example) or appending
        (1, PROXY, "198.51.100.7", "198.51.100.7"),
        (1, PROXY, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own value is skipped
        (1, PROXY, " 6.6.6.6 ,198.51.100.7 ", "198.51.100.7"),
        # a load balancer in front of nginx, both appending
        (2, PROXY, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        # fewer entries than proxies (one overwrote): the leftmost
        (2, PROXY, "198.51.100.7", "198.51.100.7"),
        # forms proxies write
        (1, PROXY, "198.51.100.7:51234", "198.51.100.7"),
        (1, PROXY, "[2001:db8::7]:443", "2001:db8::7"),
        (1, PROXY, "2001:DB8:0::7", "2001:db8::7"),
        (1, PROXY, "::ffff:198.51.100.7", "198.51.100.7"),
        # missing or malformed: the direct peer
        (1, PROXY, None, PROXY),
        (1, PROXY, "", PROXY),
        (1, PROXY, "unknown", PROXY),
        (1, PROXY, "<script>", PROXY),
    ],
)
def test_client_ip_reads_only_what_trusted_proxies_wrote(
    settings, proxies, remote, forwarded, expected
):
    settings.BRYGGA_TRUSTED_PROXIES = proxies
    assert client_ip(_request(remote, forwarded)) == expected


def test_login_throttling_uses_client_ip(settings):
    from axes.helpers import get_client_ip_address

    settings.BRYGGA_TRUSTED_PROXIES = 1
    assert settings.AXES_CLIENT_IP_CALLABLE == "brygga.core.security.client_ip"
    assert get_client_ip_address(_request(PROXY, "198.51.100.7")) == "198.51.100.7"


def test_negative_proxy_count_is_refused(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    from brygga.config.settings import base

    monkeypatch.setenv("BRYGGA_TRUSTED_PROXIES", "-1")
    with pytest.raises(ImproperlyConfigured, match="BRYGGA_TRUSTED_PROXIES"):
        importlib.reload(base)
    monkeypatch.delenv("BRYGGA_TRUSTED_PROXIES")
    importlib.reload(base)


def _configured_throttle(scope: str):
    from django.utils.module_loading import import_string

    for path in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]:
        cls = import_string(path)
        if cls.scope == scope:
            return cls
    raise AssertionError(f"no {scope} throttle")


@pytest.mark.parametrize("proxies", [0, 1])
def test_api_throttle_counts_the_client_not_a_forged_header(settings, proxies):
    """Django REST framework's default trusts the whole X-Forwarded-For header, so a client
    that changed it on every request would never be throttled."""
    from django.core.cache import cache
    from rest_framework.request import Request

    settings.BRYGGA_TRUSTED_PROXIES = proxies
    cache.clear()
    two_a_minute = type("Two", (_configured_throttle("anon"),), {"rate": "2/minute"})
    allowed = [
        two_a_minute().allow_request(Request(_request(PROXY, f"6.6.6.{n}, 198.51.100.7")), None)
        for n in range(3)
    ]
    assert allowed == [True, True, False]
    # the cache key holds no address
    ident = two_a_minute().get_ident(Request(_request(PROXY, "198.51.100.7")))
    assert "198.51.100" not in ident and PROXY not in ident


# --- the lock-out behind a proxy ------------------------------------------------------------
def _attempt(client: Client, password: str, forwarded: str | None, username="municipal_admin"):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_wrong_passwords_from_one_client_do_not_lock_out_the_others(settings, world):
    """Behind nginx every request comes from 127.0.0.1: five wrong passwords from one client
    must lock that client only, not the municipal administrator everywhere."""
    settings.BRYGGA_TRUSTED_PROXIES = 1
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(attacker, "wrong", "198.51.100.66")
    assert _attempt(attacker, PASSWORD, "198.51.100.66").status_code == 429
    # the administrator, at her own address behind the same proxy, signs in
    assert _attempt(Client(), PASSWORD, "203.0.113.20").status_code == 302


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_header_does_not_escape_the_lock(settings, world):
    settings.BRYGGA_TRUSTED_PROXIES = 0
    c = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt(c, "wrong", f"198.51.100.{n}")
    assert _attempt(c, PASSWORD, "198.51.100.250").status_code == 429


@pytest.mark.django_db
def test_attempts_on_a_locked_user_name_write_no_audit_row_each(settings, world):
    """Once locked, further attempts are refused unchecked. They must not each append to the
    audit chain (a row and the chain lock per request would let anyone flood the trail)."""
    c = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(c, "wrong", None)
    failed = AuditEvent.objects.filter(kind="login_failed")
    assert failed.count() == settings.AXES_FAILURE_LIMIT  # the attempts that locked it
    before, head = AuditEvent.objects.count(), ChainHead.objects.get(id=0).seq  # sign-ins: chain 0
    for n in range(50):
        r = _attempt(c, PASSWORD if n % 10 == 0 else "wrong", None)
        assert r.status_code == 429
    assert AuditEvent.objects.count() - before <= 1
    assert ChainHead.objects.get(id=0).seq - head <= 1
    # a different user name from the same client is not locked and is still audited
    _attempt(c, "wrong", None, username="viewer")
    assert failed.filter(object_repr="viewer").count() == 1


# --- no-store -------------------------------------------------------------------------------
def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.mark.django_db
def test_pages_api_and_exports_for_signed_in_users_are_not_stored(world, client_for):
    coordinator = client_for("coordinator")
    page = coordinator.get("/kommuner/2281/")
    assert page.status_code == 200 and _no_store(page)
    api = coordinator.get("/api/v1/areas/")
    assert api.status_code == 200 and _no_store(api)
    export = coordinator.get("/kommuner/2281/handelser/export/csv/")
    assert export.status_code == 200 and _no_store(export)
    # a redirect to the second factor, too (the user is signed in, not yet verified)
    half = Client()
    half.force_login(world.users["coordinator"])
    assert _no_store(half.get("/kommuner/2281/"))


@pytest.mark.django_db
def test_api_answers_to_anonymous_clients_are_not_stored(world):
    r = Client().get("/api/v1/areas/")
    assert r.status_code == 403 and _no_store(r)


@pytest.mark.django_db
def test_static_files_keep_their_cache_headers(world, client_for):
    static = client_for("coordinator").get(settings.STATIC_URL + "brygga/map.js")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
    assert "public" in static.get("Cache-Control", "")  # WhiteNoise's own header


# --- the shared cache -----------------------------------------------------------------------
def test_base_settings_share_the_cache_through_the_database():
    from brygga.config.settings import base

    assert base.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert base.CACHES["default"]["LOCATION"] == "brygga_cache"


@pytest.mark.django_db
def test_migration_creates_the_cache_table_and_throttling_uses_it(world, client_for):
    """``brygga migrate`` creates the database cache's table (Django makes it only with
    ``createcachetable``), and the API throttle's counts land in it, where every worker process
    reads them."""
    import importlib

    migration = importlib.import_module("brygga.core.migrations.0003_cache_table")
    table = "brygga_cache_test"
    db_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table}
    with override_settings(CACHES={"default": db_cache}):
        assert table not in connection.introspection.table_names()
        editor = SimpleNamespace(connection=connection)  # all the migration reads of it
        migration.create_cache_tables(None, editor)
        assert table in connection.introspection.table_names()
        migration.create_cache_tables(None, editor)  # a second run finds the table
        assert client_for("coordinator").get("/api/v1/areas/").status_code == 200
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT cache_key FROM {table}")  # noqa: S608 - a constant
            keys = [row[0] for row in cursor.fetchall()]
        assert any("throttle_user_" in k for k in keys)
