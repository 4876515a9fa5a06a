"""Template rendering with the values every page needs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
BANDS = ("urgent", "high", "medium", "low")  # the scorer's bands (nlp/scoring.toml)


def utc(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def band_class(band: str | None) -> str:
    """A CSS class for a band name; only names we know become classes."""
    return f"band-{band}" if band in BANDS else "band-other"


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its file name (R20)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates ship with the package: no disk check on every render.
        auto_reload=False,
    )
    env.filters["utc"] = utc
    env.filters["band_class"] = band_class
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    auth = getattr(request.state, "auth", None)
    values: dict[str, Any] = {
        "auth": auth,
        "csrf_token": auth.csrf_token if auth else "",
        "mode": request.app.state.settings.mode,
        "stop_switch": getattr(request.state, "stop_switch", None) if auth else None,
    }
    values.update(context or {})
    return request.app.state.templates.TemplateResponse(
        request, name, values, status_code=status_code
    )
