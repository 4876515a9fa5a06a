"""When a row has expired: one rule per table, driven by the data register (R10).

Each table's rows are kept by one retention class (:func:`store.register.table_retention`,
from the tags on the table's columns), and each class's period is given in one place,
:data:`store.register.RETENTION`. A rule here says, as one SQL condition on the table's
rows, which rows have expired at a moment (:class:`Cutoffs`) and are needed by nothing that
is kept. The condition is closed: it reads the database as it is before the purge, so
that a dry run counts exactly what the purge deletes, and a second purge at the same
moment deletes nothing (what a purge keeps never depends on what it deleted).

What is kept though its period has passed (docs/retention.md):

* a listing version that a kept decision (one within the audit period) was made on, with
  its review item, score and identifiers, and its listing; the listing's other versions
  go when they expire;
* everything a legal hold covers: a held review item's version and listing; every
  version, item and decision of the listings a held link group covers; decisions on
  held items past the audit period;
* the audit log is deleted oldest first as a whole, never leaving a gap (an export's
  hash chain continues from the last deleted event, :mod:`review_queue.services.audit`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, String, Table, and_, exists, func, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql import FromClause

from review_queue.db import models
from store import Base, tables
from store.register import (
    ACCOUNT,
    AUDIT,
    CURRENT,
    LISTING,
    RECENT,
    REFERENCED,
    cutoff,
)


def _t(model: Any) -> Table:
    return cast(Table, model.__table__)


LISTINGS = _t(tables.Listing)
VERSIONS = _t(tables.ListingVersion)
ITEMS = _t(models.ReviewItem)
DECISIONS = _t(models.Decision)
GROUPS = _t(models.LinkGroup)
HELD = _t(models.HeldListing)
ENTRIES = _t(models.LinkEntry)
OVERRIDES = _t(models.LinkOverride)
EVENTS = _t(models.AuditEvent)
USERS = _t(models.User)


@dataclass(frozen=True)
class Cutoffs:
    """The moment of a purge, and the moment before which each class's period has passed."""

    now: datetime
    listing: datetime
    audit: datetime
    recent: datetime

    @classmethod
    def at(cls, now: datetime) -> Cutoffs:
        if now.tzinfo is None:
            raise ValueError(f"naive datetime {now!r}: give the purge's moment in UTC")
        return cls(now, cutoff(LISTING, now), cutoff(AUDIT, now), cutoff(RECENT, now))


Condition = ColumnElement[bool]


def group_held(listing_id: Any) -> Condition:
    """A legal hold on a link group covers the listing ``listing_id``."""
    held, group = HELD.alias(), GROUPS.alias()
    return exists().where(
        held.c.listing_id == listing_id, group.c.id == held.c.group_id, group.c.legal_hold
    )


def version_expired(v: FromClause, c: Cutoffs) -> Condition:
    """Its listing was last seen before the cutoff, or a newer version replaced it before
    the cutoff (and it is not its listing's current version)."""
    listing, current, newer = LISTINGS.alias(), LISTINGS.alias(), VERSIONS.alias()
    return or_(
        exists().where(listing.c.id == v.c.listing_id, listing.c.last_seen_at <= c.listing),
        and_(
            ~exists().where(current.c.current_version_id == v.c.id),
            exists().where(
                newer.c.listing_id == v.c.listing_id,
                newer.c.version_no > v.c.version_no,
                newer.c.fetched_at <= c.listing,
            ),
        ),
    )


def version_purgeable(v: FromClause, c: Cutoffs) -> Condition:
    held_item, item, decision = ITEMS.alias(), ITEMS.alias(), DECISIONS.alias()
    return and_(
        version_expired(v, c),
        ~exists().where(held_item.c.version_id == v.c.id, held_item.c.legal_hold),
        ~group_held(v.c.listing_id),
        ~exists().where(  # a kept decision was made on it
            item.c.version_id == v.c.id,
            decision.c.item_id == item.c.id,
            decision.c.created_at > c.audit,
        ),
    )


def version_gone(version_id: Any, c: Cutoffs) -> Condition:
    v = VERSIONS.alias()
    return exists().where(v.c.id == version_id, version_purgeable(v, c))


