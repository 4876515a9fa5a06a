"""The schema check every command makes at start: read without alembic where it can be,
decided by alembic otherwise, on SQLite and the real PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from review_queue.db import migrate, upgrade
from review_queue.db.errors import SchemaOutOfDate
from store import create_engine_for


def _alembic_head() -> str | None:
    from alembic.script import ScriptDirectory

    engine = create_engine_for("sqlite://")
    return ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()


def test_declared_head_is_alembics_head() -> None:
    assert migrate.declared_head() is not None
    assert migrate.declared_head() == _alembic_head()


@pytest.fixture
def engine(db_url: str):
    engine = create_engine_for(db_url)
    yield engine
    engine.dispose()


def test_a_new_database_is_refused_with_the_command_to_run(engine) -> None:
    assert migrate.stored_revision(engine) is None
    with pytest.raises(
        SchemaOutOfDate,
        match=r"revision none but thbscan needs \w+.*thbscan db "
        r"upgrade",
    ):
        migrate.check_current(engine)


def test_an_older_schema_is_refused_naming_both_revisions(engine) -> None:
    upgrade(engine, "0001")
    assert migrate.stored_revision(engine) == "0001"
    with pytest.raises(
        SchemaOutOfDate,
        match=rf"revision 0001 but thbscan needs "
        rf"{migrate.declared_head()}",
    ):
        migrate.check_current(engine)


def test_a_current_schema_passes_and_agrees_with_alembic(engine) -> None:
    upgrade(engine)
    assert migrate.stored_revision(engine) == migrate.current_revision(engine)
    assert migrate.stored_revision(engine) == migrate.declared_head()
    migrate.check_current(engine)  # no error
    assert upgrade(engine) == migrate.declared_head()  # again: nothing to do


def test_upgrade_from_an_older_schema_still_runs_the_migrations(engine) -> None:
    upgrade(engine, "0001")
    assert upgrade(engine) == migrate.declared_head()
    assert migrate.current_revision(engine) == migrate.declared_head()


@pytest.mark.parametrize(
    "edit",
    [
        # a merge revision: down_revision is a tuple, which the plain reading does not take
        lambda s: s.replace('down_revision = "0005"', 'down_revision = ("0005", "0002")'),
        # a second head: two files claim the same parent
        None,
    ],
    ids=["merge", "branch"],
)
def test_migration_files_not_in_a_plain_chain_are_left_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit
) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, copy)
    versions = copy / "versions"
    last = versions / "0006_link_overrides.py"
    if edit is None:
        shutil.copy(last, versions / "9999_branch.py")
        source = (versions / "9999_branch.py").read_text(encoding="utf-8")
        (versions / "9999_branch.py").write_text(
            source.replace('revision = "0006"', 'revision = "9999"'), encoding="utf-8"
        )
    else:
        last.write_text(edit(last.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setattr(migrate, "MIGRATIONS", copy)
    assert migrate.declared_head() is None


def test_the_migrations_make_the_schema_the_models_declare(engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    import review_queue.db.models  # noqa: F401 - the queue's tables on the store's Base
    from store import Base

    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # alembic cannot compare an index with DESC columns (it reflects them as expressions):
    # that one is checked by name
    queue_index = "ix_review_items_queue"
    diff = [d for d in diff if not (d[0].endswith("_index") and d[1].name == queue_index)]
    assert diff == []
    assert queue_index in {i["name"] for i in inspect(engine).get_indexes("review_items")}
