"""``thbscan db upgrade``: create or migrate the database schema, then take identifiers out
of any text an older thbscan stored in clear (R09)."""

from __future__ import annotations

import argparse

from thbscan import config
from thbscan.commands.common import emit_json, migrate_and_redact


def run_upgrade(args: argparse.Namespace) -> int:
    url = config.database_url(args.db)
    engine = config.engine_for(url)
    revision, rewritten = migrate_and_redact(engine, quiet=args.json)
    safe = engine.url.render_as_string(hide_password=True)
    if args.json:
        emit_json({"database": safe, "revision": revision, "versions_redacted": rewritten})
    else:
        print(f"database {safe} is at revision {revision}")
        if rewritten:
            print(f"identifiers taken out of the text of {rewritten} stored versions")
    return 0
