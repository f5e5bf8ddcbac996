"""GitHub's example payloads (tests/github/examples, from octokit/webhooks) and signed deliveries of them."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).parent / "examples"


def example(action: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"issues.{action}.payload.json").read_text(encoding="utf-8"))


def labeled(name: str | None = None) -> dict[str, Any]:
    """``issues.labeled`` (the real example), its labels with the ``archived_at`` / ``archived_by`` fields that
    GitHub's current webhook description (and so githubkit's model) requires and the older example lacks;
    ``name``: another label name."""
    payload = example("labeled")

    def current(label: dict[str, Any]) -> dict[str, Any]:
        return {"archived_at": None, "archived_by": None, **label, **({"name": name} if name else {})}

    payload["label"] = current(payload["label"])
    payload["issue"] = {**payload["issue"], "labels": [current(label) for label in payload["issue"]["labels"]]}
    return payload


def closed(reason: str = "completed") -> dict[str, Any]:
    """``issues.closed``, made from the real ``reopened`` example (see examples/README.md); githubkit's
    ``WebhookIssuesClosed`` parses it (checked in test_receiver)."""
    payload = example("reopened")
    payload["action"] = "closed"
    payload["issue"] = {**payload["issue"], "state": "closed", "state_reason": reason,
                        "closed_at": "2021-10-12T09:00:00Z"}
    return payload


def signed(secret: str, payload: dict[str, Any]) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    return body, "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
