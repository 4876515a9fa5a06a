"""Alembic migrations, run programmatically (``thbscan db upgrade``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from review_queue.db.errors import SchemaOutOfDate

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used: a process that only stores or reads (a crawl,
# the web UI's workers) starts about 0.1 s sooner without it.

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to ``revision``; returns the revision now current. A database
    already at the head the migration files declare is left as it is without importing
    alembic (each crawl and ingest starts with this call)."""
    if revision == "head" and (head := _at_declared_head(engine)) is not None:
        return head
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


# One ``revision = "..."`` and one ``down_revision = None | "..."`` line per migration file.
_REVISION_RE = re.compile(r"""^revision(?:\s*:[^=\n]*)?\s*=\s*["']([^"'\n]+)["']\s*$""", re.M)
_DOWN_REVISION_RE = re.compile(
    r"""^down_revision(?:\s*:[^=\n]*)?\s*=\s*(?:None|["']([^"'\n]+)["'])\s*$""", re.M
)
_VERSION_TABLE = "alembic_version"


def declared_head() -> str | None:
    """The head revision as the migration files declare it, read without importing
    alembic (about 0.15 s of every command's start); None when the files are not one plain
    chain (a merge, a branch, a form the two patterns above do not read): alembic decides
    then."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION_RE.findall(source), _DOWN_REVISION_RE.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0]:
            parents.add(down[0])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def stored_revision(engine: Engine) -> str | None:
    """The one revision recorded in the database, read with plain SQL; None before the
    first migration, and when several are recorded (alembic decides then)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(_VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def _at_declared_head(engine: Engine) -> str | None:
    """The declared head when the database records exactly it, else None (ask alembic)."""
    head = declared_head()
    return head if head is not None and stored_revision(engine) == head else None


def check_current(engine: Engine) -> None:
    """Raise SchemaOutOfDate with the command to run when migrations are pending.

    The usual case (the database at the head the migration files declare) is decided
    without alembic; anything else is looked at again by alembic before an error is raised.
    """
    if _at_declared_head(engine) is not None:
        return
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at revision {current or 'none'} but thbscan needs {head}: "
            f"run `thbscan db upgrade --db {engine.url.render_as_string(hide_password=True)}`"
        )
