"""`thbscan serve` behind a TLS reverse proxy: with --proxy-headers the session cookie is
marked Secure when the proxy says the request came over HTTPS; without it, it is not (a
real uvicorn server on loopback)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from review_queue.db import upgrade
from review_queue.services.users import add_user
from store import create_engine_for, session_factory

PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def archive(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    engine = create_engine_for(db)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        add_user(session, "ana", "analyst", PASSWORD)
    engine.dispose()
    return db


def serving(db: str, *extra: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "thbscan", "serve", "--db", db, "--port", str(port), *extra],
        env={**os.environ, "THBSCAN_MODE": "test"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("thbscan serve did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def session_cookie(base: str) -> str:
    """Log in as the proxy would forward it (X-Forwarded-Proto: https); the session's
    Set-Cookie header."""
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    page = httpx.get(f"{base}/login", headers=https)
    nonce = re.search(r"thbscan_login_csrf=([^;]+)", page.headers["set-cookie"])
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert nonce and token
    response = httpx.post(
        f"{base}/login",
        headers={**https, "Cookie": f"thbscan_login_csrf={nonce.group(1)}"},
        data={"name": "ana", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 303, response.text
    return next(c for c in response.headers.get_list("set-cookie") if "thbscan_session=" in c)


@pytest.mark.slow
def test_behind_a_tls_proxy_the_session_cookie_is_secure(archive: str) -> None:
    for base in serving(archive, "--proxy-headers"):
        assert "secure" in session_cookie(base).lower()
    for base in serving(archive):  # not told to trust the proxy: plain HTTP as it is
        assert "secure" not in session_cookie(base).lower()
