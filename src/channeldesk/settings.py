"""Settings, read from the environment.

Every value has a safe default for the embedded case: with no DATABASE_URL the data lives in a
SQLite file under var/ (WAL journal, IMMEDIATE transactions so writers queue instead of failing).
Production sets DATABASE_URL=postgres://..., SECRET_KEY, ALLOWED_HOSTS and EMAIL_URL.
"""

import ipaddress
import logging
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from channeldesk.core.data_directory import data_directory
from channeldesk.core.environment import (
    DEVELOPMENT_SECRET_KEY,
    deployment_is_production,
    secret_from_environment,
    secret_key_refusal,
)
from channeldesk.core.logging import logging_config, sentry_configure
from channeldesk.core.private_files import private_directory_ensure
from channeldesk.core.startup import huey_storage_import

env = environ.Env()
PACKAGE_DIR = Path(__file__).resolve().parent
# CHANNELDESK_VAR_DIR: the data directory, never the working directory. Default: var/ of a
# source checkout (wherever the command runs), else $XDG_DATA_HOME/channeldesk for an installed
# package (~/.local/share/channeldesk); servers set it (core/data_directory.py).
VAR_DIR = data_directory(package_directory=PACKAGE_DIR)
# The data directory is the process owner's alone (0700): the SQLite files, keys and documents.
private_directory_ensure(VAR_DIR)

DEBUG = env.bool("DEBUG", default=False)
# Secrets may come from files: SECRET_KEY_FILE, DATABASE_URL_FILE, DATABASE_PASSWORD_FILE,
# EMAIL_URL_FILE, CACHE_URL_FILE, HUEY_REDIS_URL_FILE, LICENSING_KEYCODE_KEYS_FILE,
# LICENSING_SIGNING_KEY_FILE (docs/security-production.md, "Secrets").
SECRET_KEY = secret_from_environment("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Production: DEBUG off and a host name beyond the loopback ones in ALLOWED_HOSTS. It gets the
# TLS-only defaults below and refuses the development key; tests and `make demo` are embedded.
PRODUCTION = deployment_is_production(debug=DEBUG, allowed_hosts=ALLOWED_HOSTS)
if refusal := secret_key_refusal(secret_key=SECRET_KEY, production=PRODUCTION):
    raise ImproperlyConfigured(refusal)

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
    "huey.contrib.djhuey",
    # django-health-check is not an installed app: importing it costs every process ~0.15 s
    # at start (dnspython, redis). /readyz (core.health) and `channeldesk health_check`
    # (commands) import it when they run.
    # The audit trail: django-auditlog records model edits into channeldesk.audit's table.
    "auditlog",
    "channeldesk.audit",
    "channeldesk.core",
    "channeldesk.notifications",
    "channeldesk.partners",
    "channeldesk.documents",
    "channeldesk.catalog",
    "channeldesk.webhooks",
    "channeldesk.tiers",
    "channeldesk.pricing",
    "channeldesk.contracts",
    "channeldesk.training",
    "channeldesk.feedback",
    "channeldesk.licensing",
    "channeldesk.usage",
    "channeldesk.api",
    "channeldesk.portal",
    "channeldesk.backoffice",
    "channeldesk.jobs",
    "channeldesk.commands",
    # After ChannelDesk's apps, so the portal's templates dress allauth's pages.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    # /healthz, /readyz and /metrics, answered before anything below (core.health).
    "channeldesk.core.health.ProbeMiddleware",
    # Request latency and status per view for /metrics (core.metrics).
    "channeldesk.core.metrics.RequestMetricsMiddleware",
    # The request id of every log line, answered in X-Request-ID (core.request_logging).
    "channeldesk.core.request_logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Refusals under /api/ in the API's JSON error format, also those made before DRF.
    "channeldesk.api.middleware.ApiErrorFormatMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One log line per request (request_finished) with its id, user and partner.
    "channeldesk.core.request_logging.RequestLogMiddleware",
    "channeldesk.core.request_logging.LogContextMiddleware",
    # Audit entries written during a request name its user and address (docs/audit.md).
    "channeldesk.audit.middleware.AuditMiddleware",
    "channeldesk.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Pages and downloads for a signed-in user or an API credential are never stored by caches.
    "channeldesk.core.cache_control.NoStoreMiddleware",
]

