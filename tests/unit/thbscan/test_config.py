"""The settings: one object from THBSCAN_* variables, defaults in one place, bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest

from indicator_lists import compile as compile_mod
from thbscan import config


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "MODE",
        "CACHE_DIR",
        "NO_MODEL",
        "REDIS_URL",
        "DB_RECONNECT_WITHIN",
    ):
        monkeypatch.delenv(f"THBSCAN_{name}", raising=False)
    given = config.settings()
    assert given.database_url == "sqlite:///thbscan.db" and given.mode == "production"
    assert config.database_url("sqlite:///other.db") == "sqlite:///other.db"  # --db wins
    monkeypatch.setenv("THBSCAN_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/db")
    monkeypatch.setenv("THBSCAN_NO_MODEL", "1")
    monkeypatch.setenv("THBSCAN_REDIS_URL", "redis://127.0.0.1:6379/0")
    given = config.settings()
    assert given.database_url.startswith("postgresql") and given.no_model
    assert given.redis_url == "redis://127.0.0.1:6379/0"
    assert "postgresql" not in repr(given)  # a URL may hold a password
    assert given.db_reconnect_within == 60.0  # a restarting PostgreSQL is waited for 60 s


def test_a_bad_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THBSCAN_MODE", "staging")
    with pytest.raises(SystemExit, match="THBSCAN_MODE='staging'"):
        config.mode()
    monkeypatch.delenv("THBSCAN_MODE")
    monkeypatch.setenv("THBSCAN_DB_RECONNECT_WITHIN", "-5")
    with pytest.raises(SystemExit, match="THBSCAN_DB_RECONNECT_WITHIN='-5'"):
        config.settings()


def test_secrets_have_no_default_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THBSCAN_SECRET_KEY", raising=False)
    assert config.secret_key("production") == ""
    assert len(config.secret_key("demo")) >= 32  # generated, per run


@pytest.mark.slow  # a cold compile of the catalogue
def test_the_cache_directory_setting_reaches_the_compiler(monkeypatch, tmp_path: Path) -> None:
    from thbscan.assets import load_scorer

    monkeypatch.setenv("THBSCAN_CACHE_DIR", str(tmp_path))
    try:
        load_scorer(model=False)
        assert list(tmp_path.glob("compiled-*.json"))
    finally:
        compile_mod.set_cache_dir(None)
