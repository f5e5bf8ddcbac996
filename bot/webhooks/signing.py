"""The ``Kudos-Signature`` header: HMAC-SHA256 over ``<timestamp>.<body>`` with the endpoint's secret.

``Kudos-Signature: t=1767225600,v1=5f2b…`` — ``t`` is the Unix time of the attempt, ``v1`` the lowercase hex
HMAC-SHA256 of the bytes ``f"{t}.".encode() + body``. A receiver recomputes it over the raw body, compares in
constant time, and refuses a ``t`` more than :data:`REPLAY_WINDOW` away from its own clock (docs/webhooks.md
has the recipe). Several ``v1=`` values may appear while a secret is being rotated; any one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

HEADER = "Kudos-Signature"
REPLAY_WINDOW = timedelta(minutes=5)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, at: datetime, body: bytes) -> str:
    """The header's value for a delivery attempt made at ``at``."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: datetime,
           window: timedelta = REPLAY_WINDOW) -> bool:
    """The receiver's check (the recipe of docs/webhooks.md, in Python): a well-formed header whose ``t`` is
    within ``window`` of ``now`` and one of whose ``v1`` values is the body's signature."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs(now.timestamp() - timestamp) > window.total_seconds():
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
