"""Test settings: the same as production but with fast hashing and tasks run immediately."""

import os

from config.settings import *  # noqa: F403

SECRET_KEY = "test-only-secret-key"  # noqa: S105

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Close connections after each request: live-server threads must not hold the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's default in-memory test database: race tests need real separate connections.
    # One file per test process, so that two test runs on one machine never share (and corrupt) a database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-wangge-{os.getpid()}.sqlite3")}  # noqa: F405
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_wangge_{os.getpid()}"}  # noqa: F405 - same reason
