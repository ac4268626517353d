"""The signature of a delivery: HMAC-SHA256 with the subscription's secret over
``"<timestamp>.<body>"``, sent as ``X-Signature: t=<unix seconds>,v1=<hex>``.

The timestamp is part of what is signed, so a receiver that refuses old timestamps (five
minutes, say) cannot be fed a recorded delivery again.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Signature"
EVENT_ID_HEADER = "X-Event-Id"
EVENT_NAME_HEADER = "X-Event-Name"
#: what a receiver may accept as the age of a signature, in seconds (receivers choose)
TOLERANCE = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for ``body`` signed now (or at ``timestamp``)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, tolerance: int = TOLERANCE) -> bool:
    """What a receiver does: the header parses, is recent, and one ``v1`` matches."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))
