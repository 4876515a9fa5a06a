"""A private, throwaway PostgreSQL cluster that a test may stop and restart.

The shared server on 127.0.0.1:5432 serves every other test and must never be restarted;
this one is made by the test run (Debian's ``initdb`` and ``pg_ctl``, run as the
``postgres`` user because ``initdb`` refuses root), listens on a free port of 127.0.0.1
only, and is deleted at the end of the session. :func:`start_cluster` raises
:class:`ClusterUnavailable` with the reason when it cannot be made here.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class ClusterUnavailable(RuntimeError):
    """No private PostgreSQL cluster can be made on this machine (the reason says why)."""


def _bin_dir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise ClusterUnavailable("no /usr/lib/postgresql/*/bin/pg_ctl (Debian's postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    bin_dir: Path
    root: Path  # owned by the postgres user: data directory, socket, log
    port: int
    as_user: list[str]  # the command prefix that runs a program as the cluster's owner

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c full_page_writes=off -c max_connections=60"
        )
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log)]
        done = subprocess.run(
            [*self.as_user, *command, "-o", options, "-w", "-t", str(int(timeout)), *args],
            capture_output=True,
            text=True,
            timeout=timeout + 10,
            check=False,
        )
        if done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise ClusterUnavailable(
                f"pg_ctl {' '.join(args)} failed ({done.returncode}): "
                f"{done.stderr.strip()[-500:]} {tail}"
            )

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    def restart(self, down_for: float = 0.0) -> None:
        """``pg_ctl restart -m fast``; with ``down_for`` the server stays down that long
        (a restart that takes a while, as a real one with a long checkpoint does)."""
        if down_for <= 0:
            self.pg_ctl("restart", "-m", "fast")
            return
        self.stop()
        time.sleep(down_for)
        self.start()

    def create_database(self) -> str:
        """A fresh database; its SQLAlchemy URL."""
        import psycopg

        name = f"t_{os.urandom(6).hex()}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(ClusterUnavailable, subprocess.TimeoutExpired):
            self.pg_ctl("stop", "-m", "immediate", timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    """Make and start a private cluster; :class:`ClusterUnavailable` if it cannot be."""
    bin_dir = _bin_dir()
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # initdb refuses root: run the server as postgres
        runuser = shutil.which("runuser")
        if runuser is None:
            raise ClusterUnavailable("running as root and there is no runuser to drop to postgres")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise ClusterUnavailable("running as root and there is no postgres user") from None
        as_user = [runuser, "-u", "postgres", "--"]
    # a short path: the server's Unix socket path must stay under 108 bytes
    root = Path(tempfile.mkdtemp(prefix="thbpg-", dir="/tmp"))
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(bin_dir, root, _free_port(), as_user)
    initdb = [str(bin_dir / "initdb"), "-D", str(cluster.data), "-U", "postgres"]
    try:
        done = subprocess.run(
            [*as_user, *initdb, "--auth=trust", "-E", "UTF8", "--no-sync"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterUnavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster
