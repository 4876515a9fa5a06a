"""The review queue's tables (SQLAlchemy models) on the listing store's ``Base``.

Scores belong to a listing version (:mod:`store.tables`) and record the model and
indicator-list versions used. Identifiers are stored only pseudonymised (R09). Review items,
decisions and audit events form the human-oversight record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.register import (
    ACCOUNT,
    ANALYST,
    AUDIT,
    CONTENT,
    CURRENT,
    DECISION,
    DERIVED,
    IDENTIFIER,
    IDENTIFIER_IN_CLEAR,
    OPERATIONAL,
    RECENT,
    REFERENCED,
    SECRET,
    table_tag,
    tag,
)
from store.tables import Base, Listing, ListingVersion, UTCDateTime, utcnow

__all__ = ["MIGRATION_TABLES", "Base", "UTCDateTime"]

# alembic's own table, the schema's revision: no model maps it, the data register lists it
MIGRATION_TABLES = MetaData()
Table(
    "alembic_version",
    MIGRATION_TABLES,
    Column("version_num", String(32), primary_key=True),
    info=tag(OPERATIONAL, CURRENT),
)


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("version_id", "scorer_key", name="uq_score_version_scorer"),
        Index("ix_scores_scorer_key", "scorer_key"),
        table_tag(DERIVED, REFERENCED),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("listing_versions.id", ondelete="CASCADE"))
    # scorer_key identifies model version + list versions: a change means re-scoring.
    scorer_key: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(16))
    flagged: Mapped[bool] = mapped_column(Boolean)
    possible_minor: Mapped[bool] = mapped_column(Boolean, default=False)
    categories: Mapped[list[Any]] = mapped_column(default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str | None] = mapped_column(String(8))
    model_version: Mapped[str] = mapped_column(String(100))
    list_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[ListingVersion] = relationship()


class Identifier(Base):
    """A pseudonymised identifier (phone, handle, email) seen in a listing version (R09)."""

    __tablename__ = "identifiers"
    __table_args__ = (
        UniqueConstraint("version_id", "pseudonym", name="uq_identifier_version"),
        Index("ix_identifiers_pseudonym", "pseudonym"),
        table_tag(retention=REFERENCED),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=tag(OPERATIONAL))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("listing_versions.id", ondelete="CASCADE"), info=tag(OPERATIONAL)
    )
    kind: Mapped[str] = mapped_column(String(20), info=tag(DERIVED))
    pseudonym: Mapped[str] = mapped_column(String(120), info=tag(IDENTIFIER))
    # what stands for it in the stored text ("[phone kfmbdaoc]"); None if found by scoring
    token: Mapped[str | None] = mapped_column(String(64), default=None, info=tag(IDENTIFIER))


class IdentifierValue(Base):
    """An identifier in clear, taken out of the stored text (R09): read only by leads through
    a logged reveal, and kept only for its retention class's period after it was last seen."""

    __tablename__ = "identifier_values"
    __table_args__ = (table_tag(IDENTIFIER_IN_CLEAR, RECENT),)

    pseudonym: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), info=tag(DERIVED))
    value: Mapped[str] = mapped_column(String(400))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))


class LegalHold:
    """A legal hold (set and cleared by a lead, ``thbscan hold``, audited): while it is on,
    ``thbscan purge`` deletes nothing the held row needs, whatever its retention says."""

    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, info=tag(DECISION))
    legal_hold_by: Mapped[str | None] = mapped_column(String(100), default=None, info=tag(DECISION))
    legal_hold_at: Mapped[datetime | None] = mapped_column(default=None, info=tag(DECISION))
    legal_hold_reason: Mapped[str | None] = mapped_column(Text, default=None, info=tag(DECISION))


