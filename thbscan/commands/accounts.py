"""``thbscan users add|list|disable``."""

from __future__ import annotations

import argparse
import sys

from review_queue.services.users import add_user, disable_user, list_users
from thbscan.commands.common import emit_json, open_db


def run_add(args: argparse.Namespace) -> int:
    if not args.password_stdin:
        raise SystemExit(
            "thbscan: pass --password-stdin and give the password on standard "
            "input (passwords are never taken as arguments)"
        )
    password = sys.stdin.readline().rstrip("\r\n")
    _engine, sessions = open_db(args.db, migrate=True)
    with sessions.begin() as session:
        user = add_user(session, args.name, args.role, password)
        result = {"user": user.name, "role": user.role}
    if args.json:
        emit_json(result)
    else:
        print(f"user {result['user']} added with role {result['role']}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    _engine, sessions = open_db(args.db)
    with sessions() as session:
        rows = [
            {"user": u.name, "role": u.role, "disabled": u.disabled} for u in list_users(session)
        ]
    if args.json:
        emit_json({"users": rows})
    else:
        for row in rows:
            print(f"{row['user']:<24} {row['role']:<10} {'disabled' if row['disabled'] else ''}")
    return 0


def run_disable(args: argparse.Namespace) -> int:
    _engine, sessions = open_db(args.db)
    with sessions.begin() as session:
        disable_user(session, args.name, actor="cli")
    print(f"user {args.name} disabled; their sessions have ended")
    return 0
