"""Fixtures for the review-queue service tests: a migrated temporary SQLite database.

The schema is migrated once per test run into a template file; each test gets a copy of it
(a real database of its own, without running every migration again)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq_helpers import PASSWORD
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from review_queue.db import User, upgrade
from review_queue.services import users
from store import create_engine_for, session_factory


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rq-template") / "rq.db"
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closes: the write-ahead log is folded in
    return path


@pytest.fixture
def engine(tmp_path: Path, migrated_template: Path) -> Iterator[Engine]:
    database = tmp_path / "rq.db"
    shutil.copyfile(migrated_template, database)
    engine = create_engine_for(f"sqlite:///{database}")
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
