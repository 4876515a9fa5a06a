"""The listing store's tables: listings and their versions (the archive), and crawl state
(crawl runs, per-source locks, HTTP validators, the stop switch).

Listings are versioned: a listing is identified by its natural key (source plus the site's
listing id or canonical URL, R27); each distinct content hash is a new ``ListingVersion``.
The review queue's tables (scores, review items, decisions, users, audit events) share this
``Base`` and refer to these tables by foreign key.

Each column names its data category and retention class (``info=tag(...)``, with
table-wide defaults in ``__table_args__``): the data register, :mod:`store.register`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from store.register import (
    ANALYST,
    CONTENT,
    CURRENT,
    DERIVED,
    LISTING,
    OPERATIONAL,
    RECENT,
    table_tag,
    tag,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("source", "natural_key", name="uq_listing_natural_key"),
        table_tag(retention=LISTING),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=tag(OPERATIONAL))
    source: Mapped[str] = mapped_column(String(100), info=tag(OPERATIONAL))
    natural_key: Mapped[str] = mapped_column(String(1000), info=tag(CONTENT))
    url: Mapped[str | None] = mapped_column(String(2000), info=tag(CONTENT))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))
    removed_at: Mapped[datetime | None] = mapped_column(default=None, info=tag(OPERATIONAL))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("listing_versions.id", use_alter=True, name="fk_listing_current_version"),
        index=True,  # the purge asks which listing a version is current for
        info=tag(OPERATIONAL),
    )

    versions: Mapped[list[ListingVersion]] = relationship(
        back_populates="listing",
        foreign_keys="ListingVersion.listing_id",
        order_by="ListingVersion.version_no",
    )
    current_version: Mapped[ListingVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class ListingVersion(Base):
    __tablename__ = "listing_versions"
    __table_args__ = (
        UniqueConstraint("listing_id", "content_sha256", name="uq_version_content"),
        UniqueConstraint("listing_id", "version_no", name="uq_version_no"),
        table_tag(retention=LISTING),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=tag(OPERATIONAL))
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), info=tag(OPERATIONAL)
    )
    version_no: Mapped[int] = mapped_column(Integer, info=tag(OPERATIONAL))
    content_sha256: Mapped[str] = mapped_column(String(64), info=tag(OPERATIONAL))
    fetched_at: Mapped[datetime] = mapped_column(info=tag(OPERATIONAL))
    url: Mapped[str | None] = mapped_column(String(2000), info=tag(CONTENT))
    final_url: Mapped[str | None] = mapped_column(String(2000), info=tag(CONTENT))
    redirect_chain: Mapped[list[Any]] = mapped_column(default=list, info=tag(CONTENT))
    title: Mapped[str] = mapped_column(Text, default="", info=tag(CONTENT))
    text: Mapped[str] = mapped_column(Text, default="", info=tag(CONTENT))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict, info=tag(CONTENT))
    language: Mapped[str | None] = mapped_column(String(8), info=tag(DERIVED))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))
    # True once the identifiers in title, text and fields are tokens (R09)
    redacted: Mapped[bool] = mapped_column(Boolean, default=False, info=tag(OPERATIONAL))

    listing: Mapped[Listing] = relationship(back_populates="versions", foreign_keys=[listing_id])


class CrawlJob(Base):
    """One crawl run (R31): what it did and why it stopped."""

    __tablename__ = "crawl_jobs"
    __table_args__ = table_tag(OPERATIONAL, RECENT)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    spider: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    robots_denied: Mapped[int] = mapped_column(Integer, default=0)
    stop_reason: Mapped[str | None] = mapped_column(String(100))
    # why the run is incomplete, stopped, locked or failed (crawler.completeness)
    detail: Mapped[str | None] = mapped_column(String(500), default=None)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the process that ran it (host:pid): a later run on that host closes the record of a
    # run whose process is gone (thbscan.crawling.stale_runs)
    holder: Mapped[str | None] = mapped_column(String(200), default=None)
    # when the run last said it is alive (every minute while it runs): a run of the source on
    # any host closes the record of one silent for long (thbscan.crawling.stale_runs)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)


class CrawlLock(Base):
    """One crawl run per source at a time (R31). A row is the lock; stale rows expire."""

    __tablename__ = "crawl_locks"
    __table_args__ = table_tag(OPERATIONAL, CURRENT)

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class FetchValidator(Base):
    """HTTP validators of a fetched page, for conditional re-fetches (ETag, Last-Modified)."""

    __tablename__ = "fetch_validators"
    __table_args__ = (
        UniqueConstraint("source", "url", name="uq_fetch_validator_url"),
        table_tag(retention=RECENT),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=tag(OPERATIONAL))
    source: Mapped[str] = mapped_column(String(100), info=tag(OPERATIONAL))
    url: Mapped[str] = mapped_column(String(2000), info=tag(CONTENT))
    natural_key: Mapped[str] = mapped_column(String(1000), info=tag(CONTENT))
    etag: Mapped[str | None] = mapped_column(String(200), info=tag(OPERATIONAL))
    last_modified: Mapped[str | None] = mapped_column(String(100), info=tag(OPERATIONAL))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))


class ControlSwitch(Base):
    """A recorded operator switch; ``crawling`` stopped halts every crawl (R05)."""

    __tablename__ = "control_switches"
    __table_args__ = table_tag(retention=CURRENT)

    name: Mapped[str] = mapped_column(String(40), primary_key=True, info=tag(OPERATIONAL))
    stopped: Mapped[bool] = mapped_column(Boolean, default=False, info=tag(OPERATIONAL))
    changed_by: Mapped[str] = mapped_column(String(100), default="", info=tag(ANALYST))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))
    reason: Mapped[str] = mapped_column(Text, default="", info=tag(OPERATIONAL))
