"""Settings for 党建台账, driven by environment variables (see .env.example).

Production differs from development only by the environment: DEBUG is off
unless set, SECRET_KEY must then be given, and DATABASE_URL points at
PostgreSQL. Without DATABASE_URL the app runs on an embedded SQLite file so
that a fresh clone works with no server.
"""

import datetime
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A development key only while DEBUG is on; production must set its own. Left
# empty, Django refuses anything that signs (sessions, logins) with a clear
# error, while commands that need no key (makemigrations) still run.
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
else:
    SECRET_KEY = env("SECRET_KEY", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "simple_history",
    "config.apps.AxesConfig",
    "csp",
    "django_tasks",
    "config.apps.TasksDatabaseConfig",
    "branches",
    "members",
    "activities",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files before anything touches the session or the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lock-out into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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

WSGI_APPLICATION = "config.wsgi.application"

# An empty DATABASE_URL (a blank line in .env) means the embedded default too.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
# Production keeps each process's database connection for a minute instead of
# opening one per request (a new PostgreSQL backend costs milliseconds of both
# machines' time); it is checked before reuse, so a restarted database is noticed.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0 if DEBUG else 60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo server read while a command writes; the busy timeout
    # turns a short write lock into a wait instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # The test database on disk (the concurrency tests open it from several threads),
    # beside the database DATABASE_URL names, so two checkouts' runs never share one.
    main = Path(DATABASES["default"]["NAME"])
    test = BASE_DIR / "var" / "test.sqlite3" if main == BASE_DIR / "db.sqlite3" else None
    DATABASES["default"]["TEST"] = {"NAME": str(test or main.with_name(f"test_{main.name}"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "branches.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out logins first
    "branches.auth.ScopedModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# The project's own translations come first: strings Django and the pinned packages
# leave in English in zh_Hans (locale/zh_Hans/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Uploaded files live in the database (branches.storage): every application process
# and worker shares it, so no file depends on one machine's disk.
# Static files: in production compressed, with content-hashed names WhiteNoise serves
# with far-future cache headers (after `collectstatic`); while developing, as they are.
STORAGES = {
    "default": {"BACKEND": "branches.storage.DatabaseStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 8 hours without a request (the expiry moves on every request).
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = True

# Lock-out: 5 failed logins lock that username from that address for 15
# minutes, so one person cannot lock out a whole office behind a shared address.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"


def client_address_settings(reverse_proxies: int) -> tuple[int | None, list[str]]:
    """django-axes' AXES_IPWARE_PROXY_COUNT and AXES_IPWARE_META_PRECEDENCE_ORDER.

    *reverse_proxies* is how many proxies stand in front of the app; 0 when
    browsers reach it directly, and then a client's own X-Forwarded-For is
    ignored, or anyone could pick the address their failures count against.
    Each proxy appends the address it got the request from, so the header
    ends with the client followed by the first N-1 proxies (the last one is
    REMOTE_ADDR). django-ipware counts the proxies listed in the header and,
    not strict, takes the address that many places from the right: whatever
    a client writes into the header itself stays to the left of it.
    """
    if reverse_proxies <= 0:
        return None, ["REMOTE_ADDR"]
    # The header alone: with REMOTE_ADDR as a second choice django-ipware would
    # prefer the proxy's address whenever it is public and the client's is not.
    return reverse_proxies - 1, ["HTTP_X_FORWARDED_FOR"]


# The environment's AXES_IPWARE_PROXY_COUNT is the number of reverse proxies.
AXES_IPWARE_PROXY_COUNT, AXES_IPWARE_META_PRECEDENCE_ORDER = client_address_settings(
    env.int("AXES_IPWARE_PROXY_COUNT", default=0)
)
IPWARE_STRICT = False
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# Background work (big roster imports) runs in `manage.py db_worker`, with the
# queue kept in the database: no broker to install, and both databases work.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Uploads larger than this are checked and written by the worker, with a progress bar.
IMPORT_BACKGROUND_BYTES = env.int("IMPORT_BACKGROUND_BYTES", default=256 * 1024)
# A worker reports on the import it holds several times within this lease; one
# silent for longer is presumed dead, and the import is offered again.
TASK_LEASE_SECONDS = env.int("TASK_LEASE_SECONDS", default=60)
# Uploaded rosters (full of ID numbers) are deleted this many days after their
# import ended (committed or failed); the import record stays. Uploads nobody
# confirmed go after one day (`manage.py purge_uploads`).
IMPORT_RETENTION_DAYS = env.int("IMPORT_RETENTION_DAYS", default=7)
# County staff may withdraw a year's published ratings (with a reason) for this
# many days after publishing; after that the publication is final.
RATING_WITHDRAW_DAYS = env.int("RATING_WITHDRAW_DAYS", default=30)

# Audit trail: reverting from the history page would be a write outside the
# services; changes go through the normal forms.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Content Security Policy: no inline script anywhere. style-src allows inline
# style attributes, which the Django admin's own templates use.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# django-import-export: only users holding the model's add/change permission
# may import or export; without these any staff user reaching the page could.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# Served over HTTPS (by the reverse proxy) unless told otherwise: HTTPS=0 is for a
# production-like run on one machine without TLS (`make serve` on 127.0.0.1),
# where secure-only cookies would never come back and every page would redirect.
HTTPS = env.bool("HTTPS", default=not DEBUG)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The health check is asked by the machine's own monitor, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# W021 asks for HSTS preload: submitting a government domain to the browsers'
# preload list is the site owner's decision, not a setting we can make for them.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# 组织关系介绍信: how many months a letter stays valid from the day it is issued
# (usually three); open letters past it are listed on the worklist.
TRANSFER_LETTER_VALID_MONTHS = env.int("TRANSFER_LETTER_VALID_MONTHS", default=3)