ROOT_URLCONF = "channeldesk.urls"
WSGI_APPLICATION = "channeldesk.wsgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "channeldesk.sqlite3"
DATABASES = {
    "default": env.db_url_config(
        secret_from_environment("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")
    )
}
# The password may be kept apart from the URL (DATABASE_PASSWORD or DATABASE_PASSWORD_FILE).
if _database_password := secret_from_environment("DATABASE_PASSWORD"):
    DATABASES["default"]["PASSWORD"] = _database_password
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend whose back-to-back writers pause so that waiting writers get a
    # turn (docs/operations-sqlite.md); SQLITE_TIMEOUT: seconds a writer waits at most.
    DATABASES["default"]["ENGINE"] = "channeldesk.core.sqlite"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_TIMEOUT", default=30),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-channeldesk.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A kept connection is tested before a request or job reuses it: after the database server
    # restarted, the first request of each worker would otherwise fail with a 500 on the dead
    # connection (tests/operations/test_faults.py).
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (docs/security-login.md, throttles) ------------------------------------------------
# Throttles and rate limits (check-ins, sign-in, password reset) count here, so every worker
# process must see the same counters: CACHE_URL=redis://host:6379/1 in production (Django's
# Redis backend); embedded, a table in the database (created after migrate).
CACHES = {
    "default": env.cache_url_config(
        secret_from_environment("CACHE_URL", default="dbcache://channeldesk_cache")
    )
}

# --- HTTPS, cookies and headers (docs/security-production.md) ---------------------------------
# Production defaults to TLS only; each can be set off for a server behind something else.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
# TLS ends at the reverse proxy: the header it sets to "https" (e.g. X-Forwarded-Proto). Set it
# only when the proxy always sets or strips that header; a client could claim https otherwise.
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Everything comes from our own origin: no inline script or style, no eval (htmx runs with
# includeIndicatorStyles off, see channeldesk/base.html). Images may be data: URIs for the QR
# code of the TOTP set-up.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="de")
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
# English pages write dates day-first with 24-hour times (channeldesk/formats/en/formats.py).
FORMAT_MODULE_PATH = ["channeldesk.formats"]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    # Letters and statements are readable by the process owner only (0600 in 0700 folders).
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
# Documents (letters, statements) on S3-compatible object storage, so that several hosts share
# them (docs/documents.md, "Storage"): STORAGE_BACKEND=s3 with AWS_STORAGE_BUCKET_NAME; optional
# AWS_S3_ENDPOINT_URL (MinIO, Ceph, ...; empty: AWS), AWS_S3_REGION_NAME, AWS_LOCATION (a prefix
# in the bucket), AWS_S3_ADDRESSING_STYLE (path|virtual), AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY (or their *_FILE; unset: boto3's own chain, e.g. an instance role).
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="filesystem")
if STORAGE_BACKEND == "s3":
    if not env.str("AWS_STORAGE_BUCKET_NAME", default=""):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME.")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "access_key": secret_from_environment("AWS_ACCESS_KEY_ID") or None,
            "secret_key": secret_from_environment("AWS_SECRET_ACCESS_KEY") or None,
            # Never overwrite: a racing second letter_store must not replace (and then delete)
            # the winner's PDF; documents are private and served only through ChannelDesk.
            "file_overwrite": False,
            "default_acl": "private",
            "querystring_auth": True,
        },
    }
elif STORAGE_BACKEND != "filesystem":
    raise ImproperlyConfigured(
        f"STORAGE_BACKEND={STORAGE_BACKEND}: use 'filesystem' (the data directory) or 's3'."
    )

# --- Documents (docs/documents.md) --------------------------------------------------------------
# The vendor's letterhead on every letter: a dict with any of name, address_lines, phone, email,
# website, return_line, footer_columns; a missing key keeps documents/letterhead.py's value.
CHANNELDESK_LETTERHEAD: dict[str, object] = {}

