"""The listing store: listings and their versions (the archive) and crawl state, with the
database connection. Crawling writes here; scoring and the review queue read from here."""

from store.connection import create_engine_for, session_factory
from store.errors import DatabaseConfigError, InvalidListing, StoreError
from store.tables import (
    Base,
    ControlSwitch,
    CrawlJob,
    CrawlLock,
    FetchValidator,
    Listing,
    ListingVersion,
)

__all__ = [
    "Base",
    "ControlSwitch",
    "CrawlJob",
    "CrawlLock",
    "DatabaseConfigError",
    "FetchValidator",
    "InvalidListing",
    "Listing",
    "ListingVersion",
    "StoreError",
    "create_engine_for",
    "session_factory",
]
