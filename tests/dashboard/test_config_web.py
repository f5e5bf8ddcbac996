"""``[web]`` config and the dashboard secret."""

from __future__ import annotations

import pytest

from bot.dashboard import secret_from_env
from bot.platform.config import ConfigError, parse_config


def test_web_is_off_by_default_and_validated() -> None:
    cfg = parse_config({}, source="t")
    assert cfg.web.enabled is False and cfg.web.host == "127.0.0.1" and cfg.web.public_url == ""
    cfg = parse_config({"web": {"enabled": True, "port": 0, "public_url": "https://kudos.example.com/"}}, source="t")
    assert cfg.web.public_url == "https://kudos.example.com"
    with pytest.raises(ConfigError, match="web.public_url"):
        parse_config({"web": {"public_url": "javascript:alert(1)"}}, source="t")


@pytest.mark.parametrize("key", ["secret", "session_secret", "password"])
def test_secrets_are_refused_in_the_file(key: str) -> None:
    with pytest.raises(ConfigError, match="KUDOS_WEB_SECRET"):
        parse_config({"web": {key: "x" * 40}}, source="t")


def test_secret_from_env() -> None:
    secret, ephemeral = secret_from_env({"KUDOS_WEB_SECRET": "s" * 40})
    assert secret == b"s" * 40 and not ephemeral
    one, eph1 = secret_from_env({})
    two, _ = secret_from_env({})
    assert eph1 and one != two and len(one) == 32
    with pytest.raises(ValueError, match="at least 32"):
        secret_from_env({"KUDOS_WEB_SECRET": "short"})