class ReviewItem(LegalHold, Base):
    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("version_id", name="uq_review_item_version"),
        Index("ix_review_items_state_lane", "state", "lane"),
        # the queue's order (urgent lane first, then priority): pages and claims read it
        Index("ix_review_items_queue", text("lane DESC"), text("priority DESC"), "id"),
        table_tag(retention=REFERENCED),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=tag(OPERATIONAL))
    # indexed: the purge deletes by listing and score, and the database checks these keys
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True, info=tag(OPERATIONAL)
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("listing_versions.id", ondelete="CASCADE"), info=tag(OPERATIONAL)
    )
    score_id: Mapped[int] = mapped_column(
        ForeignKey("scores.id", ondelete="CASCADE"), index=True, info=tag(OPERATIONAL)
    )
    state: Mapped[str] = mapped_column(String(20), default="new", info=tag(OPERATIONAL))
    lane: Mapped[str] = mapped_column(String(20), default="normal", info=tag(OPERATIONAL))
    # "flagged" or "sample" (an unflagged listing mixed in against automation bias, R04).
    # Never shown in the UI.
    reason: Mapped[str] = mapped_column(String(20), default="flagged", info=tag(OPERATIONAL))
    priority: Mapped[float] = mapped_column(Float, default=0.0, info=tag(OPERATIONAL))
    # the forms its score names (a JSON list), kept here so that the queue chart of a large
    # queue counts one table instead of joining every score
    forms: Mapped[str | None] = mapped_column(String(400), default=None, info=tag(DERIVED))
    # blind-first (R04): band, categories and explanation stay hidden until an analyst
    # records a first call; every sampled item is blind, and a share of the flagged ones
    blind: Mapped[bool] = mapped_column(Boolean, default=False, info=tag(OPERATIONAL))
    first_call: Mapped[str | None] = mapped_column(String(20), default=None, info=tag(DECISION))
    first_call_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), default=None, info=tag(DECISION)
    )
    first_call_at: Mapped[datetime | None] = mapped_column(default=None, info=tag(DECISION))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), info=tag(DECISION))
    claim_expires_at: Mapped[datetime | None] = mapped_column(default=None, info=tag(DECISION))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))

    listing: Mapped[Listing] = relationship()
    version: Mapped[ListingVersion] = relationship()
    score: Mapped[Score] = relationship()
    decisions: Mapped[list[Decision]] = relationship(back_populates="item", order_by="Decision.id")


