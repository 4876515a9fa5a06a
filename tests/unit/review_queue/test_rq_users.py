"""Users and login sessions (R22)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq_helpers import PASSWORD
from sqlalchemy import select
from sqlalchemy.orm import Session

from review_queue.db import AuditEvent, User, WebSession
from review_queue.services import users, websessions
from review_queue.services.errors import Conflict, InvalidInput, NotFound


def test_add_user_hashes_with_argon2(session: Session) -> None:
    user = users.add_user(session, "ana.b-1_x", "analyst", PASSWORD)
    session.commit()
    assert user.password_hash.startswith("$argon2")
    assert PASSWORD not in user.password_hash
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.add"))
    assert event is not None and PASSWORD not in str(event.details)


@pytest.mark.parametrize("name", ["", "a" * 65, "ana smith", "ana<script>", "anä", "a/b"])
def test_bad_names_refused(session: Session, name: str) -> None:
    with pytest.raises(InvalidInput, match="user name"):
        users.add_user(session, name, "analyst", PASSWORD)


def test_short_password_and_unknown_role_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="at least 12"):
        users.add_user(session, "ana", "analyst", "short")
    with pytest.raises(InvalidInput, match="role 'root'"):
        users.add_user(session, "ana", "root", PASSWORD)


def test_duplicate_name_conflict_names_user(session: Session, analyst: User) -> None:
    with pytest.raises(Conflict, match="'ana'"):
        users.add_user(session, "ana", "lead", PASSWORD)


def test_authenticate(session: Session, analyst: User) -> None:
    assert users.authenticate(session, "ana", PASSWORD) is analyst
    assert users.authenticate(session, "ana", PASSWORD + "x") is None
    assert users.authenticate(session, "nobody", PASSWORD) is None
    assert users.authenticate(session, "bad name!", PASSWORD) is None
    assert users.authenticate(session, "ana", "x" * 5000) is None


def test_disable_refuses_login_and_ends_sessions(session: Session, analyst: User) -> None:
    token, _ = websessions.start(session, analyst)
    token2, _ = websessions.start(session, analyst)
    session.commit()
    assert websessions.resolve(session, token) is not None
    users.disable_user(session, "ana", "admin-cli")
    session.commit()
    assert users.authenticate(session, "ana", PASSWORD) is None
    assert websessions.resolve(session, token) is None
    assert websessions.resolve(session, token2) is None
    live = session.scalars(select(WebSession).where(WebSession.ended_at.is_(None))).all()
    assert live == []
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.disable"))
    assert event is not None and event.details["sessions_ended"] == 2


def test_disable_unknown_user(session: Session) -> None:
    with pytest.raises(NotFound, match="'ghost'"):
        users.disable_user(session, "ghost", "admin")


def test_list_users(session: Session, analyst: User, lead: User) -> None:
    assert [user.name for user in users.list_users(session)] == ["ana", "lee"]


def test_session_token_stored_only_hashed(session: Session, analyst: User) -> None:
    token, web_session = websessions.start(session, analyst)
    session.commit()
    assert web_session.token_sha256 != token
    assert web_session.token_sha256 == websessions.token_digest(token)
    assert len(web_session.csrf_token) >= 32
    other_token, other = websessions.start(session, analyst)
    assert other_token != token and other.csrf_token != web_session.csrf_token


def test_session_timeouts(session: Session, analyst: User) -> None:
    start = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    token, _ = websessions.start(session, analyst, now=start)
    session.commit()
    idle, absolute = timedelta(minutes=30), timedelta(hours=12)
    # activity every 20 minutes keeps the session alive up to the absolute limit
    now = start
    for _ in range(35):
        now += timedelta(minutes=20)
        assert websessions.resolve(session, token, idle=idle, absolute=absolute, now=now)
    now += timedelta(minutes=20)  # 12 h 20 min after login
    assert websessions.resolve(session, token, idle=idle, absolute=absolute, now=now) is None

    token2, _ = websessions.start(session, analyst, now=start)
    later = start + timedelta(minutes=31)
    assert websessions.resolve(session, token2, idle=idle, absolute=absolute, now=later) is None
    # once expired, it stays ended
    assert websessions.resolve(session, token2, idle=idle, absolute=absolute, now=start) is None


def test_resolve_refreshes_last_seen_and_end(session: Session, analyst: User) -> None:
    start = datetime.now(UTC) - timedelta(minutes=10)
    token, web_session = websessions.start(session, analyst, now=start)
    resolved = websessions.resolve(session, token)
    assert resolved is web_session and web_session.last_seen_at > start
    assert websessions.end(session, token) is True
    assert websessions.resolve(session, token) is None
    assert websessions.end(session, token) is False
    assert websessions.resolve(session, None) is None
    assert websessions.resolve(session, "not-a-token") is None


_STORM = """
import resource, sys, threading
from review_queue.services import users
stored = users.hash_password("a storm of sign-ins")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
crowd = [threading.Thread(target=users._verify, args=(stored, "wrong")) for _ in range(8)]
for t in crowd:
    t.start()
for t in crowd:
    t.join()
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_a_storm_of_sign_ins_hashes_a_few_at_a_time() -> None:
    """Each argon2 hash takes 64 MiB: eight sign-ins at once must not take eight times that
    (without the bound the peak grew by about 450 MiB)."""
    import subprocess
    import sys

    grown = subprocess.run(
        [sys.executable, "-c", _STORM], capture_output=True, text=True, check=True
    ).stdout
    assert int(grown) < 3 * 64, f"peak memory grew by {grown} MiB"
