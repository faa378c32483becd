"""Request-level protections shared by the whole site.

- ``client_ip``: the client's address, read through the trusted reverse proxies
  (``BRYGGA_TRUSTED_PROXIES``). The one function for login throttling (django-axes'
  ``AXES_CLIENT_IP_CALLABLE``), the Open311 per-address rate limit and anything else that needs
  the address.
- ``LockoutBackend`` and ``refused_while_locked``: a sign-in that django-axes refuses because the
  user name is already locked is marked on the request, so the audit trail can skip it (an
  attacker must not be able to make every attempt write a row and take the chain lock).
- ``NoStoreMiddleware``: ``Cache-Control: no-store, private`` on every response that may carry
  personal data.
"""

from __future__ import annotations

import ipaddress

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.utils.cache import patch_cache_control

_REFUSED = "brygga_refused_while_locked"


def _address(value: str) -> str:
    """``value`` as a normalised IP address, or "" if it is none. Accepts what proxies write:
    ``1.2.3.4``, ``1.2.3.4:5678``, ``2001:db8::1``, ``[2001:db8::1]:443``."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # IPv4 with a port (an IPv6 address has at least two colons)
        value = value.partition(":")[0]
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return ""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def client_ip(request) -> str:
    """The address of the client that sent ``request``.

    With ``BRYGGA_TRUSTED_PROXIES = 0`` (the default) it is ``REMOTE_ADDR`` and
    ``X-Forwarded-For`` is ignored, so a client cannot choose its own address. With ``n``
    proxies in front, each adding the address it received the request from to the right of
    ``X-Forwarded-For``, the ``n``-th entry from the right is the address the outermost proxy
    saw: entries further left are whatever the client sent and are never read. If the header
    holds fewer than ``n`` entries (a proxy overwrote it rather than appending), the leftmost
    is used. A missing or malformed entry falls back to ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    remote = _address(remote) or remote
    proxies = settings.BRYGGA_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if not hops:
        return remote
    return _address(hops[-proxies] if len(hops) >= proxies else hops[0]) or remote


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock check (the first authentication backend), which also marks a sign-in
    it refuses because the user name is locked; see ``refused_while_locked``."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            return super().authenticate(request, username, password, **kwargs)
        except AxesBackendPermissionDenied:
            if request is not None:
                setattr(request, _REFUSED, True)
            raise


def refused_while_locked(request) -> bool:
    """Whether django-axes refused this sign-in without checking the password, because the
    user name was already locked for this client."""
    return bool(getattr(request, _REFUSED, False))


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every response to a signed-in user and on every
    API response, so neither the browser nor a shared cache keeps personal data. Static files
    never reach this middleware (WhiteNoise, placed before it, answers them); the check of
    ``STATIC_URL`` keeps it so if the order changes. Anonymous pages and the public Open311
    interface keep their own headers. Directives a view set (``never_cache``) are kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        if path.startswith(settings.STATIC_URL):
            return response
        user = getattr(request, "user", None)
        if path.startswith("/api/") or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True, private=True)
        return response
