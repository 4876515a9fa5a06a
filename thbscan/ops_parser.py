"""The operations commands of the ``thbscan`` parser: doctor, backup, restore
(docs/operations.md)."""

from __future__ import annotations

import argparse
from typing import Any

from thbscan.parser import _db, _json, _lazy

# In the order `thbscan doctor` runs them (also the names `--skip` takes).
DOCTOR_CHECKS = (
    "config",
    "sources",
    "database",
    "migrations",
    "backup-tools",
    "secret-key",
    "pseudonym-key",
    "models",
    "indicators",
    "redis",
)

DOCTOR_EPILOG = """\
checks, one line each (ok, warn or FAIL, and what to run or set):
  config         the THBSCAN_* settings, the reason codes and denylist files
  sources        the crawler's source configs (THBSCAN_SOURCES_DIR)
  database       the database answers (--db, else THBSCAN_DATABASE_URL)
  migrations     the schema is at the newest revision (else: thbscan db upgrade)
  backup-tools   PostgreSQL only: pg_dump and pg_restore for thbscan backup/restore
  secret-key     THBSCAN_SECRET_KEY, the web sessions' and CSRF tokens' secret
  pseudonym-key  THBSCAN_PSEUDONYM_KEY, the HMAC key of stored identifiers
  models         every registered text model and calibration has its SHA-256
  indicators     the indicator lists are valid (as thbscan indicators validate; slow:
                 10-40 s, it runs every example through the whole catalogue)
  redis          THBSCAN_REDIS_URL answers, when it is set

exit status: 0 no check failed (warnings allowed); 1 at least one check failed.
"""

BACKUP_EPILOG = """\
SQLite: a copy made with SQLite's online backup API, one consistent snapshot taken while
other processes go on writing, checked with PRAGMA integrity_check; it is itself an
SQLite database. PostgreSQL: pg_dump --format=custom of the URL's schema (the first
schema of an options=-csearch_path=... in the URL, else the connection's current schema),
with the row counts of the same snapshot. The file holds personal data: it is created
readable by its owner only; keep it encrypted and delete it by your retention rules.

exit status: 0 written and checked; 1 the copy failed (the message says why; no partial
file is left); 2 refused or bad input (an existing --out without --force, no thbscan
database at --db).
"""

RESTORE_EPILOG = """\
The backup's kind (an SQLite file or a pg_dump archive) must match the --db URL's. A
PostgreSQL archive is restored into the URL's schema, which may differ from the schema it
was taken from; the restore is one transaction. A target that holds any row is not
overwritten unless --force is given; then its tables are replaced. Stop `thbscan serve`,
crawls and scoring on the target first.

exit status: 0 restored and checked; 1 the restore failed (the target is as it was for
PostgreSQL); 2 refused or bad input (a non-empty target without --force, a missing or
unreadable backup, a backup of the other database kind).
"""


def add_ops_commands(sub: Any) -> None:
    """``doctor``, ``backup`` and ``restore`` on the subcommands ``sub``."""
    p: argparse.ArgumentParser = sub.add_parser(
        "doctor",
        help="check the configuration, database, secrets, models and lists before running",
        description="Checks that thbscan can run unattended: each check prints one line, "
        "ok, warn or FAIL, with what to run or set. Use it before starting a service "
        "(ExecStartPre in systemd; docs/operations.md).",
        epilog=DOCTOR_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _db(p)
    p.add_argument(
        "--lists", metavar="DIR", help="indicator lists to validate (default: the bundled lists)"
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=DOCTOR_CHECKS,
        metavar="CHECK",
        help="leave out this check (repeatable), e.g. --skip indicators where nothing is "
        "scored; one of: " + ", ".join(DOCTOR_CHECKS),
    )
    _json(p)
    p.set_defaults(func=_lazy("doctor", "run_doctor"))

    p = sub.add_parser(
        "backup",
        help="back up the database to a file (SQLite online backup, or pg_dump)",
        description="Writes a backup of the database at --db to --out while thbscan goes "
        "on running.",
        epilog=BACKUP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _db(p)
    p.add_argument("--out", required=True, metavar="PATH", help="the backup file to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    _json(p)
    p.set_defaults(func=_lazy("backup", "run_backup"))

    p = sub.add_parser(
        "restore",
        help="restore a backup made by `thbscan backup` into a database",
        description="Restores the backup file --from into the database at --db and checks "
        "it (integrity, row counts, schema revision).",
        epilog=RESTORE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _db(p)
    p.add_argument("--from", dest="source", required=True, metavar="PATH", help="the backup file")
    p.add_argument("--force", action="store_true", help="replace the target's data if it holds any")
    _json(p)
    p.set_defaults(func=_lazy("backup", "run_restore"))
