"""Base settings for Brygga, read from the environment (django-environ).

Every value that differs between installations comes from an environment variable; see
docs/ADMIN.md for the full list. Defaults are safe for a developer's machine: SQLite in WAL
mode under ``var/``, DEBUG off unless asked for.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from brygga.audit.keys import development_keys as development_audit_keys

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent  # brygga/
BASE_DIR = PACKAGE_DIR.parent
# Data directory (SQLite database, collected static files). In a source checkout it is var/
# beside pyproject.toml; an installed package uses ./var unless BRYGGA_VAR_DIR says otherwise.
_default_var = BASE_DIR / "var" if (BASE_DIR / "pyproject.toml").exists() else Path.cwd() / "var"
VAR_DIR = Path(environ.Env().str("BRYGGA_VAR_DIR", default=str(_default_var)))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
# A development key only; production settings refuse to start without SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="brygga-development-key-not-for-production-use-0000")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "brygga.core",
    "brygga.audit",
    "brygga.incidents",
    "brygga.areastats",
    "brygga.surveys",
    "brygga.situation",
    "brygga.plans",
    "brygga.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "brygga.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "brygga.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "brygga.core.security.NoStoreMiddleware",  # no-store on personal data; after auth
    "django_otp.middleware.OTPMiddleware",
    "brygga.core.middleware.SessionLifetimeMiddleware",  # idle and absolute expiry
    "brygga.core.middleware.TwoFactorEnforcementMiddleware",
    "brygga.core.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "brygga.config.urls"
WSGI_APPLICATION = "brygga.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "brygga.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite (WAL, IMMEDIATE transactions) under var/ unless DATABASE_URL says otherwise.
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # database, uploads: service user only
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'brygga.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, grouping by every selected column (tenant tables' keys: brygga/core/db/base.py)
    DATABASES["default"]["ENGINE"] = "brygga.core.db"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Shared by every worker process and machine (API throttling counts live here). The default is
# a table in the database above, created by core's migration 0003; CACHE_URL may name another
# shared cache, e.g. redis://127.0.0.1:6379/1. Never a per-process memory cache in production.
CACHES = {
    "default": env.cache_url("CACHE_URL", default="dbcache://brygga_cache?max_entries=20000"),
}

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "brygga.core.security.LockoutBackend",  # django-axes' lock check, first
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "account:login"

# Session expiry (brygga.core.middleware.SessionLifetimeMiddleware): a session ends after
# SESSION_IDLE_SECONDS without activity, and SESSION_ABSOLUTE_SECONDS after sign-in whatever the
# activity; a page polling by itself (htmx) is not activity. The middleware ends the session (and
# the sign-in page says why); the session store only drops rows that are older than any session
# can be, and only activity saves a session.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
if SESSION_IDLE_SECONDS <= 0 or SESSION_ABSOLUTE_SECONDS <= 0:
    raise ImproperlyConfigured(
        "SESSION_IDLE_SECONDS and SESSION_ABSOLUTE_SECONDS must be positive numbers of seconds."
    )
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Login throttling (django-axes): lock a username from an address after repeated failures.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "account/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "token"]
# The client address, read through the trusted proxies (one function for the whole site).
AXES_CLIENT_IP_CALLABLE = "brygga.core.security.client_ip"

# Reverse proxies in front of Brygga, each appending to X-Forwarded-For (nginx on the same
# machine: 1). 0 ignores the header: the address is REMOTE_ADDR. See brygga/core/security.py.
BRYGGA_TRUSTED_PROXIES = env.int("BRYGGA_TRUSTED_PROXIES", default=0)
if BRYGGA_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("BRYGGA_TRUSTED_PROXIES must be 0 or the number of proxies.")

# Roles for which a TOTP second factor is required by default: every role that can read personal
# data, which today is every role (a member of an organisation, in any role, sees the incidents
# with personal data that the organisation reported; analysts also see unreviewed public tips;
# see brygga/incidents/access.py). Municipal administrators can switch it off per role in the UI
# (Administration → Säkerhet), except for roles that reach SSPF data or administer
# (case_worker, municipal_admin: brygga.core.access.otp_always_required) and for their own role.
BRYGGA_OTP_REQUIRED_ROLES_DEFAULT = [
    "viewer",
    "reporter",
    "analyst",
    "coordinator",
    "case_worker",
    "municipal_admin",
    "system_admin",
]
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Brygga")

# --- Optional OpenID Connect (off by default) --------------------------------------------------
OIDC_ENABLED = env.bool("OIDC_ENABLED", default=False)
if OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.insert(1, "brygga.core.oidc.BryggaOIDCBackend")
    OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
    OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT")
    OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
    # Users must exist (created by a coordinator) before they can sign in through the IdP.
    OIDC_CREATE_USER = env.bool("OIDC_CREATE_USER", default=False)
    OIDC_LOGIN_LABEL = env.str("OIDC_LOGIN_LABEL", default="Logga in med e-legitimation")

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
# Uploaded import files wait here for the worker (removed when the import finishes).
MEDIA_ROOT = VAR_DIR / "uploads"
MEDIA_URL = "/uploads/"  # never served: uploads are private and read only by the worker
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads may hold personal data: files 0600 and directories 0700, whatever the umask.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
WHITENOISE_USE_FINDERS = True

# --- Maps and the Content Security Policy (django-csp 4): no inline script or style -------
# The background map (docs/ADMIN.md, "Map tiles"). OpenStreetMap's standard tiles by default;
# MAP_TILE_URL set to the empty string turns the background off (no tile server is contacted).
OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_TILE_ATTRIBUTION = (
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap-bidragsgivare</a>'
)
MAP_TILE_URL = env.str("MAP_TILE_URL", default=OSM_TILE_URL).strip()
# HTML, shown in the map's corner; OpenStreetMap's only for OpenStreetMap's tiles.
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION", default=OSM_TILE_ATTRIBUTION if MAP_TILE_URL == OSM_TILE_URL else ""
)
# The highest zoom level the tile server has; Leaflet enlarges its tiles beyond it.
MAP_TILE_MAX_ZOOM = env.int("MAP_TILE_MAX_ZOOM", default=19)


def _tile_origin(url: str) -> list[str]:
    """The origin of a tile URL template, unless its host is templated ({s} subdomains)."""
    parts = urlsplit(url)
    if parts.scheme in ("https", "http") and parts.netloc and "{" not in parts.netloc:
        return [f"{parts.scheme}://{parts.netloc}"]
    return []


# Origins the browser may load tiles from (CSP img-src); by default MAP_TILE_URL's origin.
MAP_TILE_ORIGINS = env.list("MAP_TILE_ORIGINS", default=_tile_origin(MAP_TILE_URL))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *MAP_TILE_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["brygga.api.permissions.ResolverPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "brygga.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "brygga.api.throttling.UserThrottle",  # anonymous clients by client_ip
        "brygga.api.throttling.AnonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": "2000/hour", "anon": "200/hour"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Brygga API",
    "DESCRIPTION": "Brottsförebyggande samverkan: kommuner, områden, organisationer, forum.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["brygga.api.permissions.ResolverPermission"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # several models have a "status" choice set: name each one's enum in the schema
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "brygga.incidents.models.Status",
        "MeasureStatusEnum": "brygga.plans.models.MeasureStatus",
        "ActionItemStatusEnum": "brygga.plans.models.meetings.ActionItem.Status",
        "PromiseStatusEnum": "brygga.plans.models.PromiseStatus",
    },
}

# --- Background tasks (django-tasks; worker: `brygga worker`) -------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Logging: no personal data; request id on every line --------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "brygga.audit.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs every failed sign-in and lockout at WARNING with the user name as
        # typed (often a password in the wrong field) and the address. The audit trail records
        # them (the name only if it is an account, else a keyed fingerprint), so the journal
        # gets axes' errors only.
        "axes": {"level": "ERROR"},
    },
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Imports: largest accepted upload in MB (police events JSON; CSV/XLSX files).
BRYGGA_POLICE_UPLOAD_MAX_MB = env.int("BRYGGA_POLICE_UPLOAD_MAX_MB", default=50)
BRYGGA_AREA_UPLOAD_MAX_MB = env.int("BRYGGA_AREA_UPLOAD_MAX_MB", default=100)  # GIS files of areas
# The most events one police events file may hold (docs/ADMIN.md).
BRYGGA_POLICE_MAX_RECORDS = env.int("BRYGGA_POLICE_MAX_RECORDS", default=1_000_000)
BRYGGA_IMPORT_MAX_MB = env.int("BRYGGA_IMPORT_MAX_MB", default=200)
# An import job "running" (or "pending" without its task) unchanged for this many minutes is
# taken to be stuck (its worker died) and marked as failed; see
# brygga/incidents/imports/jobs.py.
BRYGGA_IMPORT_STALE_MINUTES = env.int("BRYGGA_IMPORT_STALE_MINUTES", default=30)
# An uploaded import file whose job has not changed for this many hours is removed (a file
# kept after a failed validation, or one whose columns were never chosen); see
# brygga/incidents/imports/storage.py.
BRYGGA_UPLOAD_RETENTION_HOURS = env.int("BRYGGA_UPLOAD_RETENTION_HOURS", default=24)

# Safety survey: a cell (an area, an age group, an area × question, …) with fewer respondents
# than this is suppressed on every page, export and API answer (brygga/surveys/selectors.py).
BRYGGA_SURVEY_MIN_CELL = env.int("BRYGGA_SURVEY_MIN_CELL", default=30)
if BRYGGA_SURVEY_MIN_CELL < 1:
    raise ImproperlyConfigured("BRYGGA_SURVEY_MIN_CELL must be at least 1.")

# E-mail (the weekly digest of the safety groups, brygga/situation/digest.py): EMAIL_URL in
# django-environ's form, e.g. smtp+tls://user:password@mail.example.se:587; without it the
# messages are written to the log (console backend). Links in e-mails start with
# BRYGGA_BASE_URL (e.g. https://brygga.sundsvall.se).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="brygga@localhost")
BRYGGA_BASE_URL = env.str("BRYGGA_BASE_URL", default="")

# Lägesbild: in a report published for the council or the public, every count under this is
# shown as "<5", with complementary suppression (brygga/situation/audiences.py).
BRYGGA_SITUATION_MIN_COUNT = env.int("BRYGGA_SITUATION_MIN_COUNT", default=5)
if BRYGGA_SITUATION_MIN_COUNT < 1:
    raise ImproperlyConfigured("BRYGGA_SITUATION_MIN_COUNT must be at least 1.")

# The forums' action items: the owner gets one e-mail this many days before an open item is due
# (brygga plans-reminders, brygga/plans/tasks.py).
BRYGGA_ACTION_ITEM_REMINDER_DAYS = env.int("BRYGGA_ACTION_ITEM_REMINDER_DAYS", default=3)
if BRYGGA_ACTION_ITEM_REMINDER_DAYS < 0:
    raise ImproperlyConfigured("BRYGGA_ACTION_ITEM_REMINDER_DAYS cannot be negative.")

# Audit trail: the HMAC keys of its hash chain, "id:base64key" pairs separated by commas; the
# first signs new rows, the others verify the rows they signed (docs/ADMIN.md). Without the
# variable a development key derived from SECRET_KEY is used; the production settings refuse to
# start without it.
BRYGGA_AUDIT_KEYS = env.str("BRYGGA_AUDIT_KEYS", default="") or development_audit_keys(SECRET_KEY)
# Let Django's flush empty the audit table (the test runner does, between transactional tests);
# never from the environment: see brygga/audit/protection.py.
BRYGGA_AUDIT_ALLOW_FLUSH = False

# True only in the production settings: `brygga demo` refuses to run there.
BRYGGA_PRODUCTION = False

# Demo and map defaults
BRYGGA_DEMO_PASSWORD = env.str("BRYGGA_DEMO_PASSWORD", default="brygga-demo-2026")
