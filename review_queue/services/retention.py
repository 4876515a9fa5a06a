"""Purging the database by retention (R10, ``thbscan purge``; the rules are
:mod:`review_queue.services.retention_rules`).

The purge goes through the tables in dependency order (what refers to a row before the row),
in batches of at most ``batch`` rows (or listings) per transaction, so memory stays bounded
on any size of archive and a purge stopped half-way leaves a consistent database that the
next purge finishes. Listings are purged one batch of listings at a time, all their expired
versions with what refers to them, under row locks (PostgreSQL: a crawl storing a listing, or
an analyst deciding an item, waits for the batch or is waited for; SQLite has one writer). A
dry run only counts, with the same conditions, so its counts are the purge's.

The purge records one audit event, ``retention.purged``, with the number of rows deleted per
table (and of keys in other stores): counts only, no personal data; the log line says the
same. Before it deletes audit events it records the hash chain's anchor at the last one
(``retention.anchor``, :class:`review_queue.services.audit.Anchor`), so that exports of the
log kept go on verifying.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from review_queue.db.models import AuditEvent
from review_queue.domain import events
from review_queue.services import audit
from review_queue.services.retention_rules import (
    DECISIONS,
    ENTRIES,
    EVENTS,
    ITEMS,
    LISTINGS,
    OVERRIDES,
    RULES,
    USERS,
    VERSIONS,
    Cutoffs,
    event_purgeable,
    listing_purgeable,
    user_purgeable,
    version_purgeable,
)
from store import Base
from store.listings import in_chunks

logger = logging.getLogger(__name__)

BATCH = 1000
# Dependency order: a table before the tables its rows refer to.
ORDER = (
    "decisions",
    "held_listings",
    "review_items",
    "identifiers",
    "scores",
    "template_links",
    "link_buckets",
    "link_entries",
    "listing_links",
    "link_overrides",
    "listing_versions",
    "listings",
    "link_groups",
    "web_sessions",
    "watches",
    "users",
    "login_throttle",
    "identifier_values",
    "fetch_validators",
    "crawl_jobs",
    "crawl_locks",
    "audit_events",
)


@contextmanager
def _writing(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction of the purge (committed at the end of the block)."""
    with sessions.begin() as session:
        _tune(session)
        yield session


