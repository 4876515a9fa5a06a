"""The ``thbscan`` command line: the one composition root of the system."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Sequence

from thbscan import config, event_log
from thbscan.commands import common
from thbscan.event_log import open_event_log
from thbscan.parser import build_parser

__all__ = ["build_parser", "entry", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # Scrapy lowers the root logger's level
        handler.setLevel(level)
    try:
        given = config.settings()
    except SystemExit:  # a bad setting: the command reports it (doctor as a failed check)
        pass
    else:
        open_event_log(event_log.target(given.event_log, given.mode))
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        common.err("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if isinstance(exc, _user_errors()):
            common.err(str(exc))
            return 2
        raise


def entry() -> None:
    """The ``thbscan`` program: :func:`main`, then exit with its status.

    Before the interpreter shuts down, every object still alive is moved out of the
    cyclic garbage collector's reach (``gc.freeze``): its final full collection over a
    crawl's or a scoring run's heap otherwise takes 0.3-0.4 s, after all work is done
    and written. Objects are still freed by reference counting; only cyclic garbage is
    left to the operating system, which reclaims the whole process anyway.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors that carry a message for the user (imported only when one is raised, so
    that a crawl does not load the scoring stack at start-up)."""
    from crawler.errors import CrawlerError
    from indicator_lists import CatalogueError
    from models.errors import ModelError
    from nlp.errors import NlpError
    from review_queue.db.errors import DatabaseError
    from review_queue.domain.errors import DomainError

    return (CrawlerError, CatalogueError, ModelError, NlpError, DatabaseError, DomainError)


if __name__ == "__main__":
    sys.exit(main())
