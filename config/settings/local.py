"""Local runs (`make run`): a throwaway key, SQLite, the broker-less Celery transport, demo data.

DEBUG stays off unless asked for (DEBUG=1), so a local run answers as the platform does in
production: its own Chinese 400/403/404/500 pages, not Django's technical ones. WhiteNoise
serves the static files straight from the source folders (no collectstatic), and picks up an
edited file at once.
"""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY") or "local-development-key-not-for-production"  # noqa: S105

# Static files as production serves them (config/settings/production.py), from the finders.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# seed_demo loads its logins (one published password) here whatever DEBUG says; elsewhere only
# with DEBUG on or --force.
DEMO_DATA_ALLOWED = True
# The demo accounts (one published password) never have to change it here.
PASSWORD_POLICY_EXEMPT_DEMO = env_bool("PASSWORD_POLICY_EXEMPT_DEMO", True)  # noqa: F405

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
