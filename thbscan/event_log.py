"""Where the event log goes (R02): the ``thbscan.events`` logger's one handler.

Events are JSON lines (``review_queue.domain.events``). ``THBSCAN_EVENT_LOG`` names a file
(appended to, created readable by its owner only, reopened when logrotate moves it),
``-`` (stderr, for journald or a container's log driver) or ``off``. Unset, it is
``thbscan-events.jsonl`` in the working directory, beside the default database; in test
mode the log is off.
"""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import WatchedFileHandler

from review_queue.domain.events import LOGGER

DEFAULT = "thbscan-events.jsonl"


def target(setting: str, mode: str) -> str:
    if setting:
        return setting
    return "off" if mode == "test" else DEFAULT


def open_event_log(where: str) -> None:
    """Send events to ``where`` (a path, ``-`` or ``off``) from now on."""
    logger = logging.getLogger(LOGGER)
    logger.propagate = False  # events are not diagnostics: never mixed into stderr's log
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    if where == "off":
        logger.setLevel(logging.CRITICAL)  # no lines are even made
        return
    logger.setLevel(logging.INFO)
    handler: logging.Handler
    if where == "-":
        handler = logging.StreamHandler(sys.stderr)
    else:
        try:
            os.close(os.open(where, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
            handler = WatchedFileHandler(where, encoding="utf-8")
        except OSError as exc:
            raise SystemExit(
                f"bad setting: THBSCAN_EVENT_LOG={where!r} cannot be written "
                f"({exc.strerror or exc}): name a writable file, '-' for stderr or 'off'"
            ) from None
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
