"""``thbscan doctor``: one line per check (ok, warn, FAIL) with what to do; exit 1 on a FAIL.

Run in-process on real databases (SQLite files, the real PostgreSQL), a real copy of the
model registry and a real closed port for Redis."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sqlite3
from pathlib import Path

import pytest

from models.registry import ARTIFACTS
from thbscan.cli import main
from thbscan.ops_parser import DOCTOR_CHECKS

SLOW_CHECKS = ("--skip", "indicators")  # 10-40 s; checked on its own below


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean environment: no THBSCAN_* setting of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.startswith("THBSCAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("THBSCAN_MODE", "test")
    return monkeypatch


@pytest.fixture
def production(env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    env.setenv("THBSCAN_MODE", "production")
    env.setenv("THBSCAN_SECRET_KEY", secrets.token_urlsafe(48))
    env.setenv("THBSCAN_PSEUDONYM_KEY", secrets.token_hex(32))
    return env


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, dict]]:
    """Exit status and the checks by name, from ``thbscan doctor --json``."""
    code = main(["doctor", "--json", *args])
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is (code == 0)
    assert report["failed"] == sum(c["status"] == "FAIL" for c in report["checks"])
    return code, {c["name"]: c for c in report["checks"]}


def migrated(url: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["db", "upgrade", "--db", url]) == 0
    capsys.readouterr()
    return url


def test_a_healthy_sqlite_database_passes_every_check(
    production: pytest.MonkeyPatch, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated(sqlite_url, capsys)
    code, checks = doctor(capsys, "--db", sqlite_url, *SLOW_CHECKS)
    assert code == 0
    assert tuple(checks) == tuple(c for c in DOCTOR_CHECKS if c != "indicators")
    assert {name: c["status"] for name, c in checks.items()} == dict.fromkeys(checks, "ok")
    assert "the newest" in checks["migrations"]["message"]
    # the text form: one line per check, status first, then a verdict
    assert main(["doctor", "--db", sqlite_url, *SLOW_CHECKS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [["ok", name] for name in checks]
    assert lines[-1].startswith("doctor: ready")


def test_an_unmigrated_database_fails_naming_db_upgrade(
    production: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    code, checks = doctor(capsys, "--db", f"sqlite:///{empty}", *SLOW_CHECKS)
    assert code == 1
    assert checks["database"]["status"] == "ok"
    assert checks["migrations"]["status"] == "FAIL"
    assert "revision none" in checks["migrations"]["message"]
    assert f"thbscan db upgrade --db sqlite:///{empty}" in checks["migrations"]["message"]
    # no file at all: the database check says the same, and doctor creates nothing
    missing = tmp_path / "missing" / "thbscan.db"
    code, checks = doctor(capsys, "--db", f"sqlite:///{missing}", *SLOW_CHECKS)
    assert code == 1
    assert checks["database"]["status"] == "FAIL"
    assert "thbscan db upgrade" in checks["database"]["message"]
    assert checks["migrations"]["status"] == "FAIL"
    assert not missing.parent.exists()


def test_missing_or_weak_secrets_fail_in_production_and_warn_in_test_mode(
    env: pytest.MonkeyPatch, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated(sqlite_url, capsys)
    only_secrets = [
        arg
        for name in DOCTOR_CHECKS
        if name not in ("secret-key", "pseudonym-key")
        for arg in ("--skip", name)
    ]
    env.setenv("THBSCAN_MODE", "production")
    env.setenv("THBSCAN_SECRET_KEY", "changeme")  # weak
    code, checks = doctor(capsys, "--db", sqlite_url, *only_secrets)  # no pseudonym key
    assert code == 1
    assert checks["secret-key"]["status"] == "FAIL"
    assert "THBSCAN_SECRET_KEY is missing or too weak" in checks["secret-key"]["message"]
    assert checks["pseudonym-key"]["status"] == "FAIL"
    assert "THBSCAN_PSEUDONYM_KEY is not set" in checks["pseudonym-key"]["message"]
    assert "secrets.token_hex(32)" in checks["pseudonym-key"]["message"]

    env.setenv("THBSCAN_SECRET_KEY", secrets.token_urlsafe(48))
    env.setenv("THBSCAN_PSEUDONYM_KEY", secrets.token_hex(16))  # 16 bytes: too short
    code, checks = doctor(capsys, "--db", sqlite_url, *only_secrets)
    assert code == 1
    assert checks["secret-key"]["status"] == "ok"
    assert checks["pseudonym-key"]["status"] == "FAIL"
    assert "at least 32 are required" in checks["pseudonym-key"]["message"]

    env.setenv("THBSCAN_MODE", "test")  # test mode: the same gaps are warnings only
    env.delenv("THBSCAN_SECRET_KEY")
    env.delenv("THBSCAN_PSEUDONYM_KEY")
    code, checks = doctor(capsys, "--db", sqlite_url, *only_secrets)
    assert code == 0
    assert checks["secret-key"]["status"] == checks["pseudonym-key"]["status"] == "warn"
    assert "public demo key" in checks["pseudonym-key"]["message"]


def test_a_tampered_model_file_fails(
    production: pytest.MonkeyPatch,
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    migrated(sqlite_url, capsys)
    models_dir = tmp_path / "artifacts"
    shutil.copytree(ARTIFACTS, models_dir)
    production.setenv("THBSCAN_MODELS_DIR", str(models_dir))
    code, checks = doctor(capsys, "--db", sqlite_url, *SLOW_CHECKS)
    assert code == 0, checks  # the untouched copy passes
    assert checks["models"]["status"] == "ok"
    assert str(models_dir) in checks["models"]["message"]

    manifest = json.loads((models_dir / "manifest.json").read_text(encoding="utf-8"))
    promoted = manifest["promoted"]
    artefact = models_dir / manifest["models"][promoted]["file"]
    data = bytearray(artefact.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    artefact.write_bytes(bytes(data))
    code, checks = doctor(capsys, "--db", sqlite_url, *SLOW_CHECKS)
    assert code == 1
    assert checks["models"]["status"] == "FAIL"
    message = checks["models"]["message"]
    assert f"model {promoted} file {artefact}" in message
    assert "refusing to load an altered file" in message
    assert "thbscan model train" in message


def test_an_unreachable_redis_fails(
    production: pytest.MonkeyPatch, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated(sqlite_url, capsys)
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    production.setenv("THBSCAN_REDIS_URL", f"redis://:s3cret@127.0.0.1:{port}/0")
    code, checks = doctor(capsys, "--db", sqlite_url, *SLOW_CHECKS)
    assert code == 1
    assert checks["redis"]["status"] == "FAIL"
    message = checks["redis"]["message"]
    assert f"127.0.0.1:{port}" in message
    assert "THBSCAN_REDIS_URL" in message
    assert "s3cret" not in message  # the password is never shown
    assert [n for n, c in checks.items() if c["status"] == "FAIL"] == ["redis"]


def test_a_bad_setting_fails_naming_it(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("THBSCAN_MODE", "staging")
    code, checks = doctor(capsys)
    assert code == 1
    assert list(checks) == ["config"]
    assert checks["config"]["status"] == "FAIL"
    assert "THBSCAN_MODE='staging'" in checks["config"]["message"]


def test_broken_indicator_lists_fail_naming_the_file_and_the_command(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "lists" / "forced_labour" / "1.0.0.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("list: forced_labour\nversion: 1.0.0\nstatus: [oops\n", encoding="utf-8")
    others = [a for n in DOCTOR_CHECKS if n != "indicators" for a in ("--skip", n)]
    code, checks = doctor(capsys, "--lists", str(tmp_path / "lists"), *others)
    assert code == 1
    assert list(checks) == ["indicators"]
    assert checks["indicators"]["status"] == "FAIL"
    assert f"{broken}:" in checks["indicators"]["message"]
    assert f"thbscan indicators validate {tmp_path / 'lists'}" in checks["indicators"]["message"]


@pytest.mark.postgres
def test_the_real_postgresql_passes(
    production: pytest.MonkeyPatch, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated(postgres_url, capsys)
    code, checks = doctor(capsys, "--db", postgres_url, *SLOW_CHECKS)
    assert code == 0, checks
    assert checks["database"]["status"] == "ok"
    assert "PostgreSQL" in checks["database"]["message"]
    assert checks["migrations"]["status"] == "ok"
    assert checks["backup-tools"]["status"] == "ok"  # pg_dump, pg_restore, psql


def test_help_documents_the_checks_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["doctor", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "exit status: 0 no check failed (warnings allowed); 1 at least one check failed" in (
        " ".join(text.split())
    )
    for name in DOCTOR_CHECKS:
        assert f"  {name} " in text
