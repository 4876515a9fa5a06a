"""``thbscan db upgrade``: create or migrate the database schema."""

from __future__ import annotations

import argparse

from review_queue.db import upgrade
from store import create_engine_for
from thbscan import config
from thbscan.commands.common import emit_json


def run_upgrade(args: argparse.Namespace) -> int:
    url = config.database_url(args.db)
    engine = create_engine_for(url)
    revision = upgrade(engine)
    safe = engine.url.render_as_string(hide_password=True)
    if args.json:
        emit_json({"database": safe, "revision": revision})
    else:
        print(f"database {safe} is at revision {revision}")
    return 0
