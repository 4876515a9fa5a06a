"""Fixtures for the review-queue service tests: a migrated temporary SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rq_helpers import PASSWORD
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from review_queue.db import User, create_engine_for, session_factory, upgrade
from review_queue.services import users


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'rq.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def analyst(session: Session) -> User:
    user = users.add_user(session, "ana", "analyst", PASSWORD)
    session.commit()
    return user


@pytest.fixture
def lead(session: Session) -> User:
    user = users.add_user(session, "lee", "lead", PASSWORD)
    session.commit()
    return user


@pytest.fixture
def auditor(session: Session) -> User:
    user = users.add_user(session, "aud", "auditor", PASSWORD)
    session.commit()
    return user
