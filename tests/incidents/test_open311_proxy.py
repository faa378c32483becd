"""Open311 behind a reverse proxy: the per-client limit counts each client, not the proxy, and
the public lists keep their cache headers (no no-store on them)."""

from __future__ import annotations

import pytest
from django.test import Client

from brygga.incidents.models import Open311Submission
from brygga.incidents.open311 import services as open311

from .factories import field_key, tip
from .georeport import BASE

pytestmark = pytest.mark.django_db
PROXY = "127.0.0.1"  # nginx on the same machine


def _post(client: Client, data: dict, forwarded: str):
    return client.post(
        f"{BASE}/requests.json", data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
    )


def test_client_limit_counts_the_client_behind_the_proxy(settings, world, client):
    settings.BRYGGA_TRUSTED_PROXIES = 1
    _k, secret = field_key(world)
    for _ in range(open311.CLIENT_LIMIT):
        assert _post(client, tip(secret), "198.51.100.7").status_code == 201
    assert _post(client, tip(secret), "198.51.100.7").status_code == 429
    # another member of the public, through the same proxy, is not refused
    assert _post(client, tip(secret), "203.0.113.9").status_code == 201
    assert Open311Submission.objects.filter(
        client_hash=open311.client_hash("198.51.100.7")
    ).exists()
    assert not Open311Submission.objects.filter(client_hash=open311.client_hash(PROXY)).exists()


def test_without_trusted_proxies_a_forged_header_is_ignored(settings, world, client):
    settings.BRYGGA_TRUSTED_PROXIES = 0
    _k, secret = field_key(world)
    for n in range(open311.CLIENT_LIMIT):
        _post(client, tip(secret), f"198.51.100.{n}")
    assert _post(client, tip(secret), "198.51.100.200").status_code == 429


@pytest.mark.parametrize("path", ["services.json", "requests.json", "requests.xml"])
def test_public_lists_are_not_marked_no_store(world, client, path):
    field_key(world)
    r = client.get(f"{BASE}/{path}")
    assert r.status_code == 200
    assert "no-store" not in r.get("Cache-Control", "")
