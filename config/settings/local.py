"""Local development: DEBUG on, a throwaway key, SQLite and the broker-less Celery transport."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY") or "local-development-key-not-for-production"  # noqa: S105
