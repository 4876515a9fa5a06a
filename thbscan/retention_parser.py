"""The retention commands of the ``thbscan`` parser: purge, and the legal holds that stop it
(docs/retention.md)."""

from __future__ import annotations

import argparse
from typing import Any

from thbscan.parser import _db, _json, _lazy, _user

PURGE_DESCRIPTION = """\
Deletes what has expired by the data register's retention classes (docs/data-register.md) in
every store: listings and their versions, scores, review items, identifiers, linking rows,
decisions and the audit log after their 5 years, sessions, login throttling, fetch
validators, crawl runs, expired crawl locks, stopped watches, disabled accounts nothing names,
and the Redis frontiers of sources not crawled within 90 days. A listing version that a
decision within its 5 years was made on stays, with its listing; so does everything a legal
hold covers (`thbscan hold`). Deletes in batches, in dependency order; a second run deletes
nothing. Records the counts per table (no personal data) in the audit log.
"""


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: give a whole number of at least 1")
    return number


def _hold_target(p: argparse.ArgumentParser) -> None:
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--item", type=_positive, metavar="N", help="review item number N")
    target.add_argument(
        "--group", type=_positive, metavar="N", help="link group (persona) number N"
    )
    target.add_argument(
        "--group-of-item",
        type=_positive,
        metavar="N",
        help="the link group (persona) that review item N's listing is in",
    )
    p.add_argument(
        "--reason", required=True, metavar="TEXT", help="why: the request or case it is for"
    )
    p.add_argument(
        "--by",
        metavar="NAME",
        default=_user(),
        help="the lead or admin doing it, a thbscan user (default: the login name)",
    )
    _db(p)
    _json(p)


def add_retention_commands(sub: Any) -> None:
    """``purge`` and ``hold set|clear|list`` on the subcommands ``sub``."""
    p: argparse.ArgumentParser = sub.add_parser(
        "purge",
        help="delete what has expired by the retention classes (R10)",
        description=PURGE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--dry-run", action="store_true", help="count what would be deleted; delete nothing"
    )
    p.add_argument(
        "--batch-size",
        type=_positive,
        default=1000,
        metavar="N",
        help="rows (listings, for the archive) deleted per transaction (default 1000)",
    )
    p.add_argument(
        "--redis",
        metavar="URL",
        help="the crawlers' Redis (default: $THBSCAN_REDIS_URL; neither: Redis is left alone)",
    )
    p.add_argument(
        "--redis-prefix",
        metavar="PREFIX",
        help="the frontier keys' prefix (default: $THBSCAN_REDIS_PREFIX or thbscan)",
    )
    # for tests only (THBSCAN_MODE=test): purge as if it were this moment
    p.add_argument("--now", help=argparse.SUPPRESS)
    _db(p)
    _json(p)
    p.set_defaults(func=_lazy("purge", "run_purge"))

    p = sub.add_parser(
        "hold",
        help="legal holds: keep a review item or a link group from being purged",
        description="A lead or admin puts a review item, or a link group (a persona), on "
        "legal hold: `thbscan purge` then deletes nothing it needs (its listing versions, "
        "listings, items and decisions) until the hold is cleared. Each change is audited.",
    )
    hsub = p.add_subparsers(dest="hold_command", metavar="ACTION", required=True)
    q = hsub.add_parser("set", help="put an item or a group on legal hold")
    _hold_target(q)
    q.set_defaults(func=_lazy("hold", "run_set"))
    q = hsub.add_parser("clear", help="end the legal hold on an item or a group")
    _hold_target(q)
    q.set_defaults(func=_lazy("hold", "run_clear"))
    q = hsub.add_parser("list", help="the legal holds in force")
    _db(q)
    _json(q)
    q.set_defaults(func=_lazy("hold", "run_list"))
