"""The OAuth2 tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived from
the server secret (``KUDOS_WEB_SECRET``) for this one use, so a database dump alone gives no member's token."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

PURPOSE = b"linked-roles-tokens-v1"


class TokenBox:
    def __init__(self, secret: bytes) -> None:
        self._key = base64.urlsafe_b64encode(hmac.new(secret, PURPOSE, hashlib.sha256).digest())
        self._box: Any = None

    @property
    def _fernet(self) -> Any:
        """The Fernet box, made on first use: ``cryptography`` (about 7 MB) is imported only by a server that links
        roles, not by every start."""
        if self._box is None:
            from cryptography.fernet import Fernet

            self._box = Fernet(self._key)
        return self._box

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The token, or None when it was sealed with another secret (the secret changed: link again)."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken:
            return None