@contextmanager
def _reading(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        _tune(session)
        yield session


def _tune(session: Session) -> None:
    """PostgreSQL: no JIT compilation in this transaction. The rules' conditions are many
    small correlated subqueries whose estimated cost passes ``jit_above_cost``: compiling
    them took seconds where running them takes milliseconds."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def table(name: str) -> Table:
    return Base.metadata.tables[name]


@dataclass
class PurgeReport:
    now: datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)  # rows by table, ORDER's order
    anchor: audit.Anchor | None = None  # where the audit chain now starts

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def count(session: Session, now: datetime) -> dict[str, int]:
    """How many rows of each table a purge at ``now`` deletes (the dry run)."""
    c = Cutoffs.at(now)
    _tune(session)
    out = {}
    for name in ORDER:
        rule, t = RULES[name], table(name)
        assert rule.purgeable is not None, name
        out[name] = session.scalar(select(func.count()).select_from(t).where(rule.purgeable(t, c)))
    return {name: int(n or 0) for name, n in out.items()}


def purge(
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    batch: int = BATCH,
    dry_run: bool = False,
    actor: str = "system",
    also: dict[str, int] | None = None,
) -> PurgeReport:
    """Delete every row that has expired at ``now`` (or, ``dry_run``, count them). ``also``:
    counts from other stores (Redis keys) for the audit event and the log line."""
    if batch < 1:
        raise ValueError(f"batch size {batch}: give at least 1")
    report = PurgeReport(now, dry_run)
    if dry_run:
        with _reading(sessions) as session:
            report.counts = count(session, now)
        return report
    c = Cutoffs.at(now)
    counts: Counter[str] = Counter()
    for name in ("decisions", "held_listings"):
        _delete_by_rule(sessions, name, c, batch, counts)
    _purge_archive(sessions, c, batch, counts)
    _delete_by_rule(sessions, "link_groups", c, batch, counts)
    _purge_users(sessions, c, batch, counts)
    for name in (
        "web_sessions",
        "watches",
        "login_throttle",
        "identifier_values",
        "fetch_validators",
        "crawl_jobs",
        "crawl_locks",
    ):
        _delete_by_rule(sessions, name, c, batch, counts)
    report.anchor = _purge_audit_log(sessions, c, batch, counts)
    report.counts = {name: counts[name] for name in ORDER}
    _record(sessions, report, actor, also or {})
    return report


def _record(
    sessions: sessionmaker[Session], report: PurgeReport, actor: str, also: dict[str, int]
) -> None:
    counts = {**report.counts, **also}
    event = events.Purged(counts=counts, total=sum(counts.values()))
    with _writing(sessions) as session:
        audit.record(session, actor, event, "retention", at=report.now)
    logger.info("retention purge at %s: %s", report.now.isoformat(), json.dumps(counts))


def _key(t: Table, name: str) -> Any:
    return t.c[RULES[name].key]


def _delete_by_rule(
    sessions: sessionmaker[Session], name: str, c: Cutoffs, batch: int, counts: Counter[str]
) -> None:
    """Delete the rows of table ``name`` that its rule says have expired, ``batch`` key
    values per transaction (the condition is checked again as they are deleted)."""
    t, rule = table(name), RULES[name]
    assert rule.purgeable is not None, name
    key = _key(t, name)
    last = None
    while True:
        with _writing(sessions) as session:
            query = select(key).where(rule.purgeable(t, c)).distinct().order_by(key).limit(batch)
            if last is not None:
                query = query.where(key > last)
            keys = session.scalars(query).all()
            if not keys:
                return
            counts[name] += _rows(
                session.execute(delete(t).where(key.in_(keys), rule.purgeable(t, c)))
            )
            last = keys[-1]


def _rows(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _ids(session: Session, query: Any) -> list[int]:
    return [int(i) for i in session.scalars(query).all()]


def _chunked(values: Sequence[int]) -> Iterator[Sequence[int]]:
    return in_chunks(list(values))


def _purge_archive(
    sessions: sessionmaker[Session], c: Cutoffs, batch: int, counts: Counter[str]
) -> None:
    """Expired listing versions, with what refers to them, and expired listings: ``batch``
    listings per transaction."""
    v = VERSIONS.alias()
    candidates = select(LISTINGS.c.id).where(
        or_(
            select(v.c.id).where(v.c.listing_id == LISTINGS.c.id, version_purgeable(v, c)).exists(),
            listing_purgeable(LISTINGS, c),
        )
    )
    last = 0
    while True:
        with _writing(sessions) as session:
            listings = _ids(
                session,
                candidates.where(LISTINGS.c.id > last).order_by(LISTINGS.c.id).limit(batch),
            )
            if not listings:
                return
            _purge_listings(session, listings, c, counts)
            last = listings[-1]


def _lock(session: Session, rows: Table, column: Any, ids: list[int]) -> None:
    """Lock the rows of ``rows`` whose ``column`` is one of ``ids``, in id order."""
    for chunk in _chunked(ids):
        session.execute(
            select(rows.c.id).where(column.in_(chunk)).order_by(rows.c.id).with_for_update()
        )


def _purge_listings(
    session: Session, listings: list[int], c: Cutoffs, counts: Counter[str]
) -> None:
    # Lock the listings, then the review items of their expired versions (PostgreSQL; SQLite
    # has one writer), and only then decide what goes: a listing stored again, a decision or
    # a hold that came meanwhile is seen, and whatever comes later waits for this batch.
    _lock(session, LISTINGS, LISTINGS.c.id, listings)
    every: list[int] = []
    for chunk in _chunked(listings):
        every += _ids(session, select(VERSIONS.c.id).where(VERSIONS.c.listing_id.in_(chunk)))
    _lock(session, ITEMS, ITEMS.c.version_id, every)
    versions: list[int] = []
    gone: list[int] = []
    for chunk in _chunked(listings):
        versions += _ids(
            session,
            select(VERSIONS.c.id).where(
                VERSIONS.c.listing_id.in_(chunk), version_purgeable(VERSIONS, c)
            ),
        )
        gone += _ids(
            session,
            select(LISTINGS.c.id).where(LISTINGS.c.id.in_(chunk), listing_purgeable(LISTINGS, c)),
        )
    items: list[int] = []
    entries: list[int] = []
    for chunk in _chunked(versions):
        items += _ids(session, select(ITEMS.c.id).where(ITEMS.c.version_id.in_(chunk)))
        entries += _ids(
            session, select(ENTRIES.c.listing_id).where(ENTRIES.c.version_id.in_(chunk))
        )
    _delete_in(session, "decisions", DECISIONS.c.item_id, items, counts)
    _delete_in(session, "review_items", ITEMS.c.id, items, counts)
    for name in ("identifiers", "scores"):
        _delete_in(session, name, table(name).c.version_id, versions, counts)
    links = table("template_links")
    _delete_in(session, "template_links", links.c.listing_a, entries, counts)
    _delete_in(session, "template_links", links.c.listing_b, entries, counts)
    _delete_in(session, "link_buckets", table("link_buckets").c.listing_id, entries, counts)
    _delete_in(session, "link_entries", ENTRIES.c.listing_id, entries, counts)
    _delete_in(session, "listing_links", table("listing_links").c.listing_id, gone, counts)
    _delete_in(session, "link_overrides", OVERRIDES.c.listing_id, gone, counts)
    _delete_in(session, "link_overrides", OVERRIDES.c.other_listing_id, gone, counts)
    _repoint(session, listings, versions, gone)
    _delete_in(session, "listing_versions", VERSIONS.c.id, versions, counts)
    _delete_in(session, "listings", LISTINGS.c.id, gone, counts)


def _delete_in(
    session: Session, name: str, column: Any, values: Sequence[int], counts: Counter[str]
) -> None:
    for chunk in _chunked(values):
        counts[name] += _rows(session.execute(delete(table(name)).where(column.in_(chunk))))


def _repoint(session: Session, listings: list[int], versions: list[int], gone: list[int]) -> None:
    """Listings that go lose their current version first; a listing kept whose current
    version goes (one a kept decision keeps) has its newest version kept as current."""
    for chunk in _chunked(gone):
        session.execute(
            update(LISTINGS).where(LISTINGS.c.id.in_(chunk)).values(current_version_id=None)
        )
    doomed, going = set(versions), set(gone)
    if not doomed:
        return
    for chunk in _chunked([i for i in listings if i not in going]):
        rows = session.execute(
            select(LISTINGS.c.id, LISTINGS.c.current_version_id).where(
                LISTINGS.c.id.in_(chunk), LISTINGS.c.current_version_id.is_not(None)
            )
        ).all()
        for listing_id, current in rows:
            if current not in doomed:
                continue
            kept = [
                version_id
                for version_id in session.scalars(
                    select(VERSIONS.c.id)
                    .where(VERSIONS.c.listing_id == listing_id)
                    .order_by(VERSIONS.c.version_no.desc())
                )
                if version_id not in doomed
            ]
            session.execute(
                update(LISTINGS)
                .where(LISTINGS.c.id == listing_id)
                .values(current_version_id=kept[0] if kept else None)
            )


def _purge_users(
    sessions: sessionmaker[Session], c: Cutoffs, batch: int, counts: Counter[str]
) -> None:
    """Disabled accounts that nothing kept names, with their sessions and watches. A batch
    locks its accounts first and decides again (PostgreSQL: one enabled meanwhile stays)."""
    last = 0
    while True:
        with _writing(sessions) as session:
            found = _ids(
                session,
                select(USERS.c.id)
                .where(USERS.c.id > last, user_purgeable(USERS, c))
                .order_by(USERS.c.id)
                .limit(batch),
            )
            if not found:
                return
            last = found[-1]
            session.execute(
                select(USERS.c.id)
                .where(USERS.c.id.in_(found))
                .order_by(USERS.c.id)
                .with_for_update()
            )
            users = _ids(
                session, select(USERS.c.id).where(USERS.c.id.in_(found), user_purgeable(USERS, c))
            )
            for name in ("web_sessions", "watches"):
                _delete_in(session, name, table(name).c.user_id, users, counts)
            _delete_in(session, "users", USERS.c.id, users, counts)


def _purge_audit_log(
    sessions: sessionmaker[Session], c: Cutoffs, batch: int, counts: Counter[str]
) -> audit.Anchor | None:
    """The audit log's expired events, oldest first. Before deleting, the chain's hash at
    the last event to go is recorded (chained on from the previous anchor): an export of
    the log starts from it, and a purge stopped half-way is finished by the next one."""
    with _reading(sessions) as session:
        start = audit.anchor(session)
        done = 0 if start is None else start.through
        last = session.scalar(select(func.max(EVENTS.c.id)).where(event_purgeable(EVENTS, c)))
    anchor = start
    if last is not None and last > done:
        with _reading(sessions) as session:
            prev = audit.GENESIS if start is None else start.hash
            events = session.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > done, AuditEvent.id <= last)
                .order_by(AuditEvent.id)
                .execution_options(yield_per=1000)
            )
            for record in audit.chained(events, prev):
                prev = record["hash"]
        anchor = audit.Anchor(int(last), prev)
        with _writing(sessions) as session:
            audit.record_anchor(session, anchor, c.now)
    if anchor is None:
        return None
    while True:  # everything up to the anchor (also what a stopped purge left)
        with _writing(sessions) as session:
            ids = _ids(
                session,
                select(EVENTS.c.id)
                .where(EVENTS.c.id <= anchor.through)
                .order_by(EVENTS.c.id)
                .limit(batch),
            )
            if not ids:
                return anchor
            _delete_in(session, "audit_events", EVENTS.c.id, ids, counts)
