"""Settings for Spectrum Sync, all read from the environment in this one file.

Zero configuration gives a development setup (SQLite and kombu's filesystem broker under
``var/``); ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to PostgreSQL and Redis. Every
variable is listed in ``.env.example``. A bad value stops start-up with an
``ImproperlyConfigured`` error that names the variable.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from connectors.spectrum.config import DEMO_DRIVER, ODBC_DRIVERS, ODBC_OPTION_KEYS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SPECTRUM_SYNC_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)

from spectrum_sync.envvars import env_bool, env_int, env_list, env_str, env_url  # noqa: E402 (after .env is read)

# Off unless asked for: a deployment that forgets the variable must not run with the public
# development key and tracebacks. `make run` and the tests turn it on for themselves.
DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET_KEY = "dev-only-not-secret-spectrum-sync-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (refused when DEBUG is off)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false (DJANGO_DEBUG defaults to false; "
        "set DJANGO_DEBUG=true for development only)"
    )
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must not be the development key in production")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is false")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Public base URL of this service, used for links in emails and status URLs.
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", ("http", "https")).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "spectrum_sync",
    "spectrum_sync.notifications",
    "mappings",
    "linking",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "spectrum_sync.urls"
WSGI_APPLICATION = "spectrum_sync.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

try:
    DATABASES = {
        "default": env.db_url_config(
            env_url(
                "DATABASE_URL", f"sqlite:///{VAR_DIR / 'spectrum_sync.sqlite3'}", ("sqlite", "postgres", "postgresql")
            )
        )
    }
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serves `make run` only; WAL lets the web process read while a worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
_test_db_name = os.environ.get("TEST_DATABASE_NAME")
if _test_db_name:
    DATABASES["default"]["TEST"] = {"NAME": _test_db_name}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Login brute-force protection (django-axes) --------------------------------------------------
# AXES_FAILURE_LIMIT wrong passwords for one user name from one address lock that combination out
# for AXES_COOLOFF_MINUTES (0: until unlocked with `manage.py axes_reset_username <user>` or
# `axes_reset_ip <address>`); a right password while locked is refused too.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
_axes_cooloff = env_int("AXES_COOLOFF_MINUTES", 30, minimum=0)
AXES_COOLOFF_TIME = timedelta(minutes=_axes_cooloff) if _axes_cooloff else None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a successful login clears the user's earlier failures
AXES_VERBOSE = False  # no banner at every start; failures and lockouts are still logged

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE is not a known time zone: {TIME_ZONE!r}") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))

# --- Secrets at rest -----------------------------------------------------------------------------
# Comma-separated Fernet keys; the first encrypts, all decrypt. Rotate by putting a new key first
# and running `manage.py rotate_encryption_keys`, then drop the old key.


def _dev_fernet_key(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(("fields:" + secret).encode()).digest()).decode()


FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [_dev_fernet_key(SECRET_KEY)] if DEBUG else [])
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is false "
        "(generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    )
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        if len(base64.urlsafe_b64decode(_key.encode())) != 32:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS contains a value that is not a 32-byte url-safe base64 Fernet key"
        ) from None

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", "filesystem://", ("filesystem", "redis", "rediss", "amqp", "memory"))
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # exchange tables (kombu's default: ./control)
        "store_processed": False,
    }
else:
    # Longer than any task may run (see CELERY_TASK_TIME_LIMIT), so Redis never hands a running
    # task to a second worker; long waits live in the database, not in ETA messages.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7200, minimum=60),
        # After a failover, or a firewall forgetting a connection, a socket can stay open with
        # nobody behind it. kombu drops a consumer connection whose BRPOP reply is this many
        # seconds overdue (and redis-py pings a connection idle this long before using it) ...
        "health_check_interval": env_int("CELERY_BROKER_HEALTH_CHECK_INTERVAL", 10, minimum=1),
        # ... and no command waits longer than this for its reply: a publish from a web request,
        # or the worker's own heartbeat, which blocks the worker's whole loop while it waits.
        "socket_timeout": env_int("CELERY_BROKER_SOCKET_TIMEOUT", 10, minimum=2),
        "socket_connect_timeout": env_int("CELERY_BROKER_CONNECT_TIMEOUT", 10, minimum=1),
        "socket_keepalive": True,
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A message whose worker process died (crash, out-of-memory kill) is sent again with a retry count,
# at most ``max_retries`` times (3 unless the task says otherwise), WORKER_LOST_RETRY_DELAY seconds
# apart; after that it is dropped and logged instead of crashing workers forever (a poison
# message). Exports are then set aside as failed, with the reason, for the accountant to see
# (spectrum_sync/tasks.py, export_set_aside). Tasks that retry on purpose pass their own countdown.
CELERY_TASK_RETRY_ON_WORKER_LOST = True
CELERY_TASK_ANNOTATIONS = {"*": {"default_retry_delay": env_int("WORKER_LOST_RETRY_DELAY", 10, minimum=1)}}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 900, minimum=10)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1200, minimum=10)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 400_000, minimum=50_000)
CELERY_TASK_DEFAULT_QUEUE = "exports"
# django-celery-beat's database scheduler, plus a heartbeat that `manage.py check_beat` reads.
CELERY_BEAT_SCHEDULER = "spectrum_sync.beat:HeartbeatScheduler"
# Beat writes its heartbeat at most this often; check_beat fails when it is older than OVERDUE.
BEAT_HEARTBEAT_SECONDS = env_int("BEAT_HEARTBEAT_SECONDS", 30, minimum=1)
BEAT_OVERDUE_SECONDS = env_int("BEAT_OVERDUE_SECONDS", 180, minimum=10)
# How often late polls are looked for (no call to Spectrum; the full connection check stays daily).
LATE_POLL_CHECK_SECONDS = env_int("LATE_POLL_CHECK_SECONDS", 300, minimum=60)
CELERY_TIMEZONE = "UTC"
# A handful of static entries, whatever the number of tenants: per-tenant cadence lives in the
# PollSchedule table, read by the one dispatcher. The database
# scheduler copies these rows into its table at start.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # A tick that waited longer than a minute is useless: the next one does the same work.
    "dispatch-polls": {"task": "spectrum_sync.tasks.dispatch_polls", "schedule": 60.0, "options": {"expires": 55}},
    "sweep-exports": {"task": "spectrum_sync.tasks.sweep_exports", "schedule": 60.0, "options": {"expires": 55}},
    # Exports held for a closed Spectrum period are tried again once a day (and after each poll).
    "export-release-periods": {
        "task": "spectrum_sync.tasks.export_release_periods",
        "schedule": crontab(minute=45, hour=5),
    },
    "notify-sweep": {"task": "spectrum_sync.tasks.notify_sweep", "schedule": 300.0},
    "notify-digests": {"task": "spectrum_sync.tasks.notify_digests", "schedule": crontab(minute=5)},
    # Approvers: what waits for approval, once a day from each tenant's digest hour (notifications/approvals.py).
    "notify-approval-digests": {"task": "spectrum_sync.tasks.notify_approval_digests", "schedule": crontab(minute=10)},
    "notify-health-checks": {
        "task": "spectrum_sync.tasks.notify_health_checks",
        "schedule": crontab(minute=30, hour=5),
    },
    "notify-prune": {"task": "spectrum_sync.tasks.notify_prune", "schedule": crontab(minute=15, hour=4)},
    "notify-late-polls": {
        "task": "spectrum_sync.tasks.notify_late_polls",
        "schedule": float(LATE_POLL_CHECK_SECONDS),
        "options": {"expires": LATE_POLL_CHECK_SECONDS - 10},
    },
    # The 1st at 12:00 UTC, already the 1st in every tenant's time zone: the previous month's reconciliation.
    "notify-reconciliations": {
        "task": "spectrum_sync.tasks.notify_reconciliations",
        "schedule": crontab(minute=0, hour=12, day_of_month=1),
    },
}
# Task modules outside the apps' tasks.py (spectrum_sync/reconciliation/tasks.py).
CELERY_IMPORTS = ("spectrum_sync.reconciliation.tasks",)

# --- Worker liveness (spectrum_sync/liveness.py) --------------------------------------------------
# Each worker sends itself a canary task every INTERVAL seconds; one that waited TIMEOUT seconds
# while the worker had a free slot means it stopped consuming, and it restarts itself. A restart
# still not done RESTART_GRACE seconds after its last running task ended becomes an exit, code 70.
WORKER_LIVENESS_ENABLED = env_bool("WORKER_LIVENESS_ENABLED", True)
WORKER_LIVENESS_INTERVAL = env_int("WORKER_LIVENESS_INTERVAL", 30, minimum=1)
WORKER_LIVENESS_TIMEOUT = env_int("WORKER_LIVENESS_TIMEOUT", 90, minimum=2)
WORKER_LIVENESS_RESTART_GRACE = env_int("WORKER_LIVENESS_RESTART_GRACE", 30, minimum=1)
if WORKER_LIVENESS_TIMEOUT < 2 * WORKER_LIVENESS_INTERVAL:
    raise ImproperlyConfigured(
        "WORKER_LIVENESS_TIMEOUT must be at least twice WORKER_LIVENESS_INTERVAL "
        f"(got {WORKER_LIVENESS_TIMEOUT} and {WORKER_LIVENESS_INTERVAL})"
    )

# --- Exports ----------------------------------------------------------------------------------------
# A worker owns a record it is sending for this long; after that the sweeper reconciles it.
EXPORT_LEASE_SECONDS = env_int("EXPORT_LEASE_SECONDS", 120, minimum=1)
# Tries for transient faults before the record fails with the last error.
EXPORT_MAX_ATTEMPTS = env_int("EXPORT_MAX_ATTEMPTS", 8, minimum=1)
EXPORT_BACKOFF_BASE_SECONDS = env_int("EXPORT_BACKOFF_BASE_SECONDS", 2, minimum=1)
EXPORT_BACKOFF_CAP_SECONDS = env_int("EXPORT_BACKOFF_CAP_SECONDS", 900, minimum=1)
# A pending record untouched this long is re-enqueued by the sweeper (its message was lost).
EXPORT_STALE_SECONDS = env_int("EXPORT_STALE_SECONDS", 30, minimum=1)
# Read-back keeps looking for a document Spectrum accepted this long before flagging it (readback.py).
EXPORT_CONFIRM_SECONDS = env_int("EXPORT_CONFIRM_SECONDS", 600, minimum=10)
# A record whose worker stopped this many claims in a row (crash, kill) is set aside as failed.
EXPORT_WORKER_LOSS_LIMIT = env_int("EXPORT_WORKER_LOSS_LIMIT", 3, minimum=1)
# A poll that would delete more than max(LIMIT, PERCENT % of the records known of that type) holds
# the deletions for implementation staff to confirm (spectrum_sync/imports/deletions.py).
IMPORT_DELETION_LIMIT = env_int("IMPORT_DELETION_LIMIT", 50, minimum=0)
IMPORT_DELETION_LIMIT_PERCENT = env_int("IMPORT_DELETION_LIMIT_PERCENT", 5, minimum=0, maximum=100)

# --- Imports ----------------------------------------------------------------------------------------
# How long a poll's lease lasts before another may take over (a dead poll delays, never blocks).
POLL_LEASE_SECONDS = env_int("POLL_LEASE_SECONDS", 300, minimum=30)
# How long a dispatched-but-never-started poll waits before the dispatcher sends it again.
POLL_DISPATCH_LEASE_SECONDS = env_int("POLL_DISPATCH_LEASE_SECONDS", 900, minimum=60)

# --- Notifications -------------------------------------------------------------------------------
NOTIFY_ESCALATION_FAILURES = env_int("NOTIFY_ESCALATION_FAILURES", 5, minimum=1)
NOTIFY_ESCALATION_WINDOW_MINUTES = env_int("NOTIFY_ESCALATION_WINDOW_MINUTES", 60, minimum=1)
NOTIFY_DIGEST_HOUR = env_int("NOTIFY_DIGEST_HOUR", 7, minimum=0, maximum=23)
NOTIFY_SECRET_ROTATE_DAYS = env_int("NOTIFY_SECRET_ROTATE_DAYS", 5, minimum=1)
NOTIFY_KEEP_DAYS = env_int("NOTIFY_KEEP_DAYS", 90, minimum=1)

# --- Outbound HTTP -------------------------------------------------------------------------------
HTTP_CONNECT_TIMEOUT = env_int("HTTP_CONNECT_TIMEOUT", 5, minimum=1)
HTTP_READ_TIMEOUT = env_int("HTTP_READ_TIMEOUT", 60, minimum=1)
# Seconds from sending a request to the last byte of its reply: the read timeout bounds each read,
# not the reply, so a reply dripping in a byte at a time would hold a worker for ever. Keep it above
# HTTP_READ_TIMEOUT (time to the first byte) and below EXPORT_LEASE_SECONDS (so a held worker gives
# up before another may take its document over). A streamed Spectrum Get must instead keep up a
# minimum pace, with this much slack (connectors/deadline.py), so a big healthy reply is not cut.
SPECTRUM_REPLY_DEADLINE = env_int("SPECTRUM_REPLY_DEADLINE", 90, minimum=1)
PLATFORM_REPLY_DEADLINE = env_int("PLATFORM_REPLY_DEADLINE", 90, minimum=1)
# Where Spectrum and platform requests may go (connectors/outbound.py). With DEBUG off the operator
# must name the hosts (OUTBOUND_ALLOWED_HOSTS) or the networks in CIDR (OUTBOUND_ALLOWED_NETWORKS,
# e.g. an on-premise Spectrum server's 10.20.0.0/16); private addresses are reached only that way.
OUTBOUND_ALLOWED_HOSTS = env_list("OUTBOUND_ALLOWED_HOSTS", [])
# The demo's platform simulator (`make run` sets it): a tenant saved with a platform URL under it is
# registered there with its signing secret. Empty (the default): nothing is ever registered.
PLATFORM_SIMULATOR_URL = env_str("PLATFORM_SIMULATOR_URL", "").rstrip("/")
OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS", [])
for _network in OUTBOUND_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_NETWORKS: {_network!r} is not a network in CIDR") from None
# Loopback, link-local and cloud metadata addresses: only on a development machine. Taken from
# DEBUG here, once, because the test runner turns settings.DEBUG off while the simulators it
# starts are on loopback.
OUTBOUND_ALLOW_LOCAL = DEBUG
# The ODBC driver names a Spectrum database connection may use (unixODBC loads the driver's library
# into the worker, so never a path) and the extra connection-string options it may set. The demo's
# SQLite reader ("sqlite3") is added in development only.
SPECTRUM_ODBC_DRIVERS = env_list("SPECTRUM_ODBC_DRIVERS", list(ODBC_DRIVERS)) + ([DEMO_DRIVER] if DEBUG else [])
SPECTRUM_ODBC_OPTION_KEYS = env_list("SPECTRUM_ODBC_OPTION_KEYS", list(ODBC_OPTION_KEYS))

# --- Email ---------------------------------------------------------------------------------------
# In development each email is written to a file under var/mail/ (one file per message), so the
# demo's log stays readable; production sends through SMTP.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Spectrum Sync <spectrum-sync@localhost>")

# --- REST API ------------------------------------------------------------------------------------
# The cache holds the API's per-tenant request counts (and nothing that must survive): one
# process's memory by default; in production a Redis shared by the web processes, e.g.
# redis://host:6379/1 (not the broker's database: a cache may evict, the broker must not).
try:
    CACHES = {"default": env.cache_url_config(env_str("CACHE_URL", "locmemcache://"))}
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"CACHE_URL is not a valid cache URL: {exc}") from None

# Requests per tenant (its API key) and period, e.g. "600/min": over it the API answers 429 with
# Retry-After. Counted in the cache (CACHE_URL), so every web process shares one count per tenant.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/min")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", API_THROTTLE_RATE):
    raise ImproperlyConfigured(f"API_THROTTLE_RATE must look like 600/min (per s, min, hour, day): {API_THROTTLE_RATE}")
# Inbound documents: the largest JSON body, and the most lines (phases for a job) and custom fields
# one document may carry. Each line is at least one Spectrum call on one worker.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 4_194_304, minimum=1024)
API_MAX_LINES = env_int("API_MAX_LINES", 999, minimum=1, maximum=9999)
API_MAX_CUSTOM_FIELDS = env_int("API_MAX_CUSTOM_FIELDS", 50, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, read with a size and nesting limit; never multipart (DRF writes uploads to disk).
    "DEFAULT_PARSER_CLASSES": ["spectrum_sync.api.parsers.BoundedJSONParser"],
    # The tenant's API key only: DRF's default Basic authentication would turn every API page into
    # a password oracle for the admin's logins.
    "DEFAULT_AUTHENTICATION_CLASSES": ["spectrum_sync.api.auth.TenantAPIKeyAuthentication"],
    "DEFAULT_THROTTLE_CLASSES": ["spectrum_sync.api.throttling.TenantRateThrottle"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Spectrum Sync API",
    "DESCRIPTION": "Documents the operations platform sends to Spectrum, and their status.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs pages load Swagger UI and Redoc from the sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A sync record's status (every status, awaiting_approval and rejected included) by its own name.
    "ENUM_NAME_OVERRIDES": {"SyncStatusEnum": "spectrum_sync.models.ledger.SyncStatus.choices"},
}

# --- Security ------------------------------------------------------------------------------------
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page: scripts only from this origin (the admin's, the sidecar's Swagger UI and Redoc, all
# served as static files), nothing framed, no plugins. Inline styles stay allowed: the admin's
# templates, Swagger UI and Redoc set them, and they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],  # Redoc's search runs in a worker made from a blob
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    # Subdomains and browsers' preload lists bind every host of the domain, for months, and are hard
    # to undo: only when asked for (Django's deploy check warns about them otherwise, on purpose).
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if SECURE_HSTS_PRELOAD and not (SECURE_HSTS_INCLUDE_SUBDOMAINS and SECURE_HSTS_SECONDS >= 31_536_000):
        raise ImproperlyConfigured(
            "SECURE_HSTS_PRELOAD needs SECURE_HSTS_INCLUDE_SUBDOMAINS=true and SECURE_HSTS_SECONDS of a year or more"
        )
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
    if env_bool("USE_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging -------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line is masked (message, arguments, traceback); Celery's worker and beat put the same
    # on the handlers they set up themselves (spectrum_sync/celery.py).
    "filters": {"redact": {"()": "connectors.redaction.RedactingFilter"}},
    "formatters": {
        "plain": {
            "()": "connectors.redaction.RedactingFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # zeep logs whole envelopes (with the Authorization_ID) at DEBUG.
        "zeep.transports": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
    },
}
