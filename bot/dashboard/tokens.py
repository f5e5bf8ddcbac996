"""Signed tokens: ``base64url(json payload) . base64url(HMAC-SHA256(secret, purpose + payload))``.

The purpose is part of what is signed, so a token made for one use (a login link) can never be replayed as
another (a CSRF token). Verification compares in constant time and refuses anything malformed, including a second spelling of a
valid token (padding, trailing bits).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any

MAX_TOKEN = 1024


class BadToken(Exception):
    """A token that is malformed, or whose signature does not match."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"[A-Za-z0-9_-]+")


def _unb64(text: str) -> bytes:
    """Strict: unpadded base64url in its one canonical spelling (no ``=``, no other characters, no stray bits),
    so ``token + "=="`` or a token with a changed last bit is not read as the same token."""
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not the canonical spelling")
    return data


def mac(secret: bytes, purpose: str, data: bytes) -> bytes:
    return hmac.new(secret, purpose.encode() + b"\x00" + data, hashlib.sha256).digest()


def sign(secret: bytes, purpose: str, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(body)}.{_b64(mac(secret, purpose, body))}"


def unsign(secret: bytes, purpose: str, token: str) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN or token.count(".") != 1:
        raise BadToken("malformed")
    body_text, sig_text = token.split(".")
    try:
        body, sig = _unb64(body_text), _unb64(sig_text)
    except (binascii.Error, ValueError):
        raise BadToken("malformed") from None
    if not hmac.compare_digest(sig, mac(secret, purpose, body)):
        raise BadToken("bad signature")
    try:
        payload = json.loads(body)
    except ValueError:
        raise BadToken("malformed") from None
    if not isinstance(payload, dict):
        raise BadToken("malformed")
    return payload
