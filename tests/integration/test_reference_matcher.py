"""A partner export's reference matcher, run without thbscan (Python's standard library only),
gives the results of ``thbscan check --no-model --lists EXPORT`` line by line; and ``check``
never loses a line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from indicator_lists.export import MATCHER_PACKAGE
from models.indicator_eval import load_split

REPO = Path(__file__).resolve().parents[2]
THBSCAN = [sys.executable, "-m", "thbscan"]
COMPARED = ("score", "flagged", "band", "categories", "possible_minor", "indicators", "kind")


def _run(
    cmd: list[str], stdin: bytes, cwd: Path | None = None, hash_seed: str = "random"
) -> list[dict]:
    proc = subprocess.run(
        cmd,
        input=stdin,
        capture_output=True,
        cwd=cwd,
        check=False,
        timeout=600,
        env={
            "PATH": "/usr/bin:/bin",
            "THBSCAN_MODE": "test",
            "HOME": str(Path.home()),
            "PYTHONHASHSEED": hash_seed,
        },
    )
    assert proc.returncode in (0, 1), proc.stderr.decode()[-2000:]
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export")
    proc = subprocess.run(
        [*THBSCAN, "indicators", "export", "--partner-profile", "social", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def _input() -> bytes:
    rows = load_split("dev")
    lines = [
        json.dumps(
            {"id": r["id"], "title": r["title"], "text": r["text"]}, ensure_ascii=False
        ).encode()
        for r in rows
    ]
    lines[10:10] = [
        b"{not json",
        b'{"text": "\\ud800"}',
        b"\xff\xfe bad bytes",
        b"[" * 500 + b"]" * 500,
        b'{"title": 3, "text": "x"}',
    ]
    return b"\n".join(lines) + b"\n"


def test_reference_matcher_gives_check_results(export_dir: Path) -> None:
    data = _input()
    reference = _run(
        [sys.executable, "-E", "-s", "-S", "-m", MATCHER_PACKAGE, "--compiled", "compiled.json"],
        data,
        cwd=export_dir,
    )
    checked = _run(
        [*THBSCAN, "check", "--json", "--no-model", "--lists", str(export_dir)], data, cwd=REPO
    )
    assert len(reference) == len(checked) == len(data.splitlines())
    flagged = 0
    for ref, chk in zip(reference, checked, strict=True):
        assert ref["line"] == chk["line"]
        assert ("error" in ref) == ("error" in chk), (ref, chk)
        if "error" in ref:
            continue
        assert ref["id"] == chk["id"]
        for key in COMPARED:
            assert ref[key] == chk[key], (ref["id"], key, ref[key], chk[key])
        if chk["language_supported"] or ref["language"] != "und":
            assert ref["language"] == chk["language"], ref["id"]
        flagged += chk["flagged"]
    assert flagged > 50  # the comparison covers real hits, not only empty results


def test_check_never_loses_a_line() -> None:
    good = json.dumps({"title": "Job", "text": "Warehouse work in Kolding."}).encode()
    lines = [good] * 1000
    bad = {
        700: b"\xc3\x28 invalid UTF-8",
        701: b'{"text": "\\udfff"}',
        702: b"[" * 1000 + b"]" * 1000,
        703: b'"just a string"',
    }
    for n, line in bad.items():
        lines[n - 1] = line
    out = _run([*THBSCAN, "check", "--json", "--no-model"], b"\n".join(lines) + b"\n", cwd=REPO)
    assert [o["line"] for o in out] == list(range(1, 1001))
    errors = {o["line"] for o in out if "error" in o}
    assert errors == set(bad)
    assert all("score" in o for o in out if o["line"] not in bad)


@pytest.mark.slow
def test_results_do_not_depend_on_the_hash_seed() -> None:
    """Sets iterate in an order that changes with PYTHONHASHSEED: no result may follow it."""
    data = _input()
    first, second = (
        _run([*THBSCAN, "check", "--json", "--no-model"], data, cwd=REPO, hash_seed=seed)
        for seed in ("1", "2")
    )
    assert first == second
