"""The event log (R02) from the review UI, the services and the command line, on SQLite
and PostgreSQL: a line per committed event, none for a rolled-back one, each line matching
its definition, no listing content or typed free text in it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import thbscan
from fastapi.testclient import TestClient
from rq_helpers import PASSWORD, make_item
from sqlalchemy import Engine

from review_queue.domain import events
from review_queue.services import retention, switches, users
from review_queue.web import create_app
from store import session_factory
from thbscan.event_log import open_event_log

KEY = "k3Jd9-xQ2mZ7pL0vR8sT1uW4yA6bC5eF-test-only"
PHONE = "+45 20 55 12 34"


@pytest.fixture
def event_log(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "events.jsonl"
    open_event_log(str(path))
    yield path
    open_event_log("off")


def lines(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        events.parse(line)  # raises when a line does not match its definition
    return [json.loads(line) for line in text.splitlines()]


def form_token(body: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = body.index(marker) + len(marker)
    return body[start : body.index('"', start)]


def test_review_actions_are_logged_once_committed(migrated_engine: Engine, event_log: Path) -> None:
    sessions = session_factory(migrated_engine)
    with sessions() as session:
        users.add_user(session, "ana", "analyst", PASSWORD)
        item = make_item(session, "job-1", redirects=()).id
        session.commit()
    with TestClient(create_app(migrated_engine, secret_key=KEY), follow_redirects=False) as c:
        for name, password in (("x\x1b[2J" + PHONE, "wrong"), ("ana", PASSWORD)):
            token = form_token(c.get("/login").text, "csrf_token")
            sent = c.post("/login", data={"name": name, "password": password, "csrf_token": token})
            if "thbscan_session" in sent.cookies:
                c.cookies.set("thbscan_session", sent.cookies["thbscan_session"])
        page = c.get(f"/items/{item}")
        c.post(f"/items/{item}/claim", data={"csrf_token": form_token(page.text, "csrf_token")})
        page = c.get(f"/items/{item}")
        form = {
            name: form_token(page.text, name)
            for name in ("csrf_token", "idempotency_key", "score_id")
        }
        reason = f"Ordinary agency ad; called {PHONE}, a visa cost."
        decided = c.post(
            f"/items/{item}/decide", data={**form, "action": "dismiss", "reason": reason}
        )
        assert decided.status_code == 303
    with sessions() as session:  # a change that is rolled back leaves no line
        switches.set_stopped(session, True, actor="lee", reason="rolled back")
        session.rollback()
    with sessions.begin() as session:
        switches.set_stopped(session, True, actor="lee", reason=f"platform asked; {PHONE}")

    logged = lines(event_log)
    kinds = [r["kind"] for r in logged]
    assert kinds == [
        "user.add",
        "auth.login_failed",
        "auth.login",
        "item.claim",
        "decision.dismiss",
        "crawl.stop_switch_on",
    ]
    refused, decision, stop = logged[1], logged[4], logged[5]
    assert "name" not in refused and refused["name_chars"] == len("x\\x1b[2J" + PHONE)  # as stored
    assert decision["actor"] == "ana" and decision["object_id"] == str(item)
    assert decision["reason_chars"] == len(reason) and decision["to_state"] == "dismissed"
    assert stop["actor"] == "lee" and "reason" not in stop
    text = event_log.read_text()
    assert "20 55" not in text and "agency" not in text and "\x1b" not in text


def test_a_purge_logs_its_counts_and_the_command_line_checks_the_log(
    migrated_engine: Engine, event_log: Path
) -> None:
    from datetime import UTC, datetime

    retention.purge(session_factory(migrated_engine), datetime.now(UTC), actor="ops")
    (purged,) = lines(event_log)
    assert purged["kind"] == "retention.purged" and purged["actor"] == "ops"
    assert purged["total"] == sum(purged["counts"].values()) == 0

    good = thbscan("audit", "events", str(event_log), "--json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout) == {
        "events": 1,
        "kinds": {"retention.purged": 1},
        "valid": True,
        "error": None,
    }
    with event_log.open("a") as log:
        log.write(json.dumps({**purged, "note": "added by hand"}) + "\n")
    bad = thbscan("audit", "events", str(event_log))
    assert bad.returncode == 1 and "line 2: retention.purged" in bad.stderr
    assert "note" in bad.stderr
    schema = thbscan("audit", "events", "--schema")
    assert set(json.loads(schema.stdout)) == set(events.KINDS)


def test_an_unwritable_event_log_is_a_clear_error(tmp_path: Path) -> None:
    where = tmp_path / "missing-dir" / "events.jsonl"
    result = thbscan("audit", "events", "--schema", env={"THBSCAN_EVENT_LOG": str(where)})
    assert result.returncode != 0
    assert f"THBSCAN_EVENT_LOG='{where}' cannot be written" in result.stderr
    assert "Traceback" not in result.stderr
