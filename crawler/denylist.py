"""The opt-out host denylist (R18): hosts (and their subdomains) never crawled or stored."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from crawler.errors import CrawlerError

BUNDLED = Path(__file__).with_name("denylist.txt")


def _read_text(path: Path) -> str:
    if path == BUNDLED and not BUNDLED.is_file():  # imported from a zipped egg (Scrapyd)
        return resources.files("crawler").joinpath("denylist.txt").read_text(encoding="utf-8")
    return path.read_text(encoding="utf-8")


def read_denylist_file(path: str | Path) -> list[str]:
    """Hosts from a file: one per line, ``#`` comments and blank lines ignored."""
    try:
        text = _read_text(Path(path))
    except OSError as exc:
        raise CrawlerError(
            f"cannot read the host denylist {path}: {exc}; fix THBSCAN_DENYLIST_FILE"
        ) from None
    return [
        line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()
    ]


class Denylist:
    def __init__(self, hosts: Iterable[str] = ()) -> None:
        self.hosts = frozenset(h.strip().lower().rstrip(".") for h in hosts if h.strip())

    @classmethod
    def from_values(cls, hosts: Iterable[str], path: str | Path | None) -> Denylist:
        listed = list(hosts)
        if path:
            listed += read_denylist_file(path)
        return cls(listed)

    def __bool__(self) -> bool:
        return bool(self.hosts)

    def host_denied(self, host: str | None) -> bool:
        host = (host or "").lower().rstrip(".")
        while host:
            if host in self.hosts:
                return True
            if "." not in host:
                return False
            host = host.split(".", 1)[1]
        return False

    def url_denied(self, url: str) -> bool:
        try:
            return self.host_denied(urlsplit(url).hostname)
        except ValueError:
            return True
