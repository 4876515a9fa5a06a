"""A full disk under a SQLite database: a clear error, nothing committed lost, no corruption.

The database lives on a small tmpfs mounted for the test (skipped where mounting is not
permitted). ``thbscan ingest`` of a file that does not fit fills the disk: it must end with
one line that names the database file, says that the disk is full and what to do; the
listings stored before are all there, unchanged, and the database passes SQLite's
integrity check. With the disk made larger, the same ingest then completes.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import thbscan

from fixture_site import generate_listings
from review_queue.db import upgrade
from store import create_engine_for, session_factory
from store.listings import ListingInput, store_listing

SMALL, LARGE = "640k", "8m"  # the schema takes about 300 kB


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A directory on a tmpfs of ``SMALL`` bytes, unmounted afterwards."""
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("no mount command: cannot make a small disk")
    where = Path(tempfile.mkdtemp(prefix="thbscan-full-"))
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={SMALL},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        where.rmdir()
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()[:200]}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)
        where.rmdir()


def rows(path: Path) -> list[tuple[str, str, str]]:
    """(natural key, title, text) of every stored listing's current version."""
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT l.natural_key, v.title, v.text FROM listings l "
            "JOIN listing_versions v ON v.id = l.current_version_id ORDER BY l.natural_key"
        ).fetchall()


def integrity(path: Path) -> list[tuple[str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall()


def test_a_full_disk_gives_a_clear_error_and_no_corrupt_database(
    small_disk: Path, tmp_path: Path
) -> None:
    path = small_disk / "thbscan.db"
    db = f"sqlite:///{path}"
    engine = create_engine_for(db)
    upgrade(engine)
    with session_factory(engine).begin() as session:  # committed: must survive
        for n in range(20):
            store_listing(session, ListingInput("early", f"e{n}", f"Cook {n}", "Cook wanted."))
    engine.dispose()
    before = rows(path)
    assert len(before) == 20

    listings = generate_listings(n_jobs=40, n_ads=20)
    big = tmp_path / "big.jsonl"
    big.write_text(  # about 350 kB of text: more than the disk has left
        "".join(
            json.dumps({"id": x.id, "title": x.title, "text": x.text * 12}) + "\n" for x in listings
        ),
        encoding="utf-8",
    )
    full = thbscan("ingest", "--jsonl", str(big), "--source", "big", "--db", db, "--json")
    assert full.returncode != 0
    assert "Traceback" not in full.stderr, full.stderr[-3000:]
    (line,) = [x for x in full.stderr.splitlines() if str(path) in x]
    assert "disk" in line and "is full" in line and "free space" in line, line
    assert integrity(path) == [("ok",)]
    assert rows(path) == before  # nothing committed is lost; the failed ingest left nothing

    subprocess.run(["mount", "-o", f"remount,size={LARGE}", str(small_disk)], check=True)
    again = thbscan("ingest", "--jsonl", str(big), "--source", "big", "--db", db, "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["new"] == len(listings)
    after = rows(path)
    assert len(after) == len({key for key, *_rest in after}) == 20 + len(listings)
    assert set(before) <= set(after)
    assert integrity(path) == [("ok",)]