# --- E-mail -----------------------------------------------------------------------------------
# EMAIL_URL (smtp://user:pass@host:587, smtp+tls://..., consolemail://, filemail:///path,
# memorymail://) becomes Django 6.1's MAILERS["default"].
_email = env.email_url_config(secret_from_environment("EMAIL_URL", default="consolemail://"))
_email_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "file_path": _email.get("EMAIL_FILE_PATH"),
}
# A hung SMTP server must not hold a dispatcher past half its lease (see docs/outbox.md).
_email_options["timeout"] = env.int("EMAIL_TIMEOUT", default=30)
if _email["EMAIL_BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
    _email_options = {"file_path": _email_options["file_path"]}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {key: value for key, value in _email_options.items() if value},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ChannelDesk <channel@localhost>")

# --- Auth -----------------------------------------------------------------------------------
# Everyone signs in through allauth (e-mail or user name + password, then TOTP where set up;
# vendor staff must have it); /admin/login/ sends people there. See docs/security-login.md.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# A session counts as signed in only after the second factor (core.second_factor); the rule
# runs right after the messages middleware, whatever else the list holds.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "channeldesk.core.middleware.SecondFactorMiddleware",
)
# Every password a person chooses (reset, invitation, change) passes these.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A password-reset link works this many seconds and once (choosing the password spends it).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=2 * 3600)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # People: their session or a personal token (stored as a digest, shown once); other
    # systems: a service token of one scope. See channeldesk.api.authentication.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "channeldesk.api.authentication.ServiceTokenAuthentication",
        "channeldesk.api.authentication.ApiSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every list: ?limit= (1..API_MAX_PAGE_SIZE, default PAGE_SIZE) and ?offset=; out of range 400.
    "DEFAULT_PAGINATION_CLASS": "channeldesk.api.pagination.ApiPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "channeldesk.api.errors.exception_handler",
}
# The most rows one page of an API list holds (?limit=).
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=1000)
# Request bodies: DATA_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MiB) holds for every endpoint except
# the ingest endpoints (heartbeats, usage events, imports), which read their body themselves up
# to this many bytes; larger answers 413.
API_INGEST_MAX_BODY_BYTES = env.int("API_INGEST_MAX_BODY_BYTES", default=64 * 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "ChannelDesk API",
    "DESCRIPTION": "Partners, tiers, orders and imports of the ChannelDesk channel system.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs page need a login; each caller sees only the operations it may
    # call (channeldesk.api.schema). Swagger UI's files are served from the project.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "channeldesk.api.schema.document_error_answers",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PartnerStatusEnum": "channeldesk.partners.models.PartnerStatus",
        "ProductKindEnum": "channeldesk.catalog.models.ProductKind",
        "PolicyStatusEnum": "channeldesk.tiers.models.PolicyStatus",
        "WebhookSubscriptionStatusEnum": "channeldesk.webhooks.models.SubscriptionStatus",
        "WebhookDeliveryStatusEnum": "channeldesk.webhooks.models.DeliveryStatus",
    },
}

# --- Jobs -------------------------------------------------------------------------------------
# Embedded: a SQLite file beside the data. HUEY_REDIS_URL scales out to Redis.
HUEY_REDIS_URL = secret_from_environment("HUEY_REDIS_URL")
# Every consumer (`channeldesk scheduler`, `channeldesk worker`) drains on SIGTERM, as systemd and
# container runtimes stop services: it takes no new task and exits 0 once the running ones end.
HUEY_CONSUMER = {"workers": 2, "worker_type": "thread", "graceful_signal": "TERM"}
# Only one scheduler enqueues the periodic tasks; the others wait as standby and take over this
# many seconds after the active one stopped renewing its lease (docs/processes.md).
JOBS_SCHEDULER_LEASE_SECONDS = env.int("JOBS_SCHEDULER_LEASE_SECONDS", default=90)
# How often a scheduler renews its lease or, standing by, tries to take it over.
JOBS_SCHEDULER_CHECK_SECONDS = env.int("JOBS_SCHEDULER_CHECK_SECONDS", default=15)
# Tests and trials only: every periodic task runs every minute instead of on its schedule.
JOBS_EVERY_MINUTE = env.bool("JOBS_EVERY_MINUTE", default=False)
if HUEY_REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "channeldesk",
        "url": HUEY_REDIS_URL,
        "immediate": env.bool("HUEY_IMMEDIATE", default=False),
        "consumer": HUEY_CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "channeldesk",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env.bool("HUEY_IMMEDIATE", default=False),
        "consumer": HUEY_CONSUMER,
    }
