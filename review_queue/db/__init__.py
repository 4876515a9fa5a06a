"""The review queue's tables (on the listing store's ``Base``) and the schema's migrations,
which cover the store's tables too (one database, one migration history)."""

from review_queue.db.migrate import upgrade
from review_queue.db.models import (
    AuditEvent,
    Decision,
    Identifier,
    IdentifierValue,
    LinkGroup,
    LinkOverride,
    ListingLink,
    ReviewItem,
    Score,
    User,
    Watch,
    WebSession,
)

__all__ = [
    "AuditEvent",
    "Decision",
    "Identifier",
    "IdentifierValue",
    "LinkGroup",
    "LinkOverride",
    "ListingLink",
    "ReviewItem",
    "Score",
    "User",
    "Watch",
    "WebSession",
    "upgrade",
]
