"""One settings module, driven by the environment.

Embedded mode (the default) needs nothing set: SQLite under var/, a file-system Celery
broker, and secrets generated once into var/secrets.json. Production sets
WARMGRID_PRODUCTION=1 and every secret in the environment (see docs/deploy.md).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from warmgrid.lib.crypto import new_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WARMGRID_VAR_DIR", BASE_DIR / "var"))
PRODUCTION = os.environ.get("WARMGRID_PRODUCTION", "") in {"1", "true", "yes"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _embedded_secrets() -> dict[str, str]:
    """Generated once per checkout so a laptop needs no setup; never used in production."""
    path = VAR_DIR / "secrets.json"
    wanted = {
        "SECRET_KEY": lambda: new_key() + new_key(),
        "DATA_KEYS": lambda: f"k1:{new_key()}",
        "INDEX_KEY": new_key,
        "AUDIT_KEY": new_key,
    }
    secrets = json.loads(path.read_text()) if path.exists() else {}
    missing = {name: make() for name, make in wanted.items() if name not in secrets}
    if missing:
        # Never replace a key that exists: data sealed with it would become unreadable.
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        secrets |= missing
        scratch = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(secrets, handle)
        os.replace(scratch, path)
    return secrets


def _secret(name: str, env_name: str) -> str:
    value = os.environ.get(env_name)
    if value:
        return value
    if PRODUCTION:
        raise RuntimeError(f"{env_name} must be set in production (see docs/deploy.md)")
    return _embedded_secrets()[name]


SECRET_KEY = _secret("SECRET_KEY", "WARMGRID_SECRET_KEY")
# Personal identifiers: AES-GCM key ring ("k2:BASE64,k1:BASE64", first encrypts) and
# the HMAC key of the blind index. Rotation is described in docs/deploy.md.
WARMGRID_DATA_KEYS = _secret("DATA_KEYS", "WARMGRID_DATA_KEYS")
WARMGRID_INDEX_KEY = _secret("INDEX_KEY", "WARMGRID_INDEX_KEY")
# Keys the audit trail's hash chain (HMAC-SHA256). Never change it once entries exist:
# `warmgrid audit verify` checks every entry with it.
WARMGRID_AUDIT_KEY = _secret("AUDIT_KEY", "WARMGRID_AUDIT_KEY")

DEBUG = not PRODUCTION and os.environ.get("WARMGRID_DEBUG", "1") in {"1", "true", "yes"}
ALLOWED_HOSTS = _env_list(
    "WARMGRID_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
)
CSRF_TRUSTED_ORIGINS = _env_list("WARMGRID_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "template_partials",
    "warmgrid.accounts",
    "warmgrid.places",
    "warmgrid.people",
    "warmgrid.audit",
    "warmgrid.cases",
    "warmgrid.notices",
    "warmgrid.attachments",
    "warmgrid.assessment",
    "warmgrid.supervision",
    "warmgrid.warmth",
    "warmgrid.ledgers",
    "warmgrid.api",
    "warmgrid.demo",
    "warmgrid.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app server only in production (runserver serves them otherwise).
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "warmgrid.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that every login check above has run when it counts a failure.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "warmgrid.urls"
WSGI_APPLICATION = "warmgrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "warmgrid" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "warmgrid.accounts.context_processors.roles",
                "warmgrid.notices.context_processors.unread_notices",
            ],
        },
    }
]


def _database(url: str) -> dict:
    """DATABASE_URL is a PostgreSQL URL, an sqlite:/// URL, or a plain SQLite file path."""
    if "://" not in url:
        url = f"sqlite:///{Path(url).resolve()}"
    config = dj_database_url.parse(url, conn_max_age=0 if url.startswith("sqlite") else 60)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of
            # failing half-way (the audit chain relies on one writer at a time).
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA foreign_keys=ON;",
        }
        config["TEST"] = {"NAME": None}
    else:
        config.setdefault("OPTIONS", {})
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {
    "default": _database(os.environ.get("DATABASE_URL") or str(VAR_DIR / "warmgrid.sqlite3"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "warmgrid.accounts.passwords.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# Lockout: 5 failures in 15 minutes, counted per account and, separately, per address.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "warmgrid.accounts.views.locked_out"
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# Behind nginx (which appends to X-Forwarded-For), set WARMGRID_PROXY_COUNT=1 so lockout
# and the audit trail see the client's address, not the proxy's.
WARMGRID_PROXY_COUNT = int(os.environ.get("WARMGRID_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "warmgrid.accounts.http.client_ip"

# Idle sessions end after 30 minutes: the cookie's age restarts with every request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
API_TOKEN_IDLE = timedelta(minutes=30)
API_TOKEN_LIFETIME = timedelta(hours=12)

OTP_TOTP_ISSUER = "WarmGrid"

# Channels notices go out on besides the in-app inbox (warmgrid/notices/channels.py).
WARMGRID_NOTICE_CHANNELS = _env_list("WARMGRID_NOTICE_CHANNELS",
                                     "warmgrid.notices.channels.ConsoleChannel")
EMAIL_BACKEND = os.environ.get("WARMGRID_EMAIL_BACKEND",
                               "django.core.mail.backends.console.EmailBackend")
# The SMS gateway and WeCom (企业微信) accounts notices use (docs/notices.md).
WARMGRID_SMS_GATEWAY = os.environ.get("WARMGRID_SMS_GATEWAY",
                                      "warmgrid.notices.sms.ConsoleSmsGateway")
WARMGRID_SMS_HTTP_URL = os.environ.get("WARMGRID_SMS_HTTP_URL", "")
WARMGRID_SMS_HTTP_SECRET = os.environ.get("WARMGRID_SMS_HTTP_SECRET", "")
WARMGRID_SMS_HTTP_SECRET_HEADER = os.environ.get("WARMGRID_SMS_HTTP_SECRET_HEADER",
                                                 "X-WarmGrid-Secret")
WARMGRID_WECOM_BASE_URL = os.environ.get("WARMGRID_WECOM_BASE_URL",
                                         "https://qyapi.weixin.qq.com")
WARMGRID_WECOM_ROBOT_KEY = os.environ.get("WARMGRID_WECOM_ROBOT_KEY", "")
WARMGRID_WECOM_CORP_ID = os.environ.get("WARMGRID_WECOM_CORP_ID", "")
WARMGRID_WECOM_CORP_SECRET = os.environ.get("WARMGRID_WECOM_CORP_SECRET", "")
WARMGRID_WECOM_AGENT_ID = os.environ.get("WARMGRID_WECOM_AGENT_ID", "")
WARMGRID_NOTICE_HTTP_TIMEOUT = float(os.environ.get("WARMGRID_NOTICE_HTTP_TIMEOUT", "5"))

# Limits on public posting and rating (warmgrid/accounts/ratelimits.py, docs/notices.md):
# fixed windows per rule, "N/unit, N/unit". WARMGRID_RATE_LIMITS=off turns them all off.
WARMGRID_RATE_LIMITS_ENABLED = os.environ.get("WARMGRID_RATE_LIMITS", "on") != "off"
WARMGRID_RATE_LIMITS = {
    "report_case": os.environ.get("WARMGRID_RATE_LIMIT_REPORT_CASE", "10/hour, 30/day"),
    "report_case_open311": os.environ.get("WARMGRID_RATE_LIMIT_OPEN311", "30/minute, 600/hour"),
    "rate_case": os.environ.get("WARMGRID_RATE_LIMIT_RATE_CASE", "20/hour"),
    "join_case": os.environ.get("WARMGRID_RATE_LIMIT_JOIN_CASE", "30/hour"),
    "survey_code": os.environ.get("WARMGRID_RATE_LIMIT_SURVEY_CODE", "30/minute, 300/hour"),
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "warmgrid" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "warmgrid" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Case photos (docs/attachments.md): the largest photo accepted, and files only the app's
# own user reads; they are served through a scoped view, never by the web server.
WARMGRID_UPLOAD_MAX_BYTES = int(os.environ.get("WARMGRID_UPLOAD_MAX_BYTES", 8 * 1024 * 1024))
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("WARMGRID_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Embedded mode: a broker that is a folder, so the worker needs no server.
    _broker_dir = VAR_DIR / "celery" / "queue"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = os.environ.get("WARMGRID_CELERY_EAGER", "") == "1"
# Keep the LOGGING above (and its redaction) in the worker too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "warmgrid.people.logging.RedactIdentifiers"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain",
                    "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("WARMGRID_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # runserver's request lines carry query strings (a search for an ID number):
        # through our redacting handler, not Django's own.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

CELERY_BEAT_SCHEDULE = {
    "watch-case-deadlines": {
        "task": "cases.watch_deadlines",
        "schedule": crontab(minute="*/10"),
    },
    "detect-case-clusters": {
        "task": "supervision.detect_clusters",
        "schedule": crontab(minute="2-59/10"),
    },
    "refresh-case-tallies-hourly": {
        "task": "supervision.refresh_case_tallies",
        "schedule": crontab(minute=7),
    },
    "refresh-case-tallies-nightly": {
        "task": "supervision.refresh_case_tallies",
        "schedule": crontab(hour=1, minute=20),
        "kwargs": {"full": True},
    },
    "refresh-grid-tallies-after-midnight": {
        "task": "people.refresh_grid_tallies",
        "schedule": crontab(hour=0, minute=5),
    },
    "verify-audit-chain-nightly": {
        "task": "audit.verify_chain",
        "schedule": crontab(hour=2, minute=30),
    },
    # Beijing time (CELERY_TIMEZONE): the day's notices for people who chose a digest.
    "send-notice-digests": {
        "task": "notices.send_digests",
        "schedule": crontab(hour=8, minute=0),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
