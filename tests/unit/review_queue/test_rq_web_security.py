"""The web app's secret-key check (R22)."""

from __future__ import annotations

import pytest

from review_queue.web.security import check_secret_key, sign, tokens_match


@pytest.mark.parametrize("key", [None, "", "short", "a" * 64, "changeme" * 5])
def test_weak_key_refused_in_production(key: str | None) -> None:
    with pytest.raises(ValueError, match="THBSCAN_SECRET_KEY") as info:
        check_secret_key(key, "production")
    assert "secrets.token_urlsafe" in str(info.value)


def test_demo_and_test_generate_a_key() -> None:
    for mode in ("demo", "test"):
        key = check_secret_key(None, mode)
        assert len(key) >= 32


def test_strong_key_kept_and_unknown_mode_refused() -> None:
    key = "k3Jd9-xQ2mZ7pL0vR8sT1uW4yA6bC5eF"
    assert check_secret_key(key, "production") == key
    with pytest.raises(ValueError, match="mode 'prod'"):
        check_secret_key(key, "prod")


def test_tokens_match() -> None:
    token = sign("secret" * 8, "login", "nonce")
    assert tokens_match(token, token)
    assert not tokens_match(token, token[:-1] + "0")
    assert not tokens_match(token, None)
    assert not tokens_match(None, token)
    assert not tokens_match(token, "")
