"""Settings, read from the environment.

Every value has a safe default for the embedded case: with no DATABASE_URL the data lives in a
SQLite file under ./var/ (WAL journal, IMMEDIATE transactions so writers queue instead of failing).
Production sets DATABASE_URL=postgres://..., SECRET_KEY, ALLOWED_HOSTS and EMAIL_URL.
"""

from pathlib import Path

import environ

env = environ.Env()
VAR_DIR = Path(env.str("CHANNELDESK_VAR_DIR", default=str(Path.cwd() / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)
PACKAGE_DIR = Path(__file__).resolve().parent

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-embedded-key-set-SECRET_KEY-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "huey.contrib.djhuey",
    "channeldesk.core",
    "channeldesk.notifications",
    "channeldesk.partners",
    "channeldesk.documents",
    "channeldesk.catalog",
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "channeldesk.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-channeldesk.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="de")
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# --- E-mail -----------------------------------------------------------------------------------
# EMAIL_URL (smtp://user:pass@host:587, smtp+tls://..., consolemail://, filemail:///path,
# memorymail://) becomes Django 6.1's MAILERS["default"].
_email = env.email_url("EMAIL_URL", default="consolemail://")
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
LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/"

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "channeldesk.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ChannelDesk API",
    "DESCRIPTION": "Partners, tiers, orders and imports of the ChannelDesk channel system.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "PartnerStatusEnum": "channeldesk.partners.models.PartnerStatus",
        "ProductKindEnum": "channeldesk.catalog.models.ProductKind",
        "PolicyStatusEnum": "channeldesk.tiers.models.PolicyStatus",
    },
}

# --- Jobs -------------------------------------------------------------------------------------
# Embedded: a SQLite file beside the data. HUEY_REDIS_URL scales out to Redis.
HUEY_REDIS_URL = env.str("HUEY_REDIS_URL", default="")
if HUEY_REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "channeldesk",
        "url": HUEY_REDIS_URL,
        "immediate": env.bool("HUEY_IMMEDIATE", default=False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "channeldesk",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env.bool("HUEY_IMMEDIATE", default=False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}


# --- Licensing (issue 4): keycodes, certificates, check-ins, compliance --------------------

# --- Training and support hotlines (issue 6) ------------------------------------------------

# --- Usage billing (issue 7) ----------------------------------------------------------------

# --- Portal and back office (issue 5): allauth, pages ---------------------------------------
