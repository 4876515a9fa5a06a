"""The review UI killed with SIGKILL while an analyst records decisions (R28).

A real ``thbscan serve`` on PostgreSQL; a client decides items one after the other
(decide, then the next item is claimed) and notes every decision the server acknowledged
(its 303). The server is killed mid-stream, started again, and the request that was in
flight is sent again with its idempotency key, as a browser resubmits a form. Every
acknowledged decision is then in the database exactly once, no decision was made that
the client did not send, and every item is in a state its decisions explain.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from crawlhelp import REPO
from rq_helpers import PASSWORD, make_item
from sqlalchemy import select

from review_queue.db import Decision, ReviewItem, upgrade
from review_queue.db.models import AuditEvent, User
from review_queue.services.users import add_user
from store import create_engine_for, session_factory

pytestmark = pytest.mark.postgres

N_ITEMS = 40
KILL_AFTER = 10  # acknowledged decisions before the kill


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(db: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``thbscan serve`` in its own process group (its log to ``log``, so that a full pipe
    never stalls it): its address and its process."""
    port = free_port()
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "thbscan", "serve", "--db", db, "--port", str(port)],
            cwd=REPO,
            env={**os.environ, "THBSCAN_MODE": "test"},
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "thbscan serve did not start"
            time.sleep(0.1)
        yield base, proc
    finally:
        kill(proc)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server's process group; reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def hidden(body: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', body)
    assert match, f"no hidden field {name}"
    return match.group(1)


def logged_in(base: str) -> tuple[httpx.Client, str]:
    """A client logged in as the analyst, and its CSRF token."""
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
    page = client.get("/login")
    done = client.post(
        "/login",
        data={"name": "ana", "password": PASSWORD, "csrf_token": hidden(page.text, "csrf_token")},
    )
    assert done.status_code == 303, done.text[-2000:]
    return client, hidden(client.get("/queue").text, "csrf_token")


def item_of(location: str) -> int:
    match = re.fullmatch(r"/items/(\d+)", urlsplit(location).path)
    assert match, f"not an item: {location}"
    return int(match.group(1))


def test_every_acknowledged_decision_survives_a_kill_of_the_server(
    postgres_url: str, tmp_path: Path
) -> None:
    db = postgres_url
    engine = create_engine_for(db)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        add_user(session, "ana", "analyst", PASSWORD)
        for n in range(N_ITEMS):
            make_item(session, f"job-{n}")
    engine.dispose()

    acked: dict[str, tuple[int, str]] = {}  # idempotency key -> (item, action) acknowledged
    in_flight: tuple[str, int, str] | None = None
    log = tmp_path / "serve.log"
    with serving(db, log) as (base, proc):
        client, csrf = logged_in(base)
        item = item_of(
            client.post("/queue/claim-next", data={"csrf_token": csrf}).headers["location"]
        )
        done = threading.Event()

        def kill_mid_stream() -> None:
            while len(acked) < KILL_AFTER and not done.is_set():
                time.sleep(0.005)
            time.sleep(secrets.randbelow(20) / 1000)  # anywhere in the next request
            kill(proc)

        killer = threading.Thread(target=kill_mid_stream)
        killer.start()
        try:
            for n in range(N_ITEMS):
                key = secrets.token_urlsafe(16)
                action = ("dismiss", "escalate")[n % 2]
                form = {"csrf_token": csrf, "idempotency_key": key, "action": action}
                form |= {"reason": f"decision {n}", "then": "next"}
                try:
                    response = client.post(f"/items/{item}/decide", data=form)
                except httpx.TransportError:  # the server died with this request
                    in_flight = (key, item, action)
                    break
                assert response.status_code == 303, response.text[-2000:]
                acked[key] = (item, action)
                item = item_of(response.headers["location"])
        finally:
            done.set()
            killer.join(timeout=60)
            client.close()
    assert in_flight is not None, "the server should die while decisions are being made"
    assert len(acked) >= KILL_AFTER

    with serving(db, log) as (base, _proc):
        client, csrf = logged_in(base)  # a new process: a new session
        key, item, action = in_flight  # the form sent again, as it was
        form = {"csrf_token": csrf, "idempotency_key": key, "action": action, "reason": "again"}
        again = client.post(f"/items/{item}/decide", data=form)
        assert again.status_code == 303, again.text[-2000:]
        acked[key] = (item, action)
        client.close()

    engine = create_engine_for(db)
    try:
        with session_factory(engine)() as session:
            decisions = session.execute(
                select(
                    Decision.idempotency_key,
                    Decision.item_id,
                    Decision.action,
                    Decision.from_state,
                    Decision.to_state,
                )
            ).all()
            items = session.execute(
                select(ReviewItem.id, ReviewItem.state, ReviewItem.claimed_by)
            ).all()
            analyst = session.scalar(select(User.id).where(User.name == "ana"))
            audited = session.scalars(
                select(AuditEvent.object_id).where(AuditEvent.action.like("decision.%"))
            ).all()
    finally:
        engine.dispose()
    stored = {key: (item, action) for key, item, action, _from, _to in decisions}
    assert len(stored) == len(decisions), "a decision was stored twice"
    assert stored == acked, "an acknowledged decision is missing, or one nobody sent is there"
    decided = [item for _key, item, *_rest in decisions]
    assert len(decided) == len(set(decided)), "an item was decided twice"
    moved = {"dismiss": "dismissed", "escalate": "escalated"}
    for _key, _item, action, from_state, to_state in decisions:
        assert (from_state, to_state) == ("claimed", moved[action])
    outcome = {item: moved[action] for _key, item, action, *_rest in decisions}
    for item_id, state, claimed_by in items:
        if item_id in outcome:
            assert (state, claimed_by) == (outcome[item_id], None), item_id
        elif state == "claimed":
            assert claimed_by == analyst, item_id
        else:
            assert (state, claimed_by) == ("new", None), item_id
    assert sorted(audited) == sorted(str(item) for item in decided), "audit != decisions"
