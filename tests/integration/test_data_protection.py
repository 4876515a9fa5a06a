"""R09: identifiers are stored only as keyed pseudonyms; production refuses to score
without a key."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from review_queue.db import Identifier, IdentifierValue
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
    """Ingest and scoring both need the key in production; what is stored holds the
    identifiers only as pseudonyms (with the version) and as tokens (in the text), the
    values in clear only in their own table."""
    db = f"sqlite:///{tmp_path / 'p.db'}"
    path = tmp_path / "l.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "a",
                "title": "Massage, call 25007006",
                "text": "Book on +45 25 00 70 06 or telegram: @maja_dk. Again: 25 00 70 06.",
                "fields": {"contact": {"phone": "+45 25 00 70 06", "mail": ["maja@example.com"]}},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    ingest = ("ingest", "--jsonl", str(path), "--source", "s", "--db", db)
    refused = thbscan(*ingest, mode="production")
    assert refused.returncode != 0 and "THBSCAN_PSEUDONYM_KEY" in refused.stderr
    key = {"THBSCAN_PSEUDONYM_KEY": "ab" * 32, "THBSCAN_PSEUDONYM_KEY_VERSION": "k7"}
    stored = thbscan(*ingest, mode="production", extra_env=key)
    assert stored.returncode == 0, stored.stderr
    refused = thbscan("score", "--db", db, "--quiet", mode="production")
    assert refused.returncode == 2
    assert "THBSCAN_PSEUDONYM_KEY" in refused.stderr

    ok = thbscan("score", "--db", db, "--quiet", "--workers", "1", mode="production", extra_env=key)
    assert ok.returncode == 0, ok.stderr
    engine = create_engine_for(db)
    with engine.connect() as conn:
        pseudonyms = conn.execute(select(Identifier.kind, Identifier.pseudonym)).all()
        version = conn.execute(select(ListingVersion)).one()
        clear = dict(conn.execute(select(IdentifierValue.kind, IdentifierValue.value)).all())
    engine.dispose()
    assert {k for k, _p in pseudonyms} == {"phone", "handle", "email"}
    for _kind, pseudonym in pseudonyms:
        assert pseudonym.startswith("k7:")
        assert "4525007006" not in pseudonym and "maja" not in pseudonym
    stored_text = json.dumps([version.title, version.text, version.fields, version.content_sha256])
    for raw in ("25007006", "25 00 70 06", "maja"):
        assert raw not in stored_text
    assert version.redacted and stored_text.count("[phone ") == 4
    assert "[telegram " in version.text and "[email " in stored_text
    assert clear["phone"] == "+4525007006" and clear["email"] == "maja@example.com"
