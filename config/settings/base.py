"""Settings shared by every environment; thin dev/test/prod modules override them.

Everything a deployment changes comes from ``POSTROOM_*`` environment variables, so no
secret ever needs to live in the repository.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("POSTROOM_DATA_DIR", BASE_DIR / "var")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Return the secret key from the environment, or one generated once per data folder."""
    if key := os.environ.get("POSTROOM_SECRET_KEY"):
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("POSTROOM_DEBUG")
ALLOWED_HOSTS = [h for h in os.environ.get("POSTROOM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("POSTROOM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "postroom.core",
    "postroom.accounts",
    "postroom.tickets",
    "postroom.mail",
    "postroom.routing",
    "postroom.replies",
    "postroom.privacy",
    "postroom.surveys",
    "postroom.sla",
    "postroom.search",
    "postroom.desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "postroom.desk.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
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
                "postroom.desk.context.desk",
            ],
        },
    }
]
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Embedded default: SQLite in WAL mode inside the data folder. IMMEDIATE transactions
# and a generous timeout let the SMTP receiver, the IMAP pollers, the job worker and the
# web app share one file without "database is locked" errors.
_SQLITE: dict[str, Any] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": DATA_DIR / "postroom.sqlite3",
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    },
}
if url := os.environ.get("POSTROOM_DATABASE_URL"):
    DATABASES: dict[str, Any] = {"default": dj_database_url.parse(url, conn_max_age=60)}
else:
    DATABASES = {"default": _SQLITE}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("POSTROOM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Jobs: Django's Tasks API (django-tasks backport) with its database backend, decided in
# docs/decisions/0001-jobs-django-tasks-database.md. `postroom serve` runs a worker thread.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "POSTROOM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"
        ),
    }
}

# Outgoing mail: kept in the durable outbox and written as .eml files under
# <data dir>/outbox/ unless an SMTP relay is configured.
EMAIL_HOST = os.environ.get("POSTROOM_SMTP_RELAY_HOST", "")
EMAIL_PORT = int(os.environ.get("POSTROOM_SMTP_RELAY_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("POSTROOM_SMTP_RELAY_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("POSTROOM_SMTP_RELAY_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("POSTROOM_SMTP_RELAY_STARTTLS")
EMAIL_USE_SSL = _env_bool("POSTROOM_SMTP_RELAY_SSL")
EMAIL_TIMEOUT = 30
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = DATA_DIR / "outbox"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "postroom": {"handlers": ["console"], "level": os.environ.get("POSTROOM_LOG_LEVEL", "INFO")},
        "mail.log": {"handlers": ["console"], "level": "WARNING"},
    },
}

# --- Postroom --------------------------------------------------------------------------
POSTROOM: dict[str, Any] = {
    # Domain used in Message-IDs and reply addresses of outgoing mail.
    "MAIL_DOMAIN": os.environ.get("POSTROOM_MAIL_DOMAIN", "postroom.localhost"),
    # Prefix of ticket references shown in subjects: [PR-1042].
    "TICKET_PREFIX": os.environ.get("POSTROOM_TICKET_PREFIX", "PR"),
    "SMTP_BIND": os.environ.get("POSTROOM_SMTP_BIND", "127.0.0.1"),
    "SMTP_PORT": int(os.environ.get("POSTROOM_SMTP_PORT", "2525")),
    "LMTP_PORT": int(os.environ.get("POSTROOM_LMTP_PORT", "2424")),
    "HTTP_BIND": os.environ.get("POSTROOM_HTTP_BIND", "127.0.0.1"),
    "HTTP_PORT": int(os.environ.get("POSTROOM_HTTP_PORT", "8000")),
    # Largest message accepted by the receivers and the importer (bytes).
    "MAX_MESSAGE_BYTES": int(os.environ.get("POSTROOM_MAX_MESSAGE_BYTES", str(40 * 1024 * 1024))),
    # Largest single attachment kept; bigger ones are dropped with a note on the ticket.
    "MAX_ATTACHMENT_BYTES": int(os.environ.get("POSTROOM_MAX_ATTACHMENT_BYTES", str(25 * 1024 * 1024))),
    # A reply to a ticket closed longer than this starts a new, linked ticket.
    "REOPEN_CLOSED_WITHIN_DAYS": int(os.environ.get("POSTROOM_REOPEN_CLOSED_WITHIN_DAYS", "14")),
    # Automatic mail cap per recipient (RFC 3834 §2: avoid auto-reply storms).
    "AUTO_REPLY_LIMIT": int(os.environ.get("POSTROOM_AUTO_REPLY_LIMIT", "5")),
    "AUTO_REPLY_WINDOW_HOURS": int(os.environ.get("POSTROOM_AUTO_REPLY_WINDOW_HOURS", "24")),
    # How long a hard-bouncing address stays suppressed.
    "BOUNCE_SUPPRESS_DAYS": int(os.environ.get("POSTROOM_BOUNCE_SUPPRESS_DAYS", "30")),
    # Outbox retries: attempts and the first backoff (doubles each time).
    "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("POSTROOM_OUTBOX_MAX_ATTEMPTS", "8")),
    "OUTBOX_BACKOFF_SECONDS": int(os.environ.get("POSTROOM_OUTBOX_BACKOFF_SECONDS", "60")),
    # Dotted path of the outbound transport class; empty = SMTP relay when one is
    # configured, else .eml files in <data dir>/outbox/.
    "OUTBOUND_TRANSPORT": os.environ.get("POSTROOM_OUTBOUND_TRANSPORT", ""),
    "IMAP_POLL_SECONDS": int(os.environ.get("POSTROOM_IMAP_POLL_SECONDS", "60")),
    # Learned routing (issue #3): retrain from solved tickets every N hours (0 = never on
    # a schedule; `postroom routing retrain` still works), once at least this many
    # labelled tickets exist; the sentence encoder can be turned off (words only: faster).
    "ROUTING_RETRAIN_HOURS": int(os.environ.get("POSTROOM_ROUTING_RETRAIN_HOURS", "24")),
    "ROUTING_MIN_TRAINING": int(os.environ.get("POSTROOM_ROUTING_MIN_TRAINING", "100")),
    "ROUTING_SENTENCES": _env_bool("POSTROOM_ROUTING_SENTENCES", default=True),
    # Satisfaction surveys (issue #5): links work this many days; ratings at or below
    # SURVEY_BAD_RATING (of 5) alert the queue's supervisors.
    "SURVEY_EXPIRY_DAYS": int(os.environ.get("POSTROOM_SURVEY_EXPIRY_DAYS", "14")),
    "SURVEY_BAD_RATING": int(os.environ.get("POSTROOM_SURVEY_BAD_RATING", "2")),
    # The desk's address as customers reach it, for links in mail (surveys):
    # e.g. https://help.example.com; empty = http://HTTP_BIND:HTTP_PORT.
    "PUBLIC_URL": os.environ.get("POSTROOM_PUBLIC_URL", "").rstrip("/"),
    # Solved tickets close after this many days without a customer reply (0 = never).
    "AUTO_CLOSE_DAYS": int(os.environ.get("POSTROOM_AUTO_CLOSE_DAYS", "7")),
}

# The agent desk (issue #4) signs people in at its own page.
LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "desk:inbox"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