# Every start loads huey's storage module; it gets only the client this queue uses
# (channeldesk.core.startup: about 0.17 s less for every command and worker).
huey_storage_import(redis_queue=bool(HUEY_REDIS_URL))


# --- Logging ----------------------------------------------------------------------------------
def _refusal_without_traceback(record: logging.LogRecord) -> bool:
    """403 and 404 are ordinary answers: logged as their one line ("Not Found: /x"), without
    the traceback of the PermissionDenied or Http404 behind them."""
    if getattr(record, "status_code", None) in (403, 404):
        record.exc_info = None
        record.exc_text = None
    return True


# Logs (core/logging.py, docs/operations.md): LOG_FORMAT=json writes one JSON object per line
# (request id, user, partner, job on every line), console a readable line; LOG_LEVEL filters all
# but the one line per request (INFO) and the job lines.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "console")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT}: use json or console.")
LOGGING = logging_config(
    log_format=LOG_FORMAT,
    level=env.str("LOG_LEVEL", default="WARNING"),
    refusal_filter=_refusal_without_traceback,
)
# The proxy's X-Request-ID is kept (when plain: core.request_logging.REQUEST_ID), so one id
# follows a request from the proxy's log through ours; the request's start is not logged.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
# No client addresses in our lines (nor in Sentry): the proxy's access log has them.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
# Errors (unhandled exceptions, ERROR lines) go to Sentry when SENTRY_DSN (or SENTRY_DSN_FILE)
# is set, tagged with SENTRY_ENVIRONMENT; never with personal data (core.logging.SENTRY_DATA).
SENTRY_DSN = secret_from_environment("SENTRY_DSN")
if SENTRY_DSN:
    sentry_configure(
        dsn=SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production")
    )

