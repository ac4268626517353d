"""The cache on Redis, falling back to this process's memory while Redis does not answer.

Pages, the API and every sign-in use the cache (the sign-in failure counts of
``accounts.throttling`` live there). When Redis refuses or times out, an operation is served by
a local-memory cache of this process instead of failing the request, and Redis is left alone
for ``RETRY_SECONDS`` (an option, default 30) before the next operation tries it again; once it
answers, the process is back on Redis and its local copy is emptied.

While on the fallback each web process counts sign-in failures on its own, still atomically
(``LocMemCache`` increments under a lock). A lock itself is a database row
(``accounts.models.Lockout``) that holds for every process, so a username is locked after at
most ``LOGIN_FAILURE_LIMIT`` failures per web process (``WEB_CONCURRENCY``), instead of
``LOGIN_FAILURE_LIMIT`` in all.

A warning is logged when Redis stops answering and at most every ``WARN_SECONDS`` (default
300) while it stays away, never once per request; an info line when it is back.

Configured in ``config.settings.base`` when ``REDIS_URL`` is set::

    "default": {
        "BACKEND": "core.cache.FallbackRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"RETRY_SECONDS": 30, "socket_connect_timeout": 1, "socket_timeout": 2},
    }

Other options go to redis-py as for Django's ``RedisCache``; the socket timeouts keep a Redis
that is unreachable (not merely refusing) from holding a request for long.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: what "Redis does not answer" is: refused, reset, unreachable, timed out, still loading
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


class _Health:
    """Whether one Redis server (a LOCATION) answers, shared by every thread of the process
    (Django makes a cache backend per thread)."""

    def __init__(self, retry_seconds: float, warn_seconds: float):
        self.retry_seconds = retry_seconds
        self.warn_seconds = warn_seconds
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.warned_at: float | None = None
        self.lock = threading.Lock()

    def skip(self) -> bool:
        """True while Redis is taken as down and not yet due for another try."""
        return self.down_since is not None and time.monotonic() < self.retry_at

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self.lock:
            first = self.down_since is None
            if first:
                self.down_since = now
            self.retry_at = now + self.retry_seconds
            warn = first or self.warned_at is None or now - self.warned_at >= self.warn_seconds
            if warn:
                self.warned_at = now
        if warn:
            logger.warning(
                "Redis cache unavailable for %d s (%s: %s); this process uses its own memory "
                "and tries Redis again every %g s",
                now - self.down_since,
                type(exc).__name__,
                exc,
                self.retry_seconds,
            )

    def answered(self) -> bool:
        """Redis answered; True when it had been down (the caller empties its local copy)."""
        if self.down_since is None:
            return False
        with self.lock:
            if self.down_since is None:
                return False
            down_for = time.monotonic() - self.down_since
            self.down_since = None
            self.warned_at = None
        logger.info("Redis cache answers again after %d s", down_for)
        return True


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


def _health_of(location: str, retry_seconds: float, warn_seconds: float) -> _Health:
    with _health_lock:
        state = _health.get(location)
        if state is None:
            state = _health[location] = _Health(retry_seconds, warn_seconds)
        state.retry_seconds, state.warn_seconds = retry_seconds, warn_seconds
        return state


class FallbackRedisCache(RedisCache):
    """Django's ``RedisCache``; while Redis does not answer, a ``LocMemCache`` of this
    process (one per LOCATION, shared by its threads)."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        retry_seconds = float(options.pop("RETRY_SECONDS", 30))
        warn_seconds = float(options.pop("WARN_SECONDS", 300))
        local_entries = int(options.pop("FALLBACK_MAX_ENTRIES", 10000))
        params["OPTIONS"] = options
        super().__init__(server, params)
        location = server if isinstance(server, str) else ",".join(server)
        self._health = _health_of(location, retry_seconds, warn_seconds)
        # Same key prefix, version and key function, so a key means the same on both.
        self._local = LocMemCache(
            f"redis-fallback:{location}",
            {**params, "OPTIONS": {"MAX_ENTRIES": local_entries}},
        )

    @property
    def degraded(self) -> bool:
        """True while this process serves the cache from its own memory."""
        return self._health.down_since is not None

    def _either(self, name: str, *args, **kwargs):
        if not self._health.skip():
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except UNAVAILABLE as exc:
                self._health.failed(exc)
            else:
                if self._health.answered():
                    self._local.clear()
                return result
        return getattr(self._local, name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._either("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._either("delete", key, version)

    def get_many(self, keys, version=None):
        return self._either("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._either("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._either("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._either("delete_many", keys, version)

    def clear(self):
        return self._either("clear")
