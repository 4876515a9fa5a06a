"""``thbscan data-register``: every stored column of every table with its data category and
retention class, and what those mean (R08-R10; the register is :mod:`store.register`)."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import MetaData

from review_queue.db.models import MIGRATION_TABLES
from store import Base, register
from thbscan.commands.common import emit_json, err


def schema() -> list[MetaData]:
    """The whole schema the migrations create: the store's and the queue's tables (one
    ``Base``) and alembic's own."""
    return [Base.metadata, MIGRATION_TABLES]


def run_data_register(args: argparse.Namespace) -> int:
    tables = schema()
    if args.json:
        emit_json(register.to_json(tables))
    else:
        sys.stdout.write(register.to_markdown(tables))
    problems = register.problems(tables)
    for problem in problems:
        err(f"data register: {problem}")
    return 1 if problems else 0
