"""Tandem settings: one file, driven by the environment, with embedded defaults.

With no environment variables Tandem runs on SQLite under ``var/``, prints emails to
the console and runs Celery on a broker folder under ``var/`` (no Redis needed).
Production sets ``DEBUG=0``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL``,
``REDIS_URL`` and ``EMAIL_URL``; see the README.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.get("TANDEM_VAR_DIR") or BASE_DIR / "var")

DEBUG = env.get_bool("DEBUG", True)


def _ensure_var_dir() -> Path:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return VAR_DIR


def _dev_secret_key() -> str:
    """A secret generated once per checkout, so development sessions survive restarts."""
    path = _ensure_var_dir() / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env.get("SECRET_KEY") or ""
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or _dev_secret_key()
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]", "testserver"]
else:
    missing = [name for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)) if not value]
    if missing:
        raise ImproperlyConfigured(
            f"DEBUG is off, so {' and '.join(missing)} must be set in the environment "
            "(or in a file named by SECRET_KEY_FILE). See 'Running in production' in the README."
        )

CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "practice",  # first, so its admin templates (the front page's alerts and panels) take precedence
    "practice.mail",
    "practice.newsletter",
    "practice.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "assessments",
    "clients",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "practice.security.PermissionsPolicyMiddleware",
    "practice.security.RefuseNulInQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "practice.security.SessionLifetimeMiddleware",
    "practice.accounts.two_factor.RequireTwoFactorMiddleware",
    "practice.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# Database: SQLite under var/ unless DATABASE_URL names another server.
_database_url = env.get("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {
            "default": dj_database_url.parse(
                _database_url,
                conn_max_age=env.get_int("DATABASE_CONN_MAX_AGE", 60),
                conn_health_checks=env.get_bool("DATABASE_CONN_HEALTH_CHECKS", True),
            )
        }
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Tandem understands: {exc}") from exc
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.get_bool(
        "DATABASE_PREPARED_STATEMENTS", True
    ):
        # psycopg prepares a statement run this many times on one connection, so PostgreSQL plans it once.
        # Only statements bound on the server are prepared, and the ORM binds on the client: this serves the
        # outbox's per-message statement (practice.mail.outbox._mark_sent_and_start). Behind a pooler that
        # cannot keep prepared statements (PgBouncer in transaction mode before 1.21), set it to 0.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _ensure_var_dir() / "tandem.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            # Reused across requests: opening SQLite costs a schema read each time.
            "CONN_MAX_AGE": env.get_int("DATABASE_CONN_MAX_AGE", 60),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username+address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English"))]
TIME_ZONE = env.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.get("STATIC_ROOT") or VAR_DIR / "static")
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Redis: Celery broker and shared cache. Without it, a broker folder and a local cache.
REDIS_URL = env.get("REDIS_URL") or ""
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    # Redis hands a task that a worker took but never acknowledged (the worker died) to another worker
    # after this long. It must exceed the longest task and the longest countdown (the drain's time budget
    # and its self-scheduling hop: practice.mail.checks), and no more, so a dead worker's task returns soon.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env.get("CELERY_VISIBILITY_TIMEOUT") or 300)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _broker_dir = VAR_DIR / "celery" / "broker"
    _processed_dir = VAR_DIR / "celery" / "processed"
    for _folder in (_broker_dir, _processed_dir, VAR_DIR / "celery" / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "drain-outbox": {"task": "mail.drain_outbox", "schedule": 60.0},
    "start-due-campaigns": {"task": "newsletter.start_due_campaigns", "schedule": 60.0},
    "read-blog-feeds": {"task": "newsletter.read_feeds", "schedule": 60 * 60.0},
    "send-blog-digests": {"task": "newsletter.send_digests", "schedule": 24 * 60 * 60.0},
    "assessments-tick": {"task": "assessments.tick", "schedule": 60.0},
    "clients-appointments-tick": {"task": "clients.appointments_tick", "schedule": 60.0},
    "clients-retention-review": {"task": "clients.retention_review", "schedule": 24 * 60 * 60.0},
}
# Unit tests only: run tasks in-process. Never set in production.
CELERY_TASK_ALWAYS_EAGER = env.get_bool("CELERY_TASK_ALWAYS_EAGER", False)

# Email: the console unless EMAIL_URL names an SMTP server or another backend.
globals().update(env.email_settings(env.get("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env.get("DEFAULT_FROM_EMAIL", "Tandem <tandem@localhost>")
# An email service provider through django-anymail: EMAIL_URL=backend://anymail.backends.<esp>.EmailBackend
# and its settings as JSON, e.g. ANYMAIL_SETTINGS_FILE=/run/secrets/anymail.json holding
# {"POSTMARK_SERVER_TOKEN": "..."}.
try:
    ANYMAIL = json.loads(env.get("ANYMAIL_SETTINGS") or "{}")
except json.JSONDecodeError as exc:
    raise ImproperlyConfigured(f"ANYMAIL_SETTINGS is not valid JSON: {exc}") from exc
SERVER_EMAIL = env.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# The questionnaire engine's respondents are the practice's clients; Tandem's hooks scope and send.
ASSESSMENTS_RESPONDENT_MODEL = "clients.Client"
ASSESSMENTS_HOOKS = "clients.assessment_hooks.TandemHooks"
# Instruments are in the library (no owner) or owned by one practice.
ASSESSMENTS_OWNER_MODEL = "practice.Practice"
# The link pages' rate limit counts by the address every other limit uses (TANDEM_PROXY_COUNT below).
ASSESSMENTS_CLIENT_ADDRESS = "practice.security.client_ip"

# Where links in emails point (scheme + host, no trailing slash).
TANDEM_SITE_URL = (env.get("TANDEM_SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

# The staff API under /api/v1/ (config.api, house rules in config.rest): token or session sign-in, JSON only,
# scoped like the admin. The browsable renderer is for development only.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "practice.accounts.tokens.ApiTokenAuthentication",  # hashed, named, expiring (replaces DRF's authtoken)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.rest.IsStaff"],
    # DRF's JSONParser with limits: deep nesting, huge numbers and invalid UTF-8 are a 400, never a 500.
    "DEFAULT_PARSER_CLASSES": ["config.rest.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PAGINATION_CLASS": "config.rest.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["config.rest.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.get("TANDEM_API_USER_RATE", "1200/hour")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# The schema (/api/schema/) and its page (/api/docs/) are open in development; in production only to a
# signed-in staff session that gave its second factor (config.api.for_verified_staff).
TANDEM_API_DOCS_PUBLIC = env.get_bool("TANDEM_API_DOCS_PUBLIC", DEBUG)
# The longest an API token may last, in days (staff make their own under /admin/api-tokens/).
TANDEM_API_TOKEN_MAX_DAYS = env.get_int("TANDEM_API_TOKEN_MAX_DAYS", 365)
SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem API",
    "DESCRIPTION": "The staff API of a Tandem practice, and the token API behind a client's questionnaire link.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AssignmentStatusEnum": "assessments.models.AssignmentStatus",
        "InstrumentStatusEnum": "assessments.models.InstrumentStatus",
        "ClientStatusEnum": "clients.models.ClientStatus",
        "SubscriberStatusEnum": "practice.newsletter.models.SubscriberStatus",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.rest.document_errors"],
}

# Security. Production (DEBUG off) defaults pass `check --deploy --fail-level WARNING`.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Sessions end after 30 idle minutes and 12 hours after sign-in, whatever happens in between
# (practice.security.SessionLifetimeMiddleware; the cookie's age slides with activity).
TANDEM_SESSION_IDLE_SECONDS = env.get_int("TANDEM_SESSION_IDLE_SECONDS", 30 * 60)
TANDEM_SESSION_ABSOLUTE_SECONDS = env.get_int("TANDEM_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_AGE = TANDEM_SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
PASSWORD_RESET_TIMEOUT = 60 * 60

# Two-factor sign-in for staff (TOTP with backup codes, practice.accounts.two_factor). On in production; the demo
# (DEBUG on) may leave it off. Staff who enrolled still verify whenever it is on.
TANDEM_REQUIRE_2FA = env.get_bool("TANDEM_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = env.get("OTP_TOTP_ISSUER", "Tandem")
# Enrolling a second factor needs a one-time link emailed to the account (practice.accounts.enrolment).
TANDEM_ENROLMENT_LINK_HOURS = env.get_int("TANDEM_ENROLMENT_LINK_HOURS", 24)

# Lockout (django-axes): 5 failures per username *and* address lock that pair for 15 minutes, so a
# stranger cannot lock a therapist out from elsewhere. `python manage.py axes_reset_username NAME` unlocks.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "practice.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "practice.security.client_ip"
AXES_USERNAME_CALLABLE = "practice.security.lockout_username"
# Besides that pair, a cap per account across every address (practice.accounts.lockout): 20 failures within
# an hour lock the account itself and email the practice's owners; an owner unlocks it under *Sign-in
# locks* in the admin (or `python manage.py account_unlock NAME`), or it unlocks after a day.
AXES_HANDLER = "practice.accounts.lockout.AccountLockHandler"
TANDEM_ACCOUNT_FAILURE_LIMIT = env.get_int("TANDEM_ACCOUNT_FAILURE_LIMIT", 20)
TANDEM_ACCOUNT_FAILURE_WINDOW = env.get_int("TANDEM_ACCOUNT_FAILURE_WINDOW", 60 * 60)
TANDEM_ACCOUNT_LOCK_HOURS = env.get_int("TANDEM_ACCOUNT_LOCK_HOURS", 24)
# Behind a reverse proxy, how many proxies append to X-Forwarded-For (0: use the socket's address). Every
# lockout and rate limit counts by practice.security.client_ip, which reads it.
TANDEM_PROXY_COUNT = env.get_int("TANDEM_PROXY_COUNT", 1 if env.get_bool("SECURE_PROXY_SSL_HEADER", False) else 0)

# Rate limits per client address (practice.ratelimit; counted in the cache, so Redis in production), as
# "<count>/<period>" with s, m, h or d: "10/10m" is ten per ten minutes. The questionnaire links' limit is
# ASSESSMENTS_LINK_RATE_LIMIT (requests, seconds), shared by the link pages and the link API.
TANDEM_RATE_LIMITS = {
    "newsletter-subscribe": env.get("TANDEM_RATE_NEWSLETTER_SUBSCRIBE", "10/10m"),
    "newsletter-links": env.get("TANDEM_RATE_NEWSLETTER_LINKS", "120/10m"),
    "sign-in": env.get("TANDEM_RATE_SIGN_IN", "30/10m"),
    "two-factor": env.get("TANDEM_RATE_TWO_FACTOR", "30/10m"),
}
ASSESSMENTS_LINK_RATE_LIMIT = (env.get_int("TANDEM_RATE_LINK_REQUESTS", 120), 600)

# Content-Security-Policy on every response, in development too, so a violation shows up early.
# Inline *styles* stay allowed: email previews in the admin carry them and they cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
TANDEM_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", True)
    if env.get_bool("SECURE_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.get_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Every handler redacts link tokens and email addresses (config.logging). Django's own loggers are
# routed through the same handler, so "Not Found: /newsletter/confirm/<token>/" never reaches a log.
# In development only, what the worker prints (the console backend's emails) is shown as it is, so a
# newcomer can open the client's link from the printed invitation.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "config.logging.RedactFilter", "unredacted": ["celery.redirected"] if DEBUG else []},
        # The filesystem broker has no host to name; kombu says so on every start.
        "no_hostname_notice": {"()": "config.logging.DropMessages", "prefixes": ["No hostname was supplied"]},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "printed": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "printed": {"class": "logging.StreamHandler", "formatter": "printed", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its version line on every manage.py command
        "kombu.connection": {"filters": ["no_hostname_notice"]},
        **({"celery.redirected": {"handlers": ["printed"], "propagate": False}} if DEBUG else {}),
    },
}
# The worker keeps this configuration (and its redaction) instead of installing its own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
