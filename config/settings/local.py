"""Local development: DEBUG on, a throwaway key, SQLite and the broker-less Celery transport."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY") or "local-development-key-not-for-production"  # noqa: S105

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # Write-ahead log: the web, the worker and beat read while one of them writes, and a commit
    # does not wait for the disk (NORMAL: a power cut may lose the last commits, never the
    # file). `migrate` on a new database takes half the time.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (  # noqa: F405
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )

# Nothing leaves the machine under `make run`: e-mails are files under var/outbox/mail/, robot
# and SMS messages lines of var/outbox/messages.jsonl (the delivery log page lists both).
if not env("EMAIL_BACKEND"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "outbox" / "mail")  # noqa: F405
NOTIFY_OUTBOX = env("NOTIFY_OUTBOX") or str(VAR_DIR / "outbox" / "messages.jsonl")  # noqa: F405
