"""Production settings: everything from the environment, HTTPS only, strict headers.

`brygga check --deploy` reports no issues with these settings (tested in CI).
"""

import os

from django.core.exceptions import ImproperlyConfigured

# Checked before the base settings run: they create the data directory, and without this
# variable an installed Brygga would create a new database wherever the command was started.
if not os.environ.get("BRYGGA_VAR_DIR", "").strip():
    raise ImproperlyConfigured(
        "BRYGGA_VAR_DIR must be set to the data directory (e.g. /srv/brygga/var) in production."
    )
# systemd's EnvironmentFile= keeps a trailing "# comment" as part of the value.
for _name in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "BRYGGA_VAR_DIR", "BRYGGA_AUDIT_KEYS"):
    if any(mark in os.environ.get(_name, "") for mark in (" #", "\t#")):
        raise ImproperlyConfigured(
            f"The value of {_name} contains a comment. Put comments in the environment file "
            "on lines of their own."
        )

from brygga.audit.keys import GENERATE_HINT, parse_keys  # noqa: E402

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = False
BRYGGA_PRODUCTION = True  # e.g. `brygga demo` (published passwords) refuses to run
SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("brygga-development-key"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters in production."
    )
# The audit chain's keys live outside the database, so they must be given here; the development
# key that the base settings derive from SECRET_KEY is not used.
BRYGGA_AUDIT_KEYS = env.str("BRYGGA_AUDIT_KEYS", default="").strip()
if not BRYGGA_AUDIT_KEYS or BRYGGA_AUDIT_KEYS.startswith("REPLACE-"):  # deploy/env.example's
    raise ImproperlyConfigured(
        "BRYGGA_AUDIT_KEYS must be set in production: the secret key(s) of the audit trail's "
        "hash chain, as KEY-ID:BASE64-KEY (several separated by commas, the newest first). "
        f"{GENERATE_HINT} Keep a copy outside the server: without it the audit trail cannot be "
        "verified."
    )
parse_keys(BRYGGA_AUDIT_KEYS)  # a malformed value stops here with its reason
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
