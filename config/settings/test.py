"""Test settings: the same stack as local, faster hashing, its own Celery folders."""

import os

from .base import *  # noqa: F403
from .base import CELERY_DIR, REDIS_URL, env

SECRET_KEY = env("SECRET_KEY") or "test-key-not-for-production"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if not REDIS_URL:
    # Keep test messages apart from a development worker's queue.
    TEST_CELERY_DIR = CELERY_DIR.parent / "celery-test"
    for sub in ("queue", "processed", "results", "control"):
        (TEST_CELERY_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(TEST_CELERY_DIR / "queue"),
        "data_folder_out": str(TEST_CELERY_DIR / "queue"),
        "processed_folder": str(TEST_CELERY_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(TEST_CELERY_DIR / "control"),
    }
    CELERY_RESULT_BACKEND = f"file://{TEST_CELERY_DIR / 'results'}"

# A SQLite test database lives in a file, not in memory, so that a Celery worker started as a
# separate process by the tests (tests/test_report_jobs.py) reads the same data. One file per
# test run (Django deletes it at the end), so runs side by side do not share it.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")  # noqa: F405
    }
