"""``thbscan audit verify``: check an exported audit log's hash chain; ``thbscan audit
events``: check an event log against the event definitions."""

from __future__ import annotations

import argparse
import json
import sys

from review_queue.domain import events
from review_queue.services.audit import verify
from thbscan.commands.common import emit_json, err


def _hash_of(path: str, event_id: str) -> str | None:
    """The hash the export gives event ``event_id`` (None when it is not there)."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                if str(record.get("id")) == event_id:
                    return str(record.get("hash"))
    return None


def run_verify(args: argparse.Namespace) -> int:
    try:
        with open(args.file, encoding="utf-8") as lines:
            result = verify(lines)
        problem = result.error
        if problem is None and args.expect:
            event_id, _, expected = args.expect.partition(":")
            found = _hash_of(args.file, event_id)
            if found is None:
                problem = f"event {event_id} is not in this export"
            elif found != expected:
                problem = f"event {event_id} has another hash than before: the log was changed"
    except (OSError, UnicodeDecodeError) as exc:
        err(f"{args.file}: cannot read the export ({exc.__class__.__name__}: {exc})")
        return 2
    if args.json:
        emit_json(
            {
                "events": result.events,
                "head": result.head,
                "intact": problem is None,
                "error": problem,
                "purged_through": result.purged_through,
            }
        )
    elif problem is None:
        after = (
            f" (events up to {result.purged_through} were purged; the chain goes on from "
            "the purge's anchor)"
            if result.purged_through is not None
            else ""
        )
        print(f"{result.events} events, chain intact; head {result.head}{after}")
    else:
        print(f"not intact after {result.events} events: {problem}", file=sys.stderr)
    return 0 if problem is None else 1


def run_events(args: argparse.Namespace) -> int:
    if args.schema:
        emit_json(events.schema())
        return 0
    if not args.file:
        err("name the event log to check, or give --schema")
        return 2
    kinds: dict[str, int] = {}
    problem = None
    try:
        with open(args.file, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    kind = events.parse(line).kind
                except ValueError as exc:
                    problem = f"line {number}: {exc}"
                    break
                kinds[kind] = kinds.get(kind, 0) + 1
    except (OSError, UnicodeDecodeError) as exc:
        err(f"{args.file}: cannot read the event log ({exc.__class__.__name__}: {exc})")
        return 2
    if args.json:
        emit_json(
            {"events": sum(kinds.values()), "kinds": kinds, "valid": not problem, "error": problem}
        )
    elif problem is None:
        print(f"{sum(kinds.values())} events, each matches its definition")
    else:
        print(f"{args.file}: {problem}", file=sys.stderr)
    return 0 if problem is None else 1