def listing_purgeable(listing: FromClause, c: Cutoffs) -> Condition:
    v = VERSIONS.alias()
    return and_(
        listing.c.last_seen_at <= c.listing,
        ~group_held(listing.c.id),
        ~exists().where(v.c.listing_id == listing.c.id, ~version_purgeable(v, c)),
    )


def listing_gone(listing_id: Any, c: Cutoffs) -> Condition:
    listing = LISTINGS.alias()
    return exists().where(listing.c.id == listing_id, listing_purgeable(listing, c))


def decision_purgeable(d: FromClause, c: Cutoffs) -> Condition:
    item = ITEMS.alias()
    return and_(
        d.c.created_at <= c.audit,
        ~exists().where(
            item.c.id == d.c.item_id, or_(item.c.legal_hold, group_held(item.c.listing_id))
        ),
    )


def event_purgeable(e: FromClause, c: Cutoffs) -> Condition:
    """Recorded before the cutoff, and so is every event before it (no gap in the log)."""
    newer = EVENTS.alias()
    first_kept = select(func.min(newer.c.id)).where(newer.c.at > c.audit).scalar_subquery()
    return or_(first_kept.is_(None), e.c.id < first_kept)


def entry_gone(listing_id: Any, c: Cutoffs) -> Condition:
    entry = ENTRIES.alias()
    return exists().where(entry.c.listing_id == listing_id, version_gone(entry.c.version_id, c))


def override_purgeable(o: FromClause, c: Cutoffs) -> Condition:
    return or_(
        listing_gone(o.c.listing_id, c),
        and_(o.c.other_listing_id.is_not(None), listing_gone(o.c.other_listing_id, c)),
    )


def group_is_held(group_id: Any) -> Condition:
    group = GROUPS.alias()
    return exists().where(group.c.id == group_id, group.c.legal_hold)


def group_purgeable(g: FromClause, c: Cutoffs) -> Condition:
    """Not on legal hold, and every listing in it is gone."""
    link = _t(models.ListingLink).alias()
    return and_(
        ~g.c.legal_hold,
        ~exists().where(link.c.group_id == g.c.id, ~listing_gone(link.c.listing_id, c)),
    )


def version_held(version_id: Any) -> Condition:
    """A legal hold covers the listing version ``version_id``."""
    v, item = VERSIONS.alias(), ITEMS.alias()
    return or_(
        exists().where(item.c.version_id == version_id, item.c.legal_hold),
        exists().where(v.c.id == version_id, group_held(v.c.listing_id)),
    )


def identifier_value_purgeable(t: FromClause, c: Cutoffs) -> Condition:
    """An identifier in clear: 90 days after it was last seen, unless a legal hold covers a
    listing version it was found in."""
    found = Base.metadata.tables["identifiers"].alias()
    return and_(
        t.c.last_seen_at <= c.recent,
        ~exists().where(found.c.pseudonym == t.c.pseudonym, version_held(found.c.version_id)),
    )


def user_purgeable(u: FromClause, c: Cutoffs) -> Condition:
    """Disabled, and no kept decision, review item, correction or audit event names it."""
    d, item, o, e = DECISIONS.alias(), ITEMS.alias(), OVERRIDES.alias(), EVENTS.alias()
    return and_(
        u.c.disabled,
        ~exists().where(d.c.user_id == u.c.id, ~decision_purgeable(d, c)),
        ~exists().where(
            or_(item.c.first_call_by == u.c.id, item.c.claimed_by == u.c.id),
            ~version_gone(item.c.version_id, c),
        ),
        ~exists().where(o.c.user_id == u.c.id, ~override_purgeable(o, c)),
        ~exists().where(
            or_(
                e.c.actor == u.c.name,
                and_(e.c.object_type == "user", e.c.object_id == sql_cast(u.c.id, String)),
            ),
            ~event_purgeable(e, c),
        ),
    )


def user_gone(user_id: Any, c: Cutoffs) -> Condition:
    u = USERS.alias()
    return exists().where(u.c.id == user_id, user_purgeable(u, c))


Purgeable = Callable[[FromClause, Cutoffs], Condition]


@dataclass(frozen=True)
class Rule:
    """How one table's rows expire: its retention class (as the register tags it), when a
    row goes, in words, and as a condition (None: never purged)."""

    retention: str
    expires: str
    purgeable: Purgeable | None
    key: str = "id"  # the column the purge goes through the table by, in batches


