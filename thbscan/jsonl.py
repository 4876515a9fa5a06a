"""Reading JSON lines robustly: a bad line is reported by number and skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

MAX_LINE = 1_000_000


@dataclass(frozen=True)
class Line:
    number: int
    value: dict[str, Any] | None
    error: str | None = None


def read_jsonl(stream: IO[str], *, required: tuple[str, ...] = ()) -> Iterator[Line]:
    """Yield each line's object, or an error naming the line and the problem."""
    for number, raw in enumerate(stream, start=1):
        if len(raw) > MAX_LINE:
            yield Line(number, None, f"line {number}: longer than {MAX_LINE} characters; "
                                     "split the listing or shorten its text")
            continue
        stripped = raw.strip()
        if not stripped:
            continue
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield Line(number, None, f"line {number}: not valid JSON ({exc.msg} at column "
                                     f"{exc.colno}); each line must be one JSON object")
            continue
        if not isinstance(value, dict):
            yield Line(number, None, f"line {number}: expected a JSON object like "
                                     f'{{"title": ..., "text": ...}}, got {type(value).__name__}')
            continue
        problems = []
        for key in required:
            if key in value and not isinstance(value[key], str):
                problems.append(f"{key!r} must be a string, got {type(value[key]).__name__}")
        if required and not any(isinstance(value.get(k), str) and value[k].strip()
                                for k in required):
            problems.append(f"needs a non-empty {' or '.join(repr(k) for k in required)}")
        if problems:
            yield Line(number, None, f"line {number}: " + "; ".join(problems))
            continue
        yield Line(number, value)
