"""Re-scoring the archive: batched, parallel, resumable after a kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from fixture_site import generate_listings
from review_queue.db import Score
from store import create_engine_for

pytestmark = pytest.mark.slow


def thbscan(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thbscan", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "THBSCAN_MODE": "test"},
        timeout=600,
        check=False,
        **kw,
    )


def scored(db: str) -> int:
    engine = create_engine_for(db)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Score))
    engine.dispose()
    return n


def test_score_is_resumable_after_kill_and_uses_two_workers(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    listings = generate_listings(n_jobs=960, n_ads=240)
    path = tmp_path / "archive.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": x.id, "title": x.title, "text": x.text}) + "\n" for x in listings
        ),
        encoding="utf-8",
    )
    ingest = thbscan("ingest", "--jsonl", str(path), "--source", "archive", "--db", db, "--json")
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["new"] == len(listings)

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "thbscan",
            "score",
            "--db",
            db,
            "--workers",
            "2",
            "--batch-size",
            "100",
            "--quiet",
        ],
        env={**os.environ, "THBSCAN_MODE": "test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.time() + 240
    while scored(db) < 200 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the job and its worker processes
    proc.wait(30)
    done_before = scored(db)
    assert 0 < done_before < len(listings), "the kill should land mid-run"

    resumed = thbscan("score", "--db", db, "--workers", "2", "--json", "--quiet")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    report = json.loads(resumed.stdout)
    assert report["workers"] == 2
    assert report["scored"] == len(listings) - done_before  # only what was left
    assert scored(db) == len(listings)

    again = json.loads(thbscan("score", "--db", db, "--json", "--quiet").stdout)
    assert again["scored"] == 0  # nothing left under the same scorer
    forced = json.loads(
        thbscan("score", "--db", db, "--rescore", "--json", "--quiet", "--workers", "1").stdout
    )
    assert forced["scored"] == len(listings)
    assert scored(db) == len(listings)  # a re-score replaces, never duplicates


def test_stop_switch_halts_scoring(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'stop.db'}"
    path = tmp_path / "few.jsonl"
    path.write_text(
        json.dumps({"id": "1", "title": "Cook", "text": "Cook wanted."}) + "\n", encoding="utf-8"
    )
    assert thbscan("ingest", "--jsonl", str(path), "--source", "s", "--db", db).returncode == 0
    stop = thbscan("stop", "--reason", "test of the switch", "--db", db)
    assert stop.returncode == 0, stop.stderr
    halted = thbscan("score", "--db", db, "--quiet")
    assert halted.returncode == 5 and "stop switch is on" in halted.stderr
    assert scored(db) == 0
    assert thbscan("resume", "--reason", "done", "--db", db).returncode == 0
    assert thbscan("score", "--db", db, "--quiet", "--workers", "1").returncode == 0
    assert scored(db) == 1
