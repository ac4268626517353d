"""Test settings: the same stack as local, faster hashing, its own Celery folders.

The suite runs on both cores (pytest-xdist). Each test process — ``gw0``, ``gw1`` … in
``PYTEST_XDIST_WORKER``, which the Celery worker processes a test starts inherit — gets its own
SQLite file, Celery folders, and Redis database (15, 14, … on the server in ``REDIS_URL``), so
two processes never take each other's messages or clear each other's cache.

``TEST_CLOCK`` ("2028-02-29 10:00", Shanghai time) starts the clock of every test process, and of
the worker processes they start, at that moment; it runs on from there. CI runs the suite on the
last day of a year and on a leap day this way.
"""

import datetime
import os
import re
import zoneinfo

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CELERY_DIR, REDIS_URL, env

SECRET_KEY = env("SECRET_KEY") or "test-key-not-for-production"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

TEST_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "main")
# One id per test run, picked by the first process that loads these settings; the processes it
# starts (xdist workers, Celery workers) inherit it, so two runs in one checkout never share a
# Celery folder.
TEST_RUN = os.environ.setdefault("TEST_RUN", str(os.getpid()))
_process_index = int(TEST_PROCESS[2:]) if TEST_PROCESS.startswith("gw") else 0

if REDIS_URL:
    # Databases 15, 14, … (at most 8 test processes) of the server in REDIS_URL, never the
    # database the URL names: a development worker and cache may live there, and every test
    # empties its database.
    _server = re.sub(r"/\d*$", "", REDIS_URL.rstrip("/"))
    TEST_REDIS_URL = f"{_server}/{15 - _process_index}"
    if _process_index > 7:
        raise ImproperlyConfigured("tests on Redis run in 8 processes at most (-n 8)")
    CACHES = {
        "default": {**CACHES["default"], "LOCATION": TEST_REDIS_URL}  # noqa: F405 (base's)
    }
    CELERY_BROKER_URL = TEST_REDIS_URL
    CELERY_RESULT_BACKEND = TEST_REDIS_URL
else:
    # Keep test messages apart from a development worker's queue, other processes and other runs
    # (removed when the process's tests end).
    TEST_CELERY_DIR = CELERY_DIR.parent / "celery-test" / f"{TEST_RUN}-{TEST_PROCESS}"
    for sub in ("queue", "processed", "results", "control"):
        (TEST_CELERY_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(TEST_CELERY_DIR / "queue"),
        "data_folder_out": str(TEST_CELERY_DIR / "queue"),
        "processed_folder": str(TEST_CELERY_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(TEST_CELERY_DIR / "control"),
        # a test waits for its worker: look for messages ten times a second, not once
        "polling_interval": 0.1,
    }
    CELERY_RESULT_BACKEND = f"file://{TEST_CELERY_DIR / 'results'}"

# A SQLite test database lives in a file, not in memory, so that a Celery worker started as a
# separate process by the tests (tests/test_report_jobs.py) reads the same data. One file per
# test run (Django deletes it at the end), so runs side by side do not share it.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")  # noqa: F405
    }

if TEST_CLOCK := env("TEST_CLOCK"):
    import time_machine

    _moment = datetime.datetime.fromisoformat(TEST_CLOCK)
    if _moment.tzinfo is None:
        _moment = _moment.replace(tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    # Started once per process, before anything reads the clock; it runs on from there.
    time_machine.travel(_moment, tick=True).start()

# Tests travel through days and months with a client signed in: the session limits and the
# password expiry are off here, and tests/test_security_auth.py turns them on (its `limits`).
SESSION_IDLE_MINUTES = 0
SESSION_ABSOLUTE_HOURS = 0
SESSION_COOKIE_AGE = 14 * 24 * 60 * 60
PASSWORD_MAX_AGE_DAYS = 0
