"""Run-time configuration of the command line: database URL, mode, secrets.

Secrets come only from the environment and have no defaults outside demo and
test mode.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models import ModelRegistry

MODES = ("production", "demo", "test")


def mode() -> str:
    value = os.environ.get("THBSCAN_MODE", "production")
    if value not in MODES:
        raise SystemExit(f"THBSCAN_MODE={value!r} is not one of {', '.join(MODES)}")
    return value


def database_url(cli_value: str | None = None) -> str:
    from review_queue.db import default_database_url

    return cli_value or default_database_url()


def secret_key(run_mode: str) -> str:
    key = os.environ.get("THBSCAN_SECRET_KEY", "")
    if not key and run_mode in ("demo", "test"):
        return secrets.token_urlsafe(32)
    return key


def registry() -> ModelRegistry:
    """The model registry: ``$THBSCAN_MODELS_DIR`` (text models and calibrations with their
    manifest), else the bundled ``models/artifacts``."""
    from models import ModelRegistry  # here: the command line starts without it

    directory = os.environ.get("THBSCAN_MODELS_DIR")
    return ModelRegistry(Path(directory) if directory else None)