# --- Health and metrics (core/health.py, core/metrics.py; docs/operations.md) -----------------
# /metrics answers the bearer token METRICS_TOKEN (or METRICS_TOKEN_FILE) or clients in
# METRICS_ALLOWED_NETWORKS (CIDRs: "10.0.0.0/8,127.0.0.1/32"); with neither it is a 404.
# Under gunicorn set PROMETHEUS_MULTIPROC_DIR (read by prometheus-client) for every process.
METRICS_TOKEN = secret_from_environment("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
try:  # a wrong entry stops the start, not every scrape
    for _network in METRICS_ALLOWED_NETWORKS:
        ipaddress.ip_network(_network, strict=False)
except ValueError as _error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {_error}") from _error
# The probes are answered before SecurityMiddleware (core.health.ProbeMiddleware); should a
# request reach their URL patterns anyway, it is not redirected to https either.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]


# --- Renewal reminders and the outbox (R10; docs/reminders.md, docs/outbox.md) ----------------
# The default reminder schedule starts here ("from April", R10): contracts ending earlier get
# nothing. Read by the migration that creates the schedule; afterwards edit it in the admin.
REMINDERS_START_DATE = env.str("REMINDERS_START_DATE", default="2026-04-01")
# Reminders are planned once due within this many days (the hourly sweep plans ahead).
REMINDERS_PLANNING_HORIZON_DAYS = env.int("REMINDERS_PLANNING_HORIZON_DAYS", default=90)
# E-mails one outbox dispatcher claims at once, and the most attempts before a message fails.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=50)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=12)
# The outbox's other tunables (notifications/conf.py, docs/outbox.md): attempts put on record
# per transaction (at most this many go to review per crash), a claim's lease, the backoff after
# a temporary failure (doubling from BASE up to MAX), the idle sleep of `outbox dispatch --loop`,
# and the Message-IDs' domain (empty: the domain of DEFAULT_FROM_EMAIL).
OUTBOX_WINDOW = 10
OUTBOX_LEASE_SECONDS = 300
OUTBOX_RETRY_BASE_SECONDS = 60
OUTBOX_RETRY_MAX_SECONDS = 6 * 3600
OUTBOX_POLL_SECONDS = 5
OUTBOX_MESSAGE_ID_DOMAIN = ""
# The reminder dispatcher's tunables (contracts/reminders/conf.py, docs/reminders.md): reminders
# claimed at once, a claim's lease, the idle sleep of `reminders dispatch --loop`.
REMINDERS_BATCH_SIZE = 50
REMINDERS_LEASE_SECONDS = 300
REMINDERS_POLL_SECONDS = 5

# --- Licensing (R12, R13): keycodes, certificates, check-ins, compliance ----------------------
# Key material (docs/licensing.md, "Keys"). LICENSING_KEYCODE_KEYS: "1:<base64 secret>,2:<…>"
# (HMAC-SHA256 secrets by key id, at least 32 bytes each); LICENSING_KEYCODE_KEY_ID: the id new
# codes are issued under; LICENSING_KEYCODE_RETIRED_KEY_IDS: ids whose codes are refused.
# LICENSING_SIGNING_KEY: the Ed25519 private key (base64 of the 32-byte seed) with its id.
# Unset, both come from LICENSING_KEY_FILE, created on first use (dev, tests, demo, one host).
LICENSING_KEYCODE_KEYS = secret_from_environment("LICENSING_KEYCODE_KEYS")
LICENSING_KEYCODE_KEY_ID = env.int("LICENSING_KEYCODE_KEY_ID", default=1)
LICENSING_KEYCODE_RETIRED_KEY_IDS = env.list(
    "LICENSING_KEYCODE_RETIRED_KEY_IDS", cast=int, default=[]
)
LICENSING_SIGNING_KEY = secret_from_environment("LICENSING_SIGNING_KEY")
LICENSING_SIGNING_KEY_ID = env.str("LICENSING_SIGNING_KEY_ID", default="ed25519-1")
LICENSING_KEY_FILE = Path(
    env.str("LICENSING_KEY_FILE", default=str(VAR_DIR / "licensing-keys.json"))
)
# Certificates live this many days at most (and never beyond the contract's end date).
LICENSING_CERTIFICATE_DAYS = env.int("LICENSING_CERTIFICATE_DAYS", default=90)
# An installation is active when seen within this many days, stale afterwards.
LICENSING_ACTIVE_DAYS = env.int("LICENSING_ACTIVE_DAYS", default=30)
# Under-licensed: over seats + max(TOLERANCE_SEATS, TOLERANCE_PERCENT % of seats) on
# PERSISTENCE_DAYS scanned days in a row; near the limit from NEAR_LIMIT_PERCENT % utilisation.
LICENSING_TOLERANCE_SEATS = env.int("LICENSING_TOLERANCE_SEATS", default=5)
LICENSING_TOLERANCE_PERCENT = env.int("LICENSING_TOLERANCE_PERCENT", default=10)
LICENSING_PERSISTENCE_DAYS = env.int("LICENSING_PERSISTENCE_DAYS", default=7)
LICENSING_NEAR_LIMIT_PERCENT = env.int("LICENSING_NEAR_LIMIT_PERCENT", default=90)
LICENSING_HEAVY_FACTOR = env.int("LICENSING_HEAVY_FACTOR", default=2)
# Check-in throttling (DRF rates: N/second|minute|hour|day), counted in LICENSING_THROTTLE_CACHE.
LICENSING_ACTIVATE_RATE_PER_KEYCODE = env.str(
    "LICENSING_ACTIVATE_RATE_PER_KEYCODE", default="60/hour"
)
LICENSING_ACTIVATE_RATE_PER_ADDRESS = env.str(
    "LICENSING_ACTIVATE_RATE_PER_ADDRESS", default="600/hour"
)
LICENSING_HEARTBEAT_RATE_PER_ADDRESS = env.str(
    "LICENSING_HEARTBEAT_RATE_PER_ADDRESS", default="600/minute"
)
LICENSING_THROTTLE_CACHE = env.str("LICENSING_THROTTLE_CACHE", default="default")
LICENSING_HEARTBEAT_BATCH_MAX = env.int("LICENSING_HEARTBEAT_BATCH_MAX", default=10_000)
# The daily digest goes to these addresses (empty: every active staff login with an e-mail).
LICENSING_DIGEST_TO = env.list("LICENSING_DIGEST_TO", default=[])


# --- Tiers (docs/tiers.md) --------------------------------------------------------------------
# Tier-change notices go out this many days before the change takes effect (at once when the
# change is recorded later than that).
TIER_NOTICE_DAYS_BEFORE = env.int("TIER_NOTICE_DAYS_BEFORE", default=30)
# PostgreSQL work memory for the tier evaluation's aggregate (SET LOCAL, tiers/selectors.py).
TIERS_WORK_MEM = "256MB"

# --- Training and support hotlines (R7, R9) ---------------------------------------------------
# A Gold (or any) partner keeps its tier while a booked course of the required training is
# pending, for at most this many days from the evaluation date (0: no grace).
TRAINING_GRACE_DAYS = env.int("TRAINING_GRACE_DAYS", default=90)
# A partner is told this many days before a completion of its people expires.
TRAINING_EXPIRY_NOTICE_DAYS = env.int("TRAINING_EXPIRY_NOTICE_DAYS", default=60)
# The training company that runs the courses, and where partners book them (the portal's
# training panel names and links them; an empty URL shows no booking link).
TRAINING_COMPANY_NAME = env.str("TRAINING_COMPANY_NAME", default="NordIT Akademie GmbH")
TRAINING_BOOKING_URL = env.str(
    "TRAINING_BOOKING_URL", default="https://akademie.nordit.example/partnerschulungen"
)

# --- Usage billing (R14) ----------------------------------------------------------------------
# Days after a month's end before it is closed and its statements issued (docs/usage.md).
USAGE_CLOSE_GRACE_DAYS = env.int("USAGE_CLOSE_GRACE_DAYS", default=3)
# How far in the future (clock skew of the sender) an event's time may lie, in seconds.
USAGE_FUTURE_SKEW_SECONDS = env.int("USAGE_FUTURE_SKEW_SECONDS", default=300)
# Most events in one POST /api/v1/usage/events batch.
USAGE_BATCH_LIMIT = env.int("USAGE_BATCH_LIMIT", default=10_000)
# PostgreSQL work memory for the rating's count (SET LOCAL; the month is hashed in memory).
USAGE_RATING_WORK_MEM = env.str("USAGE_RATING_WORK_MEM", default="256MB")

# --- Portal and back office (R11, R3): allauth, pages -----------------------------------------
# Sign-in (django-allauth): e-mail or user name with a password, optional TOTP second factor,
# password reset by e-mail (queued in the outbox), no public sign-up, throttled failures.
ACCOUNT_ADAPTER = "channeldesk.portal.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[ChannelDesk] "
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Nobody learns from the reset form whether an address has a login, and an unknown address
# gets no e-mail at all.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# allauth's throttles count in Django's default cache (CACHES: shared by every worker), per
# client address: behind N reverse proxies that append to X-Forwarded-For, set N here, or
# every visitor counts as the proxy's address (docs/security-login.md).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_RATE_LIMITS = {
    # Wrong passwords: 10 a minute from one address; 5 in 5 minutes against one login from
    # one address (portal.adapters: the owner elsewhere is not locked out).
    "login_failed": env.str("ACCOUNT_LOGIN_FAILED_LIMIT", default="10/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
    # Colleague invitations (portal): 20 an hour per partner admin, 3 an hour to one address.
    "portal_invitation": "20/h/user,3/h/key",
}
MFA_ADAPTER = "channeldesk.portal.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "ChannelDesk"
# --- Passkeys (WebAuthn as second factor and passwordless login) ------------------------------
# A passkey is a second factor after the password, and on its own a passwordless sign-in: the
# browser asks for its PIN or biometrics (user verification), so possession and knowledge are
# proved in one step and the session counts as signed in (core.second_factor, docs/security.md).
MFA_PASSKEY_LOGIN_ENABLED = env.bool("MFA_PASSKEY_LOGIN_ENABLED", default=True)
# Sign-up is closed (portal.adapters.AccountAdapter), so no account is made from a passkey.
MFA_PASSKEY_SIGNUP_ENABLED = False
# As a second factor the key asks for its PIN where it can; the passwordless sign-in always
# requires it (allauth).
MFA_WEBAUTHN_USER_VERIFICATION = "preferred"
# WebAuthn needs a secure context: https, or http://localhost (browsers and python-fido2 both
# accept it, so the tests and `channeldesk runserver` on localhost need no switch). An address
# such as 127.0.0.1 is never a valid WebAuthn domain, so allauth's
# MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN (which would accept any origin) stays off.
# --- end passkeys ---
# --- Single sign-on for vendor staff (OpenID Connect through allauth) -------------------------
# Vendor staff may sign in with the company's identity provider (docs/sso.md); partner users
# never do. Without OIDC_PROVIDER_URL there is no provider, no button and nothing changes.
# OIDC_PROVIDER_URL: the issuer (its /.well-known/openid-configuration is read); OIDC_CLIENT_ID
# and OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE) of ChannelDesk's client there; OIDC_NAME:
# the sign-in button's label. The redirect URI to register at the provider:
# https://<host>/accounts/oidc/<OIDC_PROVIDER_ID>/login/callback/
OIDC_PROVIDER_URL = env.str("OIDC_PROVIDER_URL", default="")
OIDC_PROVIDER_ID = env.str("OIDC_PROVIDER_ID", default="company")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = secret_from_environment("OIDC_CLIENT_SECRET")
OIDC_NAME = env.str("OIDC_NAME", default="Company sign-in")
# The scopes asked for; the role claim must be among what they release.
OIDC_SCOPES = env.list("OIDC_SCOPES", default=["openid", "profile", "email", "groups"])
# The claim (in the ID token or the userinfo answer) that lists the person's roles or groups,
# and which of its values make which staff role (core/roles.py: "channel manager", "support
# desk"), as "value=role,value=role". Nobody without one of these values gets a back office.
OIDC_ROLES_CLAIM = env.str("OIDC_ROLES_CLAIM", default="groups")
OIDC_STAFF_ROLES = env.dict(
    "OIDC_STAFF_ROLES",
    default={
        "channeldesk-channel-manager": "channel manager",
        "channeldesk-support-desk": "support desk",
    },
)
# Addresses in these domains count as verified by the provider even without its
# `email_verified` claim (Entra ID sends none), so they match existing staff logins.
OIDC_VERIFIED_EMAIL_DOMAINS = env.list("OIDC_VERIFIED_EMAIL_DOMAINS", default=[])
# Off (the default): staff pass ChannelDesk's own second factor after the identity provider,
# as after a password. On: a login whose ID token proves a second factor at the provider
# (`amr` holds one of OIDC_MFA_AMR_VALUES, or `acr` is one of OIDC_MFA_ACR_VALUES) counts as
# the second-factor step (docs/sso.md, "The second factor").
OIDC_TRUST_IDP_MFA = env.bool("OIDC_TRUST_IDP_MFA", default=False)
OIDC_MFA_AMR_VALUES = env.list("OIDC_MFA_AMR_VALUES", default=["mfa", "otp", "hwk", "swk"])
OIDC_MFA_ACR_VALUES = env.list("OIDC_MFA_ACR_VALUES", default=[])
# Off: staff sign in only through the identity provider; their password (and passkey) sign-in
# is refused. Superusers keep theirs as the break-glass way in (docs/sso.md).
STAFF_PASSWORD_LOGIN = env.bool("STAFF_PASSWORD_LOGIN", default=True)
if OIDC_PROVIDER_URL and not OIDC_CLIENT_ID:
    raise ImproperlyConfigured("OIDC_PROVIDER_URL needs OIDC_CLIENT_ID (docs/sso.md).")
SOCIALACCOUNT_ADAPTER = "channeldesk.portal.sso.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": OIDC_PROVIDER_ID,
                "name": OIDC_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {
                    "server_url": OIDC_PROVIDER_URL,
                    "scope": OIDC_SCOPES,
                    "verified_email": OIDC_VERIFIED_EMAIL_DOMAINS,
                },
            }
        ]
        if OIDC_PROVIDER_URL
        else [],
    }
}
# The button's form is answered with a redirect to the provider's sign-in page, which the CSP's
# form-action must allow (browsers check it on redirects): the issuer's origin.
if OIDC_PROVIDER_URL and isinstance(_form_action := SECURE_CSP["form-action"], list):
    # "https://login.example.com/realms/staff" -> "https://login.example.com"
    SECURE_CSP["form-action"] = [*_form_action, "/".join(OIDC_PROVIDER_URL.split("/")[:3])]
