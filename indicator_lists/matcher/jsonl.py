"""Reading JSON lines robustly: a bad line is reported by number and the rest go on.

Lines are read as bytes, so that invalid UTF-8 in one line spoils only that line; each line
is then decoded, parsed and checked on its own. Nothing a line holds ends the run: invalid
UTF-8, lone surrogates (``"\\ud800"``), nesting deep enough to exhaust the parser, overlong
lines all become an error naming the line and what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

MAX_LINE = 1_000_000
MAX_DEPTH = 64
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Line:
    number: int
    value: dict[str, Any] | None
    error: str | None = None


def _raw_lines(stream: IO[Any]) -> Iterator[bytes]:
    """The stream's lines as bytes (text streams are read through their byte buffer)."""
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        yield from binary
        return
    for line in stream:
        yield line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")


def _depth(raw: str) -> int:
    """How deeply brackets nest in ``raw`` (outside strings): a cheap guard before parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _surrogate_problem(value: Any, path: str = "") -> str | None:
    """Where a string in ``value`` holds a lone surrogate, or None."""
    if isinstance(value, str):
        m = _SURROGATE_RE.search(value)
        if m is not None:
            return (
                f"{path or 'the value'} holds a lone surrogate (\\u{ord(m.group()):04x}) "
                f"at character {m.start()}"
            )
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _surrogate_problem(
                key, f"a key of {path or 'the object'}"
            ) or _surrogate_problem(item, f"{path}.{key}" if path else repr(key))
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _surrogate_problem(item, f"{path}[{i}]")
            if found:
                return found
    return None


def parse_line(number: int, raw: bytes, required: tuple[str, ...] = ()) -> Line | None:
    """One line's object or error; None for a blank line."""
    if len(raw) > MAX_LINE:
        return Line(
            number,
            None,
            f"line {number}: longer than {MAX_LINE} bytes; split the listing or shorten its text",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Line(
            number,
            None,
            f"line {number}: not valid UTF-8 (byte {exc.start + 1}: "
            f"{raw[exc.start : exc.start + 1]!r}); re-encode the input "
            "as UTF-8",
        )
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        return None
    if _depth(stripped) > MAX_DEPTH:
        return Line(
            number,
            None,
            f"line {number}: JSON nested more than {MAX_DEPTH} levels "
            "deep; a listing is one flat object",
        )
    try:
        value = json.loads(stripped)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = (
            f" ({exc.msg} at column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        )
        return Line(
            number, None, f"line {number}: not valid JSON{where}; each line must be one JSON object"
        )
    if not isinstance(value, dict):
        return Line(
            number,
            None,
            f"line {number}: expected a JSON object like "
            f'{{"title": ..., "text": ...}}, got {type(value).__name__}',
        )
    surrogate = _surrogate_problem(value)
    if surrogate:
        return Line(
            number,
            None,
            f"line {number}: {surrogate}; send valid Unicode text "
            "(a surrogate must be half of a pair)",
        )
    problems = []
    for key in required:
        if key in value and value[key] is not None and not isinstance(value[key], str):
            problems.append(f"{key!r} must be a string, got {type(value[key]).__name__}")
    if required and not any(isinstance(value.get(k), str) and value[k].strip() for k in required):
        problems.append(f"needs a non-empty {' or '.join(repr(k) for k in required)}")
    if problems:
        return Line(number, None, f"line {number}: " + "; ".join(problems))
    return Line(number, value)


def read_jsonl(stream: IO[Any], *, required: tuple[str, ...] = ()) -> Iterator[Line]:
    """Yield each line's object, or an error naming the line and the problem."""
    for number, raw in enumerate(_raw_lines(stream), start=1):
        line = parse_line(number, raw, required)
        if line is not None:
            yield line
