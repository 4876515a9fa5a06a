"""Helpers of the fault tests: a crawl paced so that a fault lands mid-run, processes in
their own process group (killed whole), and the checks that a crawl stored each listing
of the fixture site exactly once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from crawlhelp import REPO, write_source
from sqlalchemy import func, select

from review_queue.db import Score
from review_queue.db.models import AuditEvent, ReviewItem
from review_queue.services.scores import DEFAULT_SAMPLE_RATE, in_sample
from store import CrawlJob, CrawlLock, Listing, ListingVersion, create_engine_for

SOURCE = "paced-jobs"


def paced_source(directory: Path, delay: float = 0.05) -> Path:
    """The fixture job board crawled one page at a time, ``delay`` s apart: a run of 40
    listings takes a few seconds, long enough to be hit mid-run."""
    write_source(
        directory,
        SOURCE,
        'spider = "jobposting"\nstart_urls = ["/jobs/"]\nallow_private = true\n'
        '[links]\ndetail = "a.job-link::attr(href)"\nnext = "a.next::attr(href)"\n'
        f"[politeness]\ndownload_delay = {delay}\n",
    )
    return directory


def crawl_args(sources: Path, site_url: str, db: str) -> list[str]:
    return [
        "crawl",
        SOURCE,
        "--sources-dir",
        str(sources),
        "--base-url",
        site_url,
        "--db",
        db,
        "--json",
        "--log-level",
        "WARNING",
    ]


def start(*args: str) -> subprocess.Popen[str]:
    """``python -m thbscan ARGS`` in its own process group (see :func:`kill_group`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "thbscan", *args],
        cwd=REPO,
        env={**os.environ, "THBSCAN_MODE": "test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the process and everything it started; reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


def wait_until(condition: Callable[[], bool], what: str, proc: subprocess.Popen[str]) -> None:
    """Poll ``condition`` until it holds; fail if ``proc`` ended first or after 60 s."""
    deadline = time.monotonic() + 60
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the run ended before {what}: {out[-1000:]} {err[-3000:]}")
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def counter(db: str, table: type) -> Callable[[], int]:
    """A function that counts the rows of ``table`` (-1 while the database cannot be read:
    not created yet, or down); its engine is disposed after each count, so that no
    connection is left to a server the test restarts."""
    engine = create_engine_for(db)

    def count() -> int:
        try:
            with engine.connect() as conn:
                return int(conn.scalar(select(func.count()).select_from(table)) or 0)
        except Exception:
            return -1
        finally:
            engine.dispose()

    return count


def check_crawled_once(db: str, paths: set[str]) -> list[tuple[str, str | None, str | None]]:
    """Every fixture listing (by its page's path) stored once, with one version (its content
    did not change), each listing pointing at its version; no lock left. The crawl runs'
    (status, stop reason, detail), oldest first."""
    engine = create_engine_for(db)
    try:
        with engine.connect() as conn:
            listings = conn.execute(
                select(Listing.id, Listing.source, Listing.natural_key, Listing.url)
            ).all()
            versions = conn.execute(
                select(ListingVersion.listing_id, func.count())
                .group_by(ListingVersion.listing_id)
                .order_by(ListingVersion.listing_id)
            ).all()
            current = conn.scalar(
                select(func.count())
                .select_from(Listing)
                .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
                .where(ListingVersion.listing_id == Listing.id)
            )
            locks = conn.execute(select(CrawlLock.source)).all()
            jobs = conn.execute(
                select(CrawlJob.status, CrawlJob.stop_reason, CrawlJob.detail).order_by(CrawlJob.id)
            ).all()
    finally:
        engine.dispose()
    keys = [(source, key) for _id, source, key, _url in listings]
    assert len(keys) == len(set(keys)), "a listing was stored twice"
    stored = sorted("/" + url.split("/", 3)[3] for *_rest, url in listings)
    assert stored == sorted(paths), "the archive is not the fixture site's listings"
    assert [n for _listing, n in versions] == [1] * len(paths), "a listing got a second version"
    assert current == len(paths)
    assert locks == []
    return [(status, reason, detail) for status, reason, detail in jobs]


def check_scored_once(db: str, listings: int) -> None:
    """Every current version has one score, written by exactly one scoring batch (a version
    scored twice would count twice in the batches' audit events), and its queue item once."""
    engine = create_engine_for(db)
    try:
        with engine.connect() as conn:
            versions = conn.scalar(select(func.count()).select_from(ListingVersion))
            scores = conn.execute(select(Score.version_id, Score.flagged)).all()
            batches = conn.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "scoring.batch")
            ).all()
            items = conn.scalars(select(ReviewItem.version_id)).all()
    finally:
        engine.dispose()
    assert versions == listings
    assert len(scores) == listings
    assert len({v for v, _flagged in scores}) == listings
    assert sum(d["listings"] for d in batches) == listings, "a version was scored twice"
    assert len(items) == len(set(items)), "a queue item was made twice"
    queued = {v for v, flagged in scores if flagged or in_sample(v, DEFAULT_SAMPLE_RATE)}
    assert set(items) >= queued  # linking and watches may queue more, never fewer
    assert queued
