"""The review UI's commands of the ``thbscan`` parser: serve, users, audit."""

from __future__ import annotations

import argparse
from typing import Any

from thbscan.parser import _db, _json, _lazy


def add_review_commands(sub: Any) -> None:
    """``serve``, ``users`` and ``audit`` on the subcommands ``sub``."""
    p: argparse.ArgumentParser
    p = sub.add_parser("serve", help="serve the analyst review UI")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback address (put TLS in front)",
    )
    p.add_argument(
        "--proxy-headers",
        action="store_true",
        help="behind a TLS reverse proxy: trust its X-Forwarded-Proto and X-Forwarded-For "
        "(cookies then get Secure; login throttling sees the client's address)",
    )
    p.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar="IPS",
        help="comma-separated addresses of the proxies trusted with --proxy-headers "
        "(default 127.0.0.1)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (default 1; for a team, one per core, on PostgreSQL)",
    )
    _db(p)
    p.set_defaults(func=_lazy("web", "run_serve"))

    p = sub.add_parser("users", help="analyst accounts (no self-registration)")
    usub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    q = usub.add_parser("add", help="create a user; the password is read from stdin")
    q.add_argument("name")
    q.add_argument("--role", required=True, choices=["analyst", "lead", "admin", "auditor"])
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _db(q)
    _json(q)
    q.set_defaults(func=_lazy("accounts", "run_add"))
    q = usub.add_parser("list", help="list users")
    _db(q)
    _json(q)
    q.set_defaults(func=_lazy("accounts", "run_list"))
    q = usub.add_parser("disable", help="disable a user and end their sessions")
    q.add_argument("name")
    _db(q)
    q.set_defaults(func=_lazy("accounts", "run_disable"))

    p = sub.add_parser("audit", help="the audit log's exports")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    q = asub.add_parser(
        "verify",
        help="check an exported audit log (JSON lines from the review UI) is an intact chain",
    )
    q.add_argument("file", help="the export (audit-*.jsonl)")
    q.add_argument(
        "--expect",
        metavar="ID:HASH",
        help="the hash an earlier export gave event ID: nothing up to it may have changed",
    )
    _json(q)
    q.set_defaults(func=_lazy("audit_log", "run_verify"))
    q = asub.add_parser(
        "events",
        help="check an event log (THBSCAN_EVENT_LOG) line by line against the event "
        "definitions, or print their JSON Schema",
    )
    q.add_argument("file", nargs="?", help="the event log (JSON lines)")
    q.add_argument("--schema", action="store_true", help="print the schema of every kind")
    _json(q)
    q.set_defaults(func=_lazy("audit_log", "run_events"))
