"""A real Scrapyd for tests, run with the repository's ``deploy/scrapyd.conf``.

``running_scrapyd(home)`` starts ``scrapyd`` on 127.0.0.1 in the folder ``home`` with the
shipped configuration, only the port and the folders changed (a free port, folders inside
``home``), and stops it on exit. ``home`` must not lie below a ``scrapy.cfg``: Scrapyd would
read a project from it, and a test of a deployed egg would not test the egg.
``scrapyd_deploy(daemon, config_home)`` runs ``scrapyd-deploy`` in the repository, as
docs/crawler.md says, to a target that differs from scrapy.cfg's ``[deploy:local]`` only by
the port. The ``scrapyd_daemon`` fixture gives a test its own daemon; a test module gets it
with ``from scrapyd_support import scrapyd_daemon_fixture  # noqa: F401``.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crawlhelp import REPO

SHIPPED_CONF = REPO / "deploy" / "scrapyd.conf"
SCRAPY_CFG = REPO / "scrapy.cfg"
SCRAPYD = Path(sys.executable).with_name("scrapyd")
SCRAPYD_DEPLOY = Path(sys.executable).with_name("scrapyd-deploy")
# The only options of the shipped configuration a test changes: where Scrapyd listens and
# where it keeps its files.
PORT_OPTION = "http_port"
DIR_OPTIONS = ("eggs_dir", "logs_dir", "dbs_dir")


def missing_reason() -> str | None:
    """Why Scrapyd cannot run here, or None."""
    extra = "pip install -e '.[scrapyd]'"
    if importlib.util.find_spec("scrapyd") is None:
        return f"scrapyd is not installed ({extra})"
    if importlib.util.find_spec("scrapyd_client") is None:
        return f"scrapyd-client is not installed ({extra})"
    if importlib.util.find_spec("pkg_resources") is None:
        return f"Scrapyd 1.6 needs pkg_resources, gone from setuptools 81 on ({extra})"
    for tool in (SCRAPYD, SCRAPYD_DEPLOY):
        if not tool.exists():
            return f"{tool} not found ({extra})"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_shipped_conf() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    with SHIPPED_CONF.open(encoding="utf-8") as f:
        parser.read_file(f)
    return parser["scrapyd"]


def write_scrapyd_conf(home: Path, port: int) -> Path:
    """``home/scrapyd.conf``: the shipped configuration with the port and folders changed."""
    parser = configparser.ConfigParser(interpolation=None)
    with SHIPPED_CONF.open(encoding="utf-8") as f:
        parser.read_file(f)
    section = parser["scrapyd"]
    section[PORT_OPTION] = str(port)
    for option in DIR_OPTIONS:
        section[option] = str(home / option.removesuffix("_dir"))
    path = home / "scrapyd.conf"
    with path.open("w", encoding="utf-8") as f:
        parser.write(f)
    return path


def api(url: str, path: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """One call of Scrapyd's JSON API (GET, or POST with ``data``); loopback only."""
    assert urllib.parse.urlsplit(url).hostname == "127.0.0.1", url
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{url}/{path}", data=body, timeout=30) as resp:
        answer: dict[str, Any] = json.loads(resp.read())
    return answer


@dataclass(frozen=True)
class ScrapydDaemon:
    url: str  # "http://127.0.0.1:PORT", no trailing slash
    port: int
    home: Path  # Scrapyd's working folder: scrapyd.conf, eggs/, logs/, dbs/

    def api(self, path: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        return api(self.url, path, data)

    def wait_finished(self, project: str, job: str, timeout: float = 120) -> dict[str, Any]:
        """The job's ``listjobs.json`` entry once it has finished."""
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.api(f"listjobs.json?project={urllib.parse.quote(project)}")
            for entry in jobs["finished"]:
                if entry["id"] == job:
                    return dict(entry)
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job} did not finish in {timeout} s: {jobs}")
            time.sleep(0.5)


def _closest_scrapy_cfg(folder: Path) -> Path | None:
    for parent in (folder, *folder.parents):
        if (parent / "scrapy.cfg").exists():
            return parent / "scrapy.cfg"
    return None


@contextmanager
def running_scrapyd(home: Path, env: Mapping[str, str] | None = None) -> Iterator[ScrapydDaemon]:
    """Scrapyd on 127.0.0.1 and a free port, working in ``home``, until the block ends."""
    home.mkdir(parents=True, exist_ok=True)
    found = _closest_scrapy_cfg(home.resolve())
    if found is not None:
        raise RuntimeError(f"{home} lies below {found}: Scrapyd would read a project from it")
    port = free_port()
    write_scrapyd_conf(home, port)
    full_env = {**os.environ, "THBSCAN_MODE": "test", **(env or {})}
    full_env.pop("THBSCAN_REDIS_URL", None)
    url = f"http://127.0.0.1:{port}"
    with open(home / "scrapyd.out", "w+", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [str(SCRAPYD)], cwd=home, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if api(url, "daemonstatus.json").get("status") == "ok":
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"scrapyd did not start:\n{log.read()[-3000:]}")
                time.sleep(0.2)
            yield ScrapydDaemon(url, port, home)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass(frozen=True)
class Deployment:
    returncode: int
    stdout: str
    stderr: str
    answer: dict[str, Any] | None  # Scrapyd's addversion.json answer, as scrapyd-deploy printed it


def local_deploy_target() -> dict[str, str]:
    """scrapy.cfg's ``[deploy:local]``, the target docs/crawler.md deploys to."""
    parser = configparser.ConfigParser(interpolation=None)
    with SCRAPY_CFG.open(encoding="utf-8") as f:
        parser.read_file(f)
    return dict(parser["deploy:local"])


def scrapyd_deploy(daemon: ScrapydDaemon, config_home: Path, timeout: float = 300) -> Deployment:
    """``scrapyd-deploy`` run in the repository, to ``[deploy:local]`` moved to the daemon's port.

    The moved target is written to ``config_home/scrapy.cfg``, which scrapyd-deploy reads
    through ``XDG_CONFIG_HOME`` besides the repository's scrapy.cfg. scrapyd-deploy exits 0
    even when Scrapyd refuses the egg: read ``answer``.
    """
    local = local_deploy_target()
    url = urllib.parse.urlsplit(local["url"])
    target = f"test-{daemon.port}"
    config_home.mkdir(parents=True, exist_ok=True)
    (config_home / "scrapy.cfg").write_text(
        f"[deploy:{target}]\n"
        f"url = {url.scheme}://{url.hostname}:{daemon.port}{url.path}\n"
        f"project = {local['project']}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(config_home)}
    done = subprocess.run(
        [str(SCRAPYD_DEPLOY), target],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    answer = None
    lines = done.stdout.strip().splitlines()
    if lines:
        try:
            answer = json.loads(lines[-1])
        except ValueError:
            answer = None
    return Deployment(done.returncode, done.stdout, done.stderr, answer)


@pytest.fixture(name="scrapyd_daemon")
def scrapyd_daemon_fixture(tmp_path: Path) -> Iterator[ScrapydDaemon]:
    """A Scrapyd of its own for one test (skips where Scrapyd is not installed)."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with running_scrapyd(tmp_path / "scrapyd") as daemon:
        yield daemon
