"""Run-time settings: one object, read from ``THBSCAN_*`` environment variables, with every
default in one place. The composition root reads it and hands the values to the packages,
which read no environment of their own.

Secrets come only from the environment and have no defaults outside demo and test mode.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from models import ModelRegistry

MODES = ("production", "demo", "test")


class Settings(BaseSettings):
    """``THBSCAN_<NAME>`` for each field (``THBSCAN_DATABASE_URL``, ``THBSCAN_MODE``, ...)."""

    model_config = SettingsConfigDict(env_prefix="THBSCAN_", extra="ignore")

    database_url: str = "sqlite:///thbscan.db"
    # How long a batch command (crawl, score, link, ...) waits for a PostgreSQL server it
    # reached before to come back after it went away (a restart), in seconds
    db_reconnect_within: float = Field(default=60.0, ge=0)
    mode: Literal["production", "demo", "test"] = "production"
    secret_key: str = ""  # web sessions; required in production
    pseudonym_key: str = ""  # HMAC key of identifiers; required in production
    pseudonym_key_version: str = ""
    models_dir: Path | None = None  # text models and calibrations; default models/artifacts
    cache_dir: Path | None = None  # compiled catalogues; default ~/.cache/thbscan
    no_model: bool = False  # score without the text model
    reason_codes: Path | None = None  # the review UI's reason codes; default: the bundled list
    # the event log (JSON lines): a file, "-" for stderr, "off"; default events.jsonl in
    # production and demo, off in test mode
    event_log: str = ""
    # Crawling (also Scrapy settings of the same names; see crawler/settings.py)
    redis_url: str = ""
    redis_prefix: str = ""
    redis_run: str = ""
    redis_worker_ttl: str = ""
    denylist_file: str = ""
    sources_dir: str = ""

    def __repr__(self) -> str:  # never show the secrets
        return f"Settings(mode={self.mode!r}, database_url=<hidden>)"


# Crawl settings that the environment may set for every crawl (as Scrapy settings).
CRAWL_SETTINGS = (
    "redis_url",
    "redis_prefix",
    "redis_run",
    "redis_worker_ttl",
    "denylist_file",
    "sources_dir",
)


def settings() -> Settings:
    """The settings as the environment gives them now; a bad value ends the command with a
    message naming it."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"THBSCAN_{'_'.join(map(str, e['loc'])).upper()}={e.get('input')!r}: {e['msg']}"
            for e in exc.errors()
        )
        raise SystemExit(f"bad setting: {problems}") from None


def engine_for(url: str, **kwargs: object) -> Engine:
    """A database engine for a command or a crawl, waiting up to
    ``THBSCAN_DB_RECONNECT_WITHIN`` seconds for a PostgreSQL server that went away (the review
    UI passes its own, shorter wait)."""
    from store import create_engine_for

    kwargs.setdefault("reconnect_within", settings().db_reconnect_within)
    return create_engine_for(url, **kwargs)  # type: ignore[arg-type]


def mode() -> str:
    return settings().mode


def database_url(cli_value: str | None = None) -> str:
    return cli_value or settings().database_url


def secret_key(run_mode: str) -> str:
    key = settings().secret_key
    if not key and run_mode in ("demo", "test"):
        return secrets.token_urlsafe(32)
    return key


def registry() -> ModelRegistry:
    """The model registry: ``THBSCAN_MODELS_DIR`` (text models and calibrations with their
    manifest), else the bundled ``models/artifacts``."""
    from models import ModelRegistry  # here: the command line starts without it

    return ModelRegistry(settings().models_dir)
