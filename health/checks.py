"""What /healthz/ checks, one component each (django-health-check runs them side by side, each
within its time limit, and hides any unexpected exception behind "unknown error"):

- ``database``: ``SELECT 1`` on a connection of its own (django-health-check);
- ``broker``: the Celery broker takes a connection (Redis), or its folders are there and
  writable (kombu's filesystem transport, ``make run`` without ``REDIS_URL``);
- ``storage``: a file saved to, read back from and deleted from the default storage
  (uploads and generated documents: ``MEDIA_ROOT``, or the object store with ``S3_BUCKET``);
- ``beat`` and ``worker``: the beat sent its heartbeat and a worker ran it within
  ``HEALTH_BEAT_MAX_AGE`` seconds (health/tasks.py);
- ``cache``: a value set and read back; "degraded" while Redis does not answer and this process
  serves the cache from its own memory (core/cache.py) — not required, the platform works on.

Messages name what failed, never an address, a user name or a password.
"""

import dataclasses
import datetime
import os
import uuid

from asgiref.sync import sync_to_async
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from health_check import checks
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from kombu import Connection

from .models import Heartbeat


class NotConfigured(ServiceWarning):
    """The component is not part of this installation."""

    message_type = "Not configured"


@dataclasses.dataclass
class Database(checks.Database):
    pass


@dataclasses.dataclass
class Storage(checks.Storage):
    """Save, read back and delete a file in the default storage."""

    def run(self):
        try:
            super().run()
        except OSError as exc:  # not writable, disk full, gone: say which, not where
            raise ServiceUnavailable(f"cannot write or read a file ({type(exc).__name__})") from exc
        except (BotoCoreError, ClientError) as exc:  # the object store: down, refused, no bucket
            raise ServiceUnavailable(f"object store: {type(exc).__name__}") from exc


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker of the settings (``CELERY_BROKER_URL``) accepts a connection."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def run(self):
        url = getattr(settings, "CELERY_BROKER_URL", "") or ""
        scheme = url.split(":", 1)[0].lower()
        self.details = {"transport": scheme or None}
        if not url or scheme == "memory":
            raise NotConfigured("no broker: tasks are not sent to other processes")
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
        if scheme == "filesystem":
            self._folders(options)
            return
        connection = Connection(
            url,
            transport=getattr(settings, "CELERY_BROKER_TRANSPORT", None),
            transport_options={**options, "socket_timeout": 2},
            connect_timeout=2,
        )
        try:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=2
            )
        except Exception as exc:  # kombu's OperationalError and the transports' own errors
            raise ServiceUnavailable(f"no connection ({type(exc).__name__})") from exc
        finally:
            connection.release()

    def _folders(self, options):
        """kombu's filesystem transport: messages are files in these folders."""
        for option in ("data_folder_in", "data_folder_out", "control_folder"):
            folder = options.get(option)
            if not folder:
                continue
            if not os.path.isdir(folder):
                raise ServiceUnavailable(f"{option} is missing")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise ServiceUnavailable(f"{option} is not writable")


@dataclasses.dataclass
class Beat(HealthCheck):
    """The beat sent its heartbeat within ``HEALTH_BEAT_MAX_AGE`` seconds."""

    process: str = Heartbeat.Process.BEAT

    async def run(self):
        # In the request's own thread: the same connection (and transaction) as the request.
        at = await sync_to_async(self._last, thread_sensitive=True)()
        max_age = settings.HEALTH_BEAT_MAX_AGE
        self.details = {"last": at.isoformat() if at else None}
        if at is None:
            raise ServiceUnavailable("no heartbeat recorded yet")
        age = (timezone.now() - at).total_seconds()
        self.details["age_seconds"] = max(0, round(age))
        if age > max_age:
            raise ServiceUnavailable(f"no heartbeat for {round(age)} s (limit {max_age} s)")

    def _last(self):
        return Heartbeat.objects.filter(process=self.process).values_list("at", flat=True).first()


@dataclasses.dataclass
class Worker(Beat):
    """A worker ran the heartbeat within ``HEALTH_BEAT_MAX_AGE`` seconds."""

    process: str = Heartbeat.Process.WORKER


@dataclasses.dataclass
class Cache(HealthCheck):
    """The default cache keeps a value; a warning while it falls back to process memory."""

    def run(self):
        cache = caches["default"]
        key = f"health:{uuid.uuid4().hex}"
        cache.set(key, "ok", 10)
        if cache.get(key) != "ok":
            raise ServiceUnavailable("a value set was not read back")
        cache.delete(key)
        if getattr(cache, "degraded", False):
            raise ServiceWarning("Redis does not answer: this process uses its own memory")
