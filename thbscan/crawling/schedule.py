"""Which sources are due for a crawl (``thbscan schedule run``, for cron or a systemd timer).

A source is due when it is enabled and its last recorded run started at least
its ``[schedule] every`` ago (or it never ran). Runs that are still going are
excluded by the per-source lock when crawling starts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.sources import SourceConfig
from store import CrawlJob


def last_starts(session: Session) -> dict[str, datetime]:
    rows = session.execute(
        select(CrawlJob.source, func.max(CrawlJob.started_at)).group_by(CrawlJob.source)
    )
    out = {}
    for source, started in rows:
        if started is not None:
            out[source] = started if started.tzinfo else started.replace(tzinfo=UTC)
    return out


def is_due(source: SourceConfig, last_start: datetime | None, now: datetime) -> bool:
    if not source.enabled:
        return False
    if last_start is None:
        return True
    return now - last_start >= timedelta(seconds=source.schedule.seconds())


def due_sources(
    session: Session, sources: list[SourceConfig], now: datetime | None = None
) -> list[SourceConfig]:
    now = now or datetime.now(UTC)
    starts = last_starts(session)
    return sorted((s for s in sources if is_due(s, starts.get(s.name), now)), key=lambda s: s.name)
