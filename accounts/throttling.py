"""Sign-in lockout: failed password checks counted per username and per client address; a
full count locks that username (or address) for ``LOGIN_LOCKOUT_MINUTES``.

One mechanism for every door that takes a password: the API token endpoint
(``accounts.api.views.ObtainTokenView``), the login page and the admin login
(``accounts.forms``).

Two buckets, both counting failures only, in windows of ``LOGIN_FAILURE_WINDOW_MINUTES``
aligned to the clock:

- per username, ``LOGIN_FAILURE_LIMIT`` (low): the failure that fills it locks that username
  from every address, so guessing one account's password from many addresses gets nowhere;
- per client address, ``LOGIN_FAILURES_PER_ADDRESS`` (higher): the failure that fills it locks
  the address for every username, so trying many accounts from one address gets nowhere, while
  an office whose people all sit behind one NAT address keeps room for their typos.

A lock (``accounts.models.Lockout``) lasts ``LOGIN_LOCKOUT_MINUTES`` from the failure that
started it, whatever password is tried meanwhile, unless a security administrator unlocks it
(``unlock``); ``accounts.signals.user_locked_out`` is sent when it starts. A limit of 0 turns
that bucket off.

An attempt takes a place in both buckets before the password is checked (``cache.add`` +
``cache.incr``, atomic in Redis and in the local-memory cache), so parallel requests cannot all
pass a check made before any of them failed; a correct password gives the places back, and an
attempt refused never keeps one. So successful sign-ins cost nothing and refused attempts are
not failures: someone failing 40 times from an address locks their username after
``LOGIN_FAILURE_LIMIT`` failures and adds nothing after that, and a colleague behind the same
address still signs in.

Cache keys hold an HMAC (keyed with ``SECRET_KEY``) of the username and of the address, never
the text a client sent.
"""

import datetime
import ipaddress
import math
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings

from accounts import signals
from accounts.models import Lockout

KEY_PREFIX = "signin-failures"


def client_address(request) -> str:
    """The address a request came from: the peer (``REMOTE_ADDR``) when no proxy is trusted;
    behind ``NUM_PROXIES`` trusted proxies (setting ``TRUSTED_PROXY_COUNT``), the entry of
    ``X-Forwarded-For`` that the outermost of them added. Entries a client writes into the
    header itself come before those and are never read.

    The same rule as DRF's ``BaseThrottle.get_ident`` with ``NUM_PROXIES`` set; every place
    that needs a client's address uses this function."""
    peer = request.META.get("REMOTE_ADDR", "")
    trusted = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if trusted <= 0 or not forwarded:
        return peer
    entries = forwarded.split(",")
    return entries[-min(trusted, len(entries))].strip()


class Refused(Exception):
    """Locked: ``wait`` whole seconds until ``ends`` (a datetime), ``message`` in the active
    language, ``kind`` the lock's (username or address)."""

    def __init__(self, ends: datetime.datetime, now: datetime.datetime, kind: str):
        self.wait = max(1, math.ceil((ends - now).total_seconds()))
        self.kind = kind
        values = {
            "minutes": math.ceil(self.wait / 60),
            "time": timezone.localtime(ends).strftime("%H:%M"),
        }
        if kind == Lockout.Kind.ADDRESS:
            text = _(
                "登录失败次数过多，您所在的网络地址已被锁定，请在 %(minutes)d 分钟后"
                "（%(time)s 以后）重试，或联系安全管理员解锁。"
            )
        else:
            text = _(
                "登录失败次数过多，该账号已被锁定，请在 %(minutes)d 分钟后"
                "（%(time)s 以后）重试，或联系安全管理员解锁。"
            )
        self.message = text % values
        super().__init__(self.message)


class Attempt:
    """A password check under way, holding a place in each bucket. ``succeeded`` gives the
    places back; ``failed`` keeps them and locks each bucket it fills."""

    def __init__(self, request, username: str, buckets: list[tuple[str, int, str, str]]):
        self._request = request
        self._username = username
        self._buckets = buckets

    def succeeded(self) -> None:
        buckets, self._buckets = self._buckets, []
        for key, _limit, _kind, _value in buckets:
            _give_back(key)

    def failed(self) -> None:
        buckets, self._buckets = self._buckets, []
        now = timezone.now()
        for key, limit, kind, value in buckets:
            if (cache.get(key) or 0) >= limit:
                _lock(self._request, self._username, kind, value, now)
                cache.delete(key)  # counting starts afresh when the lock ends


