"""Test settings: isolated data folder, immediate jobs, fast hashing.

`POSTROOM_TEST_DATABASE_URL` switches the suite to PostgreSQL (CI runs it both ways).
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("POSTROOM_DATA_DIR", tempfile.mkdtemp(prefix="postroom-test-"))

import dj_database_url  # noqa: E402

from .base import *  # noqa: E402, F403
from .base import DATA_DIR  # noqa: E402

if url := os.environ.get("POSTROOM_TEST_DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(url)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(DATA_DIR) / "test.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
            "TEST": {"NAME": str(Path(DATA_DIR) / "test-db.sqlite3")},
        }
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
POSTROOM = POSTROOM | {  # noqa: F405
    "MAIL_DOMAIN": "desk.example.test",
    "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport",
}

# WhiteNoise warns when the static folder is missing; tests serve no static files.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405
