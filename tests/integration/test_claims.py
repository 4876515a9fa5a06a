"""Concurrent claims never hand one item to two reviewers (R30), on SQLite and PostgreSQL.

SQLite silently drops ``FOR UPDATE SKIP LOCKED``; the claim is therefore one
conditional UPDATE ... RETURNING statement, which is safe on both databases.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from review_queue.db import AuditEvent, ReviewItem, User
from review_queue.services import queue, users
from review_queue.services.scores import ScoreInput, record_score
from store import session_factory
from store.listings import ListingInput, store_listing

THREADS = 8
CALLS = 50
ITEMS = 100
PASSWORD = "correct horse battery staple"


def seed(session: Session, count: int) -> None:
    for n in range(count):
        stored = store_listing(
            session,
            ListingInput(
                source="fixture",
                natural_key=f"job-{n}",
                title=f"Job {n}",
                text=f"Listing number {n}: pay the recruitment fee.",
            ),
        )
        record_score(
            session,
            ScoreInput(
                version_id=stored.version_id,
                scorer_key="test-scorer",
                score=(n % 10) / 10,
                band="medium",
                flagged=True,
                possible_minor=n % 7 == 0,
                categories=[],
                explanation={},
                language="en",
                model_version="model-1.0",
                list_versions={},
            ),
        )


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    with session_factory(migrated_engine)() as session:
        seed(session, ITEMS)
        for n in range(THREADS):
            users.add_user(session, f"analyst{n}", "analyst", PASSWORD)
        session.commit()
    return migrated_engine


def _claim_concurrently(engine: Engine, lease_seconds: int = 900) -> dict[str, list[int]]:
    factory = session_factory(engine)
    with factory() as session:
        reviewers = session.scalars(select(User).order_by(User.name)).all()
    barrier = threading.Barrier(len(reviewers))
    claimed: dict[str, list[int]] = {user.name: [] for user in reviewers}
    errors: list[BaseException] = []

    def work(user: User) -> None:
        try:
            barrier.wait()
            for _ in range(CALLS):
                with factory() as session:
                    queue.lease_only(session)  # as the review UI claims
                    ids = queue.claim_next(session, user, 1, lease_seconds=lease_seconds)
                    session.commit()
                claimed[user.name].extend(ids)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(user,)) for user in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not errors, errors
    return claimed


def test_no_double_claims(engine: Engine) -> None:
    claimed = _claim_concurrently(engine)
    counts = Counter(item_id for ids in claimed.values() for item_id in ids)
    doubles = {item_id: n for item_id, n in counts.items() if n > 1}
    assert doubles == {}
    assert len(counts) == ITEMS  # 400 calls for 100 items: every item claimed exactly once
    with session_factory(engine)() as session:
        owners = dict(
            session.execute(
                select(ReviewItem.id, User.name).join(User, User.id == ReviewItem.claimed_by)
            ).all()
        )
        assert (
            session.scalar(select(func.count()).where(AuditEvent.action == "item.claim")) == ITEMS
        )
    for name, ids in claimed.items():
        assert all(owners[item_id] == name for item_id in ids)


def test_expired_leases_return_items_without_double_claims(engine: Engine) -> None:
    factory = session_factory(engine)
    with factory() as session:
        first = session.scalar(select(User).where(User.name == "analyst0"))
        assert len(queue.claim_next(session, first, ITEMS)) == ITEMS
        session.commit()
        other = session.scalar(select(User).where(User.name == "analyst1"))
        assert queue.claim_next(session, other, 5) == []
        # the leases run out: the items are back in the queue
        session.execute(
            update(ReviewItem).values(claim_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
        assert queue.count_queue(session, state="new") == ITEMS
    claimed = _claim_concurrently(engine)
    counts = Counter(item_id for ids in claimed.values() for item_id in ids)
    assert max(counts.values()) == 1 and len(counts) == ITEMS


def test_short_lease_expires(engine: Engine) -> None:
    factory = session_factory(engine)
    with factory() as session:
        first = session.scalar(select(User).where(User.name == "analyst0"))
        other = session.scalar(select(User).where(User.name == "analyst1"))
        (item_id,) = queue.claim_next(session, first, 1, lease_seconds=1)
        session.commit()
        assert item_id not in queue.claim_next(session, other, ITEMS)
        session.rollback()
        threading.Event().wait(1.2)
        assert queue.claim(session, other, item_id).claimed_by == other.id
        session.commit()


@pytest.mark.parametrize("n", [1, 3])
def test_a_claim_of_n_takes_exactly_n_items(engine: Engine, n: int) -> None:
    """Each claim takes as many items as asked, and the database agrees: as a subquery of
    the UPDATE, PostgreSQL ran the locking LIMIT once per updated row and one claim of 1
    took several items."""
    factory = session_factory(engine)
    with factory() as session:
        user = session.scalars(select(User).order_by(User.name)).first()
        for _ in range(5):
            ids = queue.claim_next(session, user, n)
            session.commit()
            assert len(ids) == n, ids
        claimed = session.scalar(
            select(func.count()).select_from(ReviewItem).where(ReviewItem.claimed_by == user.id)
        )
    assert claimed == 5 * n


def test_only_the_claiming_transaction_skips_waiting_for_the_disk(engine: Engine) -> None:
    """A claim's commit need not reach the disk before the analyst sees the item; the next
    transaction (a decision) waits again."""
    if engine.dialect.name != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    with session_factory(engine)() as session:
        user = session.scalars(select(User).order_by(User.name)).first()
        queue.lease_only(session)
        assert queue.claim_next(session, user, 1)
        assert session.scalar(text("SHOW synchronous_commit")) == "off"
        session.commit()
        assert session.scalar(text("SHOW synchronous_commit")) == "on"
