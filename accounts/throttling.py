"""Sign-in throttle: failed password checks counted per username and per client address.

One mechanism for every door that takes a password: the API token endpoint
(``accounts.api.views.ObtainTokenView``), the login page and the admin login
(``accounts.forms``).

Two buckets, both counting failures only, in windows of ``LOGIN_FAILURE_WINDOW`` seconds
aligned to the clock (so a full bucket's window ends at a known moment, told in the refusal
and in ``Retry-After``):

- per username, ``LOGIN_FAILURES_PER_USERNAME`` (low): once full, that username is refused
  from every address until the window ends, so guessing one account's password from many
  addresses gets nowhere;
- per client address, ``LOGIN_FAILURES_PER_ADDRESS`` (higher): once full, every username is
  refused from that address, so trying many accounts from one address gets nowhere, while an
  office whose people all sit behind one NAT address keeps room for their typos.

A limit of 0 turns that bucket off.

An attempt takes a place in both buckets before the password is checked (``cache.add`` +
``cache.incr``, atomic in Redis and in the local-memory cache), so parallel requests cannot all
pass a check made before any of them failed; a correct password gives the places back, and an
attempt the throttle refuses never keeps one. So successful sign-ins cost nothing and refused
attempts are not failures: someone failing 40 times from an address fills their username's
bucket after ``LOGIN_FAILURES_PER_USERNAME`` failures and adds nothing after that, and a
colleague behind the same address still signs in.

Cache keys hold an HMAC (keyed with ``SECRET_KEY``) of the username and of the address, never
the text a client sent.
"""

import datetime
import ipaddress
import math
import time
import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings

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
    """Too many failed sign-ins: ``wait`` whole seconds until the window ends, ``message`` in
    the active language."""

    def __init__(self, ends: float, now: float):
        self.wait = max(1, math.ceil(ends - now))
        moment = timezone.localtime(datetime.datetime.fromtimestamp(ends, tz=datetime.UTC))
        self.message = _("登录失败次数过多，请在 %(minutes)d 分钟后（%(time)s 以后）重试。") % {
            "minutes": math.ceil(self.wait / 60),
            "time": moment.strftime("%H:%M"),
        }
        super().__init__(self.message)


class Attempt:
    """A password check under way, holding a place in each bucket. Unless ``succeeded`` is
    called, the places stay taken: the attempt counts as a failure."""

    def __init__(self, keys: list[str]):
        self._keys = keys

    def succeeded(self) -> None:
        keys, self._keys = self._keys, []
        for key in keys:
            _give_back(key)


def begin(request, username: str) -> Attempt:
    """Take a place for a sign-in of ``username`` from ``request``'s client, or raise
    ``Refused`` when either bucket is full (taking nothing)."""
    now = time.time()
    length = settings.LOGIN_FAILURE_WINDOW
    window = int(now // length)
    ends = (window + 1) * length
    buckets = [
        (_key("username", _normalise(username), window), settings.LOGIN_FAILURES_PER_USERNAME),
        (
            _key("address", _network(client_address(request)), window),
            settings.LOGIN_FAILURES_PER_ADDRESS,
        ),
    ]
    buckets = [(key, limit) for key, limit in buckets if limit > 0]

    counts = cache.get_many([key for key, _limit in buckets])
    if any(counts.get(key, 0) >= limit for key, limit in buckets):
        raise Refused(ends, now)
    taken: list[str] = []
    for key, limit in buckets:
        taken.append(key)
        # The key outlives its window, so it never expires between add and incr.
        if _take(key, timeout=2 * length) > limit:
            for done in taken:
                _give_back(done)
            raise Refused(ends, now)
    return Attempt(taken)


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
