"""The OAuth2 tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived from
the server secret (``KUDOS_WEB_SECRET``) for this one use, so a database dump alone gives no member's token."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

PURPOSE = b"linked-roles-tokens-v1"


class TokenBox:
    def __init__(self, secret: bytes) -> None:
        key = hmac.new(secret, PURPOSE, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The token, or None when it was sealed with another secret (the secret changed: link again)."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken:
            return None
