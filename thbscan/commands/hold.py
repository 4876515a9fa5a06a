"""``thbscan hold set|clear|list``: legal holds on review items and link groups, set and
cleared by leads and admins, audited (docs/retention.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_queue.db.models import User
from review_queue.services import holds
from review_queue.services.errors import InvalidInput, NotFound
from thbscan.commands.common import emit_json, open_db


def _target(session: Session, args: argparse.Namespace) -> tuple[str, int]:
    if args.item is not None:
        return "item", args.item
    if args.group is not None:
        return "group", args.group
    return "group", holds.group_of_item(session, args.group_of_item)


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(
            f"--by {name!r} is not a thbscan user: name the lead or admin doing it "
            "(thbscan users list)"
        )
    if user.disabled:
        raise InvalidInput(f"--by {name!r} is disabled: name an enabled lead or admin")
    return user


def _show(args: argparse.Namespace, hold: holds.Hold, done: str) -> None:
    if args.json:
        emit_json(hold.as_dict())
    else:
        covers = f", covering {hold.listings} listings" if hold.kind == "group" else ""
        print(f"{hold.kind} {hold.id}: legal hold {done}{covers if hold.held else ''}")


def _change(args: argparse.Namespace, change: Callable[..., holds.Hold], done: str) -> int:
    _engine, sessions = open_db(args.db)
    with sessions.begin() as session:
        kind, target = _target(session, args)
        hold = change(session, _user(session, args.by), kind, target, args.reason)
    _show(args, hold, done)
    return 0


def run_set(args: argparse.Namespace) -> int:
    return _change(args, holds.set_hold, "set")


def run_clear(args: argparse.Namespace) -> int:
    return _change(args, holds.clear_hold, "cleared")


def run_list(args: argparse.Namespace) -> int:
    _engine, sessions = open_db(args.db)
    with sessions() as session:
        rows = holds.holds(session)
    if args.json:
        emit_json({"holds": [h.as_dict() for h in rows]})
        return 0
    if not rows:
        print("no legal holds")
    for h in rows:
        when = f"{h.at:%Y-%m-%d}" if h.at else "?"
        print(f"{h.kind} {h.id}: since {when} by {h.by}, {h.listings} listings: {h.reason}")
    return 0