class Decision(Base):
    """A human decision. Never updated: a reversal is a new record (R03)."""

    __tablename__ = "decisions"
    __table_args__ = table_tag(DECISION, AUDIT)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("review_items.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)  # the analyst's note (may be empty with a code)
    reason_code: Mapped[str | None] = mapped_column(String(40), default=None)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    # What the analyst was shown when deciding.
    score_shown: Mapped[float] = mapped_column(Float)
    band_shown: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str] = mapped_column(String(100))
    list_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[ReviewItem] = relationship(back_populates="decisions")
    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Append-only event log (R02). No raw personal data in ``details``."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_object", "object_type", "object_id"),
        table_tag(DECISION, AUDIT),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(60), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(Base):
    __tablename__ = "users"
    __table_args__ = table_tag(ANALYST, ACCOUNT)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200), info=tag(SECRET))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A login session. Only a hash of the session token is stored."""

    __tablename__ = "web_sessions"
    __table_args__ = table_tag(retention=RECENT)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=tag(OPERATIONAL))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, info=tag(SECRET))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), info=tag(ANALYST)
    )
    csrf_token: Mapped[str] = mapped_column(String(64), info=tag(SECRET))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(ANALYST))
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(ANALYST))
    # a decision form kept when it could not be recorded (the session had ended, the item
    # changed): {"item", "action", "reason"}, shown again on the item until it is decided
    draft: Mapped[dict[str, Any] | None] = mapped_column(default=None, info=tag(DECISION))
    ended_at: Mapped[datetime | None] = mapped_column(default=None, info=tag(ANALYST))

    user: Mapped[User] = relationship()


class Watch(Base):
    """An analyst's watch on an identifier (its pseudonyms, never the identifier) or a
    search: listings that match it after ``checked_at`` enter the queue as "watched"."""

    __tablename__ = "watches"
    __table_args__ = table_tag(DECISION, CURRENT)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(300))
    pseudonyms: Mapped[list[Any]] = mapped_column(default=list, info=tag(IDENTIFIER))
    query: Mapped[dict[str, Any]] = mapped_column(default=dict)  # text, source, indicator
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    user: Mapped[User] = relationship()


class LinkGroup(LegalHold, Base):
    """A cluster of linked listings as the last linking run found it (nlp/linking): its
    signals, and the shared text and slots of its largest template group. A group on legal
    hold (a persona) keeps its id across linking runs, and its listings (``held_listings``)
    are never purged while the hold lasts."""

    __tablename__ = "link_groups"
    __table_args__ = table_tag(DERIVED, REFERENCED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linked_by: Mapped[list[Any]] = mapped_column(default=list)  # phone, email, handle, template
    template: Mapped[str | None] = mapped_column(Text, default=None, info=tag(CONTENT))
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict, info=tag(CONTENT))
    signals: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListingLink(Base):
    """Which cluster a listing is in (listings linked to nothing have no row)."""

    __tablename__ = "listing_links"
    __table_args__ = table_tag(DERIVED, REFERENCED)

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("link_groups.id", ondelete="CASCADE"), index=True
    )
    in_template: Mapped[bool] = mapped_column(Boolean, default=False)


class HeldListing(Base):
    """A listing that a legal hold on a link group covers: the group's members when the hold
    was set, and every listing a later linking run put in the group while it lasted."""

    __tablename__ = "held_listings"
    __table_args__ = table_tag(OPERATIONAL, CURRENT)

    group_id: Mapped[int] = mapped_column(
        ForeignKey("link_groups.id", ondelete="CASCADE"), primary_key=True
    )
    # no cascade: a listing under a hold is never deleted
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True, index=True)


class LinkOverride(Base):
    """An analyst's correction of linking, applied at every linking run: ``detach`` links a
    listing to nothing; ``merge`` links a listing's cluster with another listing's. It
    stands while its listings are kept, and goes with them (the audit log keeps that it was
    made)."""

    __tablename__ = "link_overrides"
    __table_args__ = table_tag(DECISION, REFERENCED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    other_listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), default=None
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkEntry(Base):
    """A listing in the stored template index: the version it was indexed from, its MinHash
    signature (none when too short to be a template), the ages it gives, and the index's
    parameters (``config``, :attr:`nlp.linking.TemplateConfig.key`)."""

    __tablename__ = "link_entries"
    __table_args__ = table_tag(DERIVED, REFERENCED)

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("listing_versions.id", ondelete="CASCADE"), index=True
    )
    config: Mapped[str] = mapped_column(String(80), info=tag(OPERATIONAL))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    ages: Mapped[list[Any]] = mapped_column(default=list)
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow, info=tag(OPERATIONAL))


class LinkBucket(Base):
    """The template index's buckets: a listing under each of its band keys. Listings that
    share a bucket are candidates, checked by their signatures' similarity."""

    __tablename__ = "link_buckets"
    __table_args__ = (
        Index("ix_link_buckets_listing", "listing_id"),
        table_tag(DERIVED, REFERENCED),
    )

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("link_entries.listing_id", ondelete="CASCADE"), primary_key=True
    )


class TemplateLink(Base):
    """Two listings written from one template (``listing_a`` < ``listing_b``)."""

    __tablename__ = "template_links"
    __table_args__ = (
        Index("ix_template_links_b", "listing_b"),
        table_tag(DERIVED, REFERENCED),
    )

    listing_a: Mapped[int] = mapped_column(
        ForeignKey("link_entries.listing_id", ondelete="CASCADE"), primary_key=True
    )
    listing_b: Mapped[int] = mapped_column(
        ForeignKey("link_entries.listing_id", ondelete="CASCADE"), primary_key=True
    )
    similarity: Mapped[float] = mapped_column(Float)


class LoginThrottle(Base):
    """Failed sign-ins per account and per address in the current window, and until when
    sign-in is refused for either (R22)."""

    __tablename__ = "login_throttle"
    __table_args__ = table_tag(ANALYST, RECENT)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # account:... address:...
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
