"""R09: identifiers are stored only as keyed pseudonyms; production refuses to score
without a key."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from review_queue.db import Identifier
from store import ListingVersion, create_engine_for


def thbscan(*args: str, mode: str, extra_env: dict | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("THBSCAN_PSEUDONYM")}
    env.update({"THBSCAN_MODE": mode, **(extra_env or {})})
    return subprocess.run(
        [sys.executable, "-m", "thbscan", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_identifiers_pseudonymised_and_key_required(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    path = tmp_path / "l.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "a",
                "title": "Massage",
                "text": "Book on +45 25 00 70 06 or telegram: @maja_dk.",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    assert (
        thbscan("ingest", "--jsonl", str(path), "--source", "s", "--db", db, mode="test").returncode
        == 0
    )
    refused = thbscan("score", "--db", db, "--quiet", mode="production")
    assert refused.returncode == 2
    assert "THBSCAN_PSEUDONYM_KEY" in refused.stderr

    key = "ab" * 32
    ok = thbscan(
        "score",
        "--db",
        db,
        "--quiet",
        "--workers",
        "1",
        mode="production",
        extra_env={"THBSCAN_PSEUDONYM_KEY": key, "THBSCAN_PSEUDONYM_KEY_VERSION": "k7"},
    )
    assert ok.returncode == 0, ok.stderr
    engine = create_engine_for(db)
    with engine.connect() as conn:
        pseudonyms = conn.execute(select(Identifier.kind, Identifier.pseudonym)).all()
        fields = conn.execute(select(ListingVersion.fields)).scalar_one()
    engine.dispose()
    kinds = {k for k, _p in pseudonyms}
    assert {"phone", "handle"} <= kinds
    for _kind, pseudonym in pseudonyms:
        assert pseudonym.startswith("k7:")
        assert "4525007006" not in pseudonym and "maja" not in pseudonym
    assert "phone" not in fields