def begin(request, username: str) -> Attempt:
    """Take a place for a sign-in of ``username`` from ``request``'s client, or raise
    ``Refused`` when the username or the address is locked, or either bucket is full (taking
    nothing)."""
    now = timezone.now()
    length = _window_seconds()
    window = int(now.timestamp() // length)
    values = {
        Lockout.Kind.USERNAME: _normalise(username),
        Lockout.Kind.ADDRESS: _network(client_address(request)),
    }
    lock = active_locks(values, now).first()
    if lock is not None:
        raise Refused(lock.until, now, lock.kind)
    limits = {
        Lockout.Kind.USERNAME: settings.LOGIN_FAILURE_LIMIT,
        Lockout.Kind.ADDRESS: settings.LOGIN_FAILURES_PER_ADDRESS,
    }
    buckets = [
        (_key(kind, values[kind], window), limit, kind, values[kind])
        for kind, limit in limits.items()
        if limit > 0
    ]

    counts = cache.get_many([key for key, *_rest in buckets])
    for key, limit, kind, _value in buckets:
        if counts.get(key, 0) >= limit:  # full, the lock being written by a parallel attempt
            raise Refused(now + _lockout(), now, kind)
    taken: list[str] = []
    for key, limit, kind, _value in buckets:
        taken.append(key)
        # The key outlives its window, so it never expires between add and incr.
        if _take(key, timeout=2 * length) > limit:
            for done in taken:
                _give_back(done)
            raise Refused(now + _lockout(), now, kind)
    return Attempt(request, username, buckets)


def active_locks(values: dict[str, str] | None = None, now: datetime.datetime | None = None):
    """Locks in force (of these usernames/addresses, by kind, when given), latest end first."""
    locks = Lockout.objects.filter(unlocked_at__isnull=True, until__gt=now or timezone.now())
    if values is not None:
        match = Q(pk__in=[])
        for kind, value in values.items():
            match |= Q(kind=kind, value=value)
        locks = locks.filter(match)
    return locks.order_by("-until")


def unlock(lock: Lockout, *, by, request=None) -> None:
    """End a lock now (a security administrator's act) and forget the failures that made it,
    so the next attempt starts afresh."""
    now = timezone.now()
    Lockout.objects.filter(
        kind=lock.kind, value=lock.value, unlocked_at__isnull=True, until__gt=now
    ).update(unlocked_at=now, unlocked_by=by)
    window = int(now.timestamp() // _window_seconds())
    cache.delete_many([_key(lock.kind, lock.value, w) for w in (window - 1, window)])
    user = None
    if lock.kind == Lockout.Kind.USERNAME:
        user = _account(lock.value)
    signals.account_unlocked.send(
        sender=Lockout,
        user=user,
        by=by,
        request=request,
        username=lock.value if lock.kind == Lockout.Kind.USERNAME else None,
        ip_address=lock.value if lock.kind == Lockout.Kind.ADDRESS else None,
    )


def _lock(request, username: str, kind: str, value: str, now: datetime.datetime) -> None:
    until = now + _lockout()
    if active_locks({kind: value}, now).exists():
        return
    Lockout.objects.create(
        kind=kind, value=value, ip_address=client_address(request), locked_at=now, until=until
    )
    is_username = kind == Lockout.Kind.USERNAME
    signals.user_locked_out.send(
        sender=Lockout,
        user=_account(value) if is_username else None,
        by=None,
        request=request,
        username=username if is_username else None,
        ip_address=client_address(request),
        until=until,
        kind=kind,
    )


def _account(normalised_username: str):
    User = get_user_model()  # noqa: N806
    return User.objects.filter(username__iexact=normalised_username).first()


def _window_seconds() -> int:
    return max(1, int(settings.LOGIN_FAILURE_WINDOW_MINUTES * 60))


def _lockout() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _network(address: str) -> str:
    """What one client holds: an IPv4 address, or the /64 an IPv6 address lies in (a single
    subscriber is routinely given a whole /64 and could walk through it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def _normalise(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _key(kind: str, value: str, window: int) -> str:
    digest = salted_hmac(f"{KEY_PREFIX}.{kind}", value, algorithm="sha256").hexdigest()
    return f"{KEY_PREFIX}:{kind}:{digest}:{window}"


def _take(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # gone in between (the cache was cleared): start it again
        cache.add(key, 0, timeout)
        return cache.incr(key)


def _give_back(key: str) -> None:
    try:
        cache.decr(key)
    except ValueError:  # gone already: nothing to give back
        pass
