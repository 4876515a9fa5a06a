"""The listing store's tables: listings and their versions (the archive), and crawl state
(crawl runs, per-source locks, HTTP validators, the stop switch).

Listings are versioned: a listing is identified by its natural key (source plus the site's
listing id or canonical URL, R27); each distinct content hash is a new ``ListingVersion``.
The review queue's tables (scores, review items, decisions, users, audit events) share this
``Base`` and refer to these tables by foreign key.
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
    __table_args__ = (UniqueConstraint("source", "natural_key", name="uq_listing_natural_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    natural_key: Mapped[str] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(2000))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(default=None)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("listing_versions.id", use_alter=True, name="fk_listing_current_version")
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
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    version_no: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column()
    url: Mapped[str | None] = mapped_column(String(2000))
    final_url: Mapped[str | None] = mapped_column(String(2000))
    redirect_chain: Mapped[list[Any]] = mapped_column(default=list)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    listing: Mapped[Listing] = relationship(back_populates="versions", foreign_keys=[listing_id])


class CrawlJob(Base):
    """One crawl run (R31): what it did and why it stopped."""

    __tablename__ = "crawl_jobs"

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


class CrawlLock(Base):
    """One crawl run per source at a time (R31). A row is the lock; stale rows expire."""

    __tablename__ = "crawl_locks"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class FetchValidator(Base):
    """HTTP validators of a fetched page, for conditional re-fetches (ETag, Last-Modified)."""

    __tablename__ = "fetch_validators"
    __table_args__ = (UniqueConstraint("source", "url", name="uq_fetch_validator_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    natural_key: Mapped[str] = mapped_column(String(1000))
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class ControlSwitch(Base):
    """A recorded operator switch; ``crawling`` stopped halts every crawl (R05)."""

    __tablename__ = "control_switches"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str] = mapped_column(String(100), default="")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
