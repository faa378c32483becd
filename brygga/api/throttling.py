"""API throttles that identify an anonymous client by ``core.security.client_ip``.

Django REST framework's own ``get_ident`` trusts the whole ``X-Forwarded-For`` header unless
``NUM_PROXIES`` is set, so a client could name itself anything and start a fresh count with
every request. Here the address is read as everywhere else in Brygga (through
``BRYGGA_TRUSTED_PROXIES``) and kept in the cache only as a keyed hash. The counts live in the
shared cache (``CACHES``), so every worker process and machine sees the same ones.
"""

from django.utils.crypto import salted_hmac
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from brygga.core.security import client_ip


class _ClientIdent:
    def get_ident(self, request) -> str:
        return salted_hmac("brygga.api.throttle", client_ip(request)).hexdigest()[:32]


class AnonThrottle(_ClientIdent, AnonRateThrottle):
    pass


class UserThrottle(_ClientIdent, UserRateThrottle):
    pass
