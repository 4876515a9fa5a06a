"""Reason codes offered for each outcome (``reason_codes.toml``, or a file of the same form
that the composition root names)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

DEFAULT = Path(__file__).with_name("reason_codes.toml")
OUTCOMES = ("dismiss", "escalate")
CODE = re.compile(r"[a-z0-9_]{1,40}")

ReasonCodes = Mapping[str, Mapping[str, str]]  # outcome -> code -> text


def load(path: Path | None = None) -> ReasonCodes:
    """The reason codes in ``path`` (default: the bundled list); ValueError naming the
    file and the entry when one is malformed."""
    path = path or DEFAULT
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"reason codes {path}: {exc}") from exc
    codes: dict[str, dict[str, str]] = {}
    for outcome in OUTCOMES:
        table = data.get(outcome)
        if not isinstance(table, dict) or not table:
            raise ValueError(f"reason codes {path}: give a [{outcome}] table with codes")
        for code, text in table.items():
            if not CODE.fullmatch(code) or not isinstance(text, str) or not text.strip():
                raise ValueError(
                    f"reason codes {path}: [{outcome}] {code!r} needs a name of a-z, 0-9 "
                    "and _ (at most 40) and a text"
                )
        codes[outcome] = {code: text.strip() for code, text in table.items()}
    unknown = sorted(set(data) - set(OUTCOMES))
    if unknown:
        raise ValueError(f"reason codes {path}: unknown table(s) {', '.join(unknown)}")
    return codes