RULES: dict[str, Rule] = {
    "listings": Rule(
        LISTING,
        "180 days after it was last seen, once none of its versions is kept",
        listing_purgeable,
    ),
    "listing_versions": Rule(
        LISTING,
        "180 days after its listing was last seen, or after a newer version replaced it; "
        "kept while a kept decision was made on it or a legal hold covers it",
        version_purgeable,
    ),
    "review_items": Rule(
        REFERENCED, "with its listing version", lambda t, c: version_gone(t.c.version_id, c)
    ),
    "scores": Rule(
        REFERENCED, "with its listing version", lambda t, c: version_gone(t.c.version_id, c)
    ),
    "identifiers": Rule(
        REFERENCED, "with its listing version", lambda t, c: version_gone(t.c.version_id, c)
    ),
    "identifier_values": Rule(
        RECENT,
        "90 days after it was last seen, unless a legal hold covers a version it is in",
        identifier_value_purgeable,
        key="pseudonym",
    ),
    "link_entries": Rule(
        REFERENCED,
        "with the listing version it was indexed from",
        lambda t, c: version_gone(t.c.version_id, c),
        key="listing_id",
    ),
    "link_buckets": Rule(
        REFERENCED,
        "with its listing's entry in the template index",
        lambda t, c: entry_gone(t.c.listing_id, c),
        key="listing_id",
    ),
    "template_links": Rule(
        REFERENCED,
        "with either listing's entry in the template index",
        lambda t, c: or_(entry_gone(t.c.listing_a, c), entry_gone(t.c.listing_b, c)),
        key="listing_a",
    ),
    "listing_links": Rule(
        REFERENCED,
        "with its listing",
        lambda t, c: listing_gone(t.c.listing_id, c),
        key="listing_id",
    ),
    "link_overrides": Rule(
        REFERENCED, "with either listing it corrects the linking of", override_purgeable
    ),
    "link_groups": Rule(
        REFERENCED,
        "once every listing in it is gone, unless it is on legal hold",
        group_purgeable,
    ),
    "held_listings": Rule(
        CURRENT,
        "when the hold on its group is cleared",
        lambda t, c: ~group_is_held(t.c.group_id),
        key="group_id",
    ),
    "decisions": Rule(
        AUDIT,
        "5 years after it was recorded, unless a legal hold covers its item",
        decision_purgeable,
    ),
    "audit_events": Rule(
        AUDIT, "5 years after it was recorded, oldest first, without a gap", event_purgeable
    ),
    "users": Rule(
        ACCOUNT,
        "once disabled and named by no kept decision, review item, correction or audit event",
        user_purgeable,
    ),
    "web_sessions": Rule(
        RECENT,
        "90 days after it ended or was last used, or with its user",
        lambda t, c: or_(
            func.coalesce(t.c.ended_at, t.c.last_seen_at) <= c.recent, user_gone(t.c.user_id, c)
        ),
    ),
    "login_throttle": Rule(
        RECENT,
        "90 days after its window started and any lock ended",
        lambda t, c: and_(
            t.c.window_start <= c.recent,
            or_(t.c.locked_until.is_(None), t.c.locked_until <= c.recent),
        ),
        key="key",
    ),
    "fetch_validators": Rule(
        RECENT, "90 days after the page was fetched", lambda t, c: t.c.fetched_at <= c.recent
    ),
    "crawl_jobs": Rule(
        RECENT,
        "90 days after the run finished (or started, if it never finished)",
        lambda t, c: func.coalesce(t.c.finished_at, t.c.started_at) <= c.recent,
    ),
    "crawl_locks": Rule(
        CURRENT,
        "once expired (any run may take it over)",
        lambda t, c: t.c.expires_at <= c.now,
        key="source",
    ),
    "watches": Rule(
        CURRENT,
        "once stopped by its owner, or with its user",
        lambda t, c: or_(~t.c.active, user_gone(t.c.user_id, c)),
    ),
    "control_switches": Rule(CURRENT, "never: a switch is always current", None),
    "alembic_version": Rule(CURRENT, "never: the schema's revision", None),
}
