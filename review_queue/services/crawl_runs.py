"""Recorded crawl runs (R31), newest first, for the crawl-runs page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import CrawlJob

MAX_LIMIT = 500


@dataclass(frozen=True)
class CrawlRunRow:
    id: int
    source: str
    spider: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    pages: int
    items: int
    new: int
    changed: int
    errors: int
    robots_denied: int
    stop_reason: str | None


def recent_runs(session: Session, limit: int = 50) -> list[CrawlRunRow]:
    """The ``limit`` most recent crawl runs, newest first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit={limit} must be between 1 and {MAX_LIMIT}")
    jobs = session.scalars(select(CrawlJob).order_by(CrawlJob.id.desc()).limit(limit)).all()
    return [
        CrawlRunRow(
            id=job.id,
            source=job.source,
            spider=job.spider,
            status=job.status,
            started_at=job.started_at,
            finished_at=job.finished_at,
            pages=job.pages or 0,
            items=job.items or 0,
            new=job.new or 0,
            changed=job.changed or 0,
            errors=job.errors or 0,
            robots_denied=job.robots_denied or 0,
            stop_reason=job.stop_reason,
        )
        for job in jobs
    ]
