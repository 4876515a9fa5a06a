"""What ``thbscan backup`` and ``restore`` share between SQLite and PostgreSQL: their
errors, the private temporary file, the rule that a restore does not overwrite data."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

VERSION_TABLE = "alembic_version"  # every thbscan schema has it (`thbscan db upgrade`)


class BackupError(Exception):
    """The backup or restore failed; the message says why (exit status 1)."""

    code = 1


class Refused(BackupError):
    """Bad input, or a refusal that protects data; the message says what to do (exit 2)."""

    code = 2


@contextlib.contextmanager
def private_tmp(out: Path) -> Iterator[Path]:
    """A file next to ``out`` that only its owner may read (a backup holds personal data),
    removed unless the caller moved it into place."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def refuse_if_not_empty(counts: dict[str, int], target: object, force: bool) -> None:
    """Refuse (unless ``force``) a target with a row in any table but the version table:
    a freshly migrated, empty database may be restored into."""
    filled = {t: n for t, n in counts.items() if n and t != VERSION_TABLE}
    if filled and not force:
        some = ", ".join(f"{t} {n}" for t, n in list(filled.items())[:4])
        more = ", ..." if len(filled) > 4 else ""
        raise Refused(
            f"the target {target} is not empty (rows: {some}{more}): restoring would replace "
            "its data. Restore into an empty database, or pass --force to replace it"
        )


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
