"""R09: identifiers out of stored text. An archive an older thbscan stored in clear is
rewritten by ``thbscan db upgrade``; a lead reads the identifiers in clear only through a
logged reveal; an analyst cannot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rq_helpers import PASSWORD, make_item
from sqlalchemy import Engine, func, select

from nlp.extract import extract
from review_queue.db import AuditEvent, IdentifierValue, ReviewItem, Score
from review_queue.services import users
from review_queue.services.scores import ScoreInput, record_score
from review_queue.web import create_app
from store import ListingVersion, session_factory
from store.listings import ListingInput, store_listing
from thbscan.redaction import redact_archive, redactor

KEY = "k3Jd9-xQ2mZ7pL0vR8sT1uW4yA6bC5eF-test-only"


def in_clear(engine: Engine) -> list[str]:
    """Every phone number, e-mail address and handle left in stored titles, texts, fields."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ListingVersion.title, ListingVersion.text, ListingVersion.fields)
        ).all()
    return [
        e.text
        for row in rows
        for part in (row.title, row.text, json.dumps(row.fields, ensure_ascii=False))
        for e in extract(part)
        if e.kind in ("phone", "email", "handle")
    ]


def test_an_archive_stored_in_clear_is_redacted_on_upgrade(migrated_engine: Engine) -> None:
    with session_factory(migrated_engine)() as session:
        for text in ("Call 20 55 12 34 today.", "Call 30 55 12 34 today."):  # two versions
            stored = store_listing(session, ListingInput("old", "a", "Hostess", text))
        quote = {"field": "text", "start": 5, "end": 23, "text": "30 55 12 34 today."}
        record_score(  # scored in clear: its span and quote must follow the text
            session,
            ScoreInput(
                stored.version_id,
                "s",
                0.5,
                "medium",
                True,
                False,
                ["forced_labour"],
                {"indicators": [{"id": "x.today", "spans": [quote]}]},
                "en",
                "none",
                {},
            ),
        )
        store_listing(
            session,
            ListingInput(
                "old",
                "b",
                "Job, mail ann@example.com",
                "WhatsApp +4520551234",
                fields={"tel": ["20551234"]},
            ),
        )
        session.commit()
        before = set(session.scalars(select(ListingVersion.content_sha256)))
    assert len(in_clear(migrated_engine)) >= 5

    url = migrated_engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "THBSCAN_MODE": "test"}
    upgrade = [sys.executable, "-m", "thbscan", "db", "upgrade", "--db", url, "--json"]
    first = subprocess.run(upgrade, capture_output=True, text=True, env=env, check=True)
    assert json.loads(first.stdout)["versions_redacted"] == 3
    assert in_clear(migrated_engine) == []
    with session_factory(migrated_engine)() as session:
        versions = session.scalars(select(ListingVersion).order_by(ListingVersion.id)).all()
        assert all(v.redacted for v in versions)
        assert versions[0].text == "Call [phone acpfenae] today."  # the public test key
        assert versions[0].text != versions[1].text
        # the hashes are of the redacted text now: a hash of the text in clear would let
        # one who has the rest of the text try every phone number
        assert not before & {v.content_sha256 for v in versions}
        clear = dict(session.execute(select(IdentifierValue.value, IdentifierValue.kind)).all())
        explanation = session.scalar(select(Score.explanation))
    span = explanation["indicators"][0]["spans"][0]
    assert versions[1].text[span["start"] : span["end"]] == "[phone bpjcgmep] today."
    assert span["text"] == versions[1].text[span["start"] : span["end"]]
    assert clear == {
        "+4520551234": "phone",
        "+4530551234": "phone",
        "ann@example.com": "email",
        "whatsapp:+4520551234": "handle",
    }
    second = subprocess.run(upgrade, capture_output=True, text=True, env=env, check=True)
    assert json.loads(second.stdout)["versions_redacted"] == 0


@pytest.fixture
def client(migrated_engine: Engine) -> Iterator[TestClient]:
    with session_factory(migrated_engine)() as session:
        users.add_user(session, "ana", "analyst", PASSWORD)
        users.add_user(session, "lee", "lead", PASSWORD)
        make_item(
            session, "job-1", text="Ring 20 55 12 34 or mail ann@example.com.", explanation={}
        )
        session.commit()
    redact_archive(session_factory(migrated_engine), redactor("test"), quiet=True)
    with TestClient(create_app(migrated_engine, secret_key=KEY), follow_redirects=False) as c:
        yield c


def _login(client: TestClient, name: str) -> str:
    client.cookies.clear()
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    return token


def _csrf(body: str) -> str:
    return body.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_a_lead_reveals_identifiers_saying_why_and_it_is_logged(
    client: TestClient, migrated_engine: Engine
) -> None:
    with session_factory(migrated_engine)() as session:
        item = session.scalar(select(ReviewItem.id))

    _login(client, "ana")
    page = client.get(f"/items/{item}").text
    assert "[phone acpfenae]" in page and "20 55 12 34" not in page
    assert "A lead can reveal them" in page and f"/items/{item}/reveal" not in page
    refused = client.post(
        f"/items/{item}/reveal", data={"csrf_token": _csrf(page), "reason": "x" * 20}
    )
    assert refused.status_code == 403

    _login(client, "lee")
    page = client.get(f"/items/{item}").text
    assert f'action="/items/{item}/reveal"' in page and "+4520551234" not in page
    short = client.post(f"/items/{item}/reveal", data={"csrf_token": _csrf(page), "reason": "see"})
    assert short.status_code == 422 and "say why" in short.text
    why = "Police asked about this number, case 2026-114."
    shown = client.post(f"/items/{item}/reveal", data={"csrf_token": _csrf(page), "reason": why})
    assert shown.status_code == 200
    assert "<code>+4520551234</code>" in shown.text and "<code>ann@example.com</code>" in shown.text

    with session_factory(migrated_engine)() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "identifier.reveal")
        ).all()
        assert session.scalar(select(func.count()).select_from(IdentifierValue)) == 2
    assert [(e.actor, e.details["reason"], e.details["identifiers"]) for e in events] == [
        ("lee", why, 2)
    ]
    assert "4520551234" not in json.dumps(events[0].details)
