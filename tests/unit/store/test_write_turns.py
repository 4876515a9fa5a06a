"""SQLite writers of one process take turns on a lock of their own (store/connection.py):
every transaction is applied once, a turn is handed back on commit, on rollback and when a
connection returns to the pool, and a writer never waits on a turn nobody holds."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from store import create_engine_for, session_factory
from store.connection import _write_turn


def test_writers_of_many_threads_each_apply_once(tmp_path: Path) -> None:
    database = tmp_path / "turns.db"
    engine = create_engine_for(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    writers = session_factory(engine, writer=True)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                with writers.begin() as session:
                    n = session.scalar(text("SELECT n FROM counter"))
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with engine.connect() as conn:  # read, add one, write: lost updates would show here
        assert conn.scalar(text("SELECT n FROM counter")) == 200
    assert not _write_turn(str(database)).locked()
    engine.dispose()


def test_a_turn_is_handed_back_on_rollback_and_on_close(tmp_path: Path) -> None:
    database = tmp_path / "turns.db"
    engine = create_engine_for(f"sqlite:///{database}")
    writers = session_factory(engine, writer=True)
    turn = _write_turn(str(database))
    try:
        with writers.begin() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            assert turn.locked()
            raise RuntimeError("the transaction fails")
    except RuntimeError:
        pass
    assert not turn.locked()
    session = writers()
    session.execute(text("SELECT 1"))
    assert turn.locked()
    session.close()  # never committed: the connection goes back to the pool
    assert not turn.locked()
    readers = session_factory(engine)
    with readers() as session:  # readers take no turn
        session.execute(text("SELECT 1"))
        assert not turn.locked()
    engine.dispose()