# A new staff login is made from the provider's answer at once (no sign-up form), with the
# address as the provider verified it; access tokens are not kept.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
# Seconds ChannelDesk waits for the provider's discovery, token and userinfo answers.
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("SOCIALACCOUNT_REQUESTS_TIMEOUT", default=5)
# --- end single sign-on ---
# A partner admin's invitation link works this many seconds, once (portal.accounts).
PORTAL_INVITATION_TIMEOUT = env.int("PORTAL_INVITATION_TIMEOUT", default=3 * 24 * 3600)
# Back office: simulation and calibration runs go to a background thread of the web process;
# INLINE runs them in the request (tests, single-threaded servers). A run unfinished after the
# timeout is taken to be lost with its process.
BACKOFFICE_RUNS_INLINE = env.bool("BACKOFFICE_RUNS_INLINE", default=False)
BACKOFFICE_RUN_TIMEOUT_SECONDS = env.int("BACKOFFICE_RUN_TIMEOUT_SECONDS", default=1800)

# --- Webhooks: delivery (docs/webhooks.md) ---------------------------------------------------
# Outgoing requests: seconds to connect and to wait for each read of the answer, and the most
# a whole request may take (the answer's body is read until then, 64 KiB at most).
WEBHOOKS_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOKS_CONNECT_TIMEOUT_SECONDS", default=5.0)
WEBHOOKS_READ_TIMEOUT_SECONDS = env.float("WEBHOOKS_READ_TIMEOUT_SECONDS", default=10.0)
WEBHOOKS_TOTAL_TIMEOUT_SECONDS = env.float("WEBHOOKS_TOTAL_TIMEOUT_SECONDS", default=30.0)
# The waits after each failed attempt, in seconds (one attempt more than there are waits):
# 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 20 h, about three days in all. Each wait is
# drawn uniformly from [wait × (1 - JITTER), wait × (1 + JITTER)] (1.0: full jitter); a
# Retry-After answer longer than the wait is honoured, up to the longest wait of the list.
WEBHOOKS_RETRY_SCHEDULE_SECONDS = env.list(
    "WEBHOOKS_RETRY_SCHEDULE_SECONDS",
    cast=float,
    default=[5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 72000],
)
WEBHOOKS_RETRY_JITTER = env.float("WEBHOOKS_RETRY_JITTER", default=0.5)
# Private, loopback, link-local and other non-public addresses are refused (SSRF), and http://
# with them, unless this is on: by default in DEBUG (a receiver on the developer's machine).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
# The dispatcher (webhooks/conf.py): deliveries claimed at once, marked sending together, a
# claim's lease (no send starts in its second half), the idle sleep of `webhooks dispatch --loop`.
WEBHOOKS_BATCH_SIZE = env.int("WEBHOOKS_BATCH_SIZE", default=100)
WEBHOOKS_WINDOW = env.int("WEBHOOKS_WINDOW", default=50)
WEBHOOKS_LEASE_SECONDS = env.float("WEBHOOKS_LEASE_SECONDS", default=600)
WEBHOOKS_POLL_SECONDS = env.float("WEBHOOKS_POLL_SECONDS", default=2)
# --- end webhooks delivery ---
# --- Webhooks in the OpenAPI schema ------------------------------------------------------------
# Every event type is an OpenAPI webhook: the envelope with the type's `data` model
# (webhooks/payloads.py), built in channeldesk/api/webhooks.py and imported from there by name.
from channeldesk.webhooks.events import EVENT_TYPES as _WEBHOOK_EVENT_TYPES  # noqa: E402

SPECTACULAR_SETTINGS["WEBHOOKS"] = [
    "channeldesk.api.webhooks.webhook__" + _event_type.replace(".", "__")
    for _event_type in _WEBHOOK_EVENT_TYPES
]
# Webhooks are an OpenAPI 3.1 feature.
SPECTACULAR_SETTINGS["OAS_VERSION"] = "3.1.0"
# --- end webhooks schema ---

# --- Audit trail (docs/audit.md) --------------------------------------------------------------
# django-auditlog writes into ChannelDesk's own entry table (insert-only; services add one
# entry per action or set-based run), before/after values as JSON, never for fixture loads.
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_DISABLE_ON_RAW_SAVE = True
# Entries per page of the back office's audit trail.
AUDIT_PAGE_SIZE = 50
# auditlog's own migrations would still create its unused `auditlog_logentry` table, whose
# foreign key to the users blocks emptying them (TRUNCATE in tests, and any cleanup): with the
# entry model swapped, the app needs no table of its own.
MIGRATION_MODULES = {"auditlog": None}
