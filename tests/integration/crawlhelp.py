"""Helpers for crawler integration tests: run ``thbscan`` in a subprocess, measure its RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def run_thbscan(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> tuple[int, str, str, int]:
    """Exit code, stdout, stderr and peak RSS in kB of ``python -m thbscan ARGS``
    (VmHWM polled every 0.1 s, so a spike in the last 0.1 s may be missed)."""
    full_env = {**os.environ, "THBSCAN_MODE": "test", **(env or {})}
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"thb-{os.getpid()}-{time.time_ns()}"
    with open(f"{out_path}.out", "w+") as out, open(f"{out_path}.err", "w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "thbscan", *args], stdout=out, stderr=err, env=full_env, cwd=REPO
        )
        deadline = time.monotonic() + timeout
        peak_kb = 0
        while True:
            peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.1)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    os.unlink(f"{out_path}.out")
    os.unlink(f"{out_path}.err")
    # VmHWM of the crawl itself: ru_maxrss of a child also counts the pages it shared
    # with this (large) test process between fork and exec.
    return proc.returncode, stdout, stderr, peak_kb or usage.ru_maxrss


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def last_json(stdout: str) -> Any:
    return json.loads(stdout.strip().splitlines()[-1])


def write_source(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(f'name = "{name}"\n{body}', encoding="utf-8")
    return path
