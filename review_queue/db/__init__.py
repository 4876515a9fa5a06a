"""Storage: SQLAlchemy 2.x models, engine set-up and Alembic migrations."""

from review_queue.db.connection import create_engine_for, session_factory
from review_queue.db.migrate import upgrade
from review_queue.db.models import (
    AuditEvent,
    Base,
    CrawlJob,
    Decision,
    Identifier,
    Listing,
    ListingVersion,
    ReviewItem,
    Score,
    User,
    WebSession,
)

__all__ = [
    "AuditEvent",
    "Base",
    "CrawlJob",
    "Decision",
    "Identifier",
    "Listing",
    "ListingVersion",
    "ReviewItem",
    "Score",
    "User",
    "WebSession",
    "create_engine_for",
    "session_factory",
    "upgrade",
]
