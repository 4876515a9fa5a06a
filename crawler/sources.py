"""Source configs: one validated TOML file per site (sites are data, not classes).

A config names its spider kind (``jobposting``, ``board``), start URLs,
allowed domains, link and field selectors, politeness overrides, a schedule
and the allowlist of fields kept (R08). ``validate_sources`` reports every
problem as ``file: key: problem``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crawler.errors import SourceConfigError

SOURCES_DIR = Path(__file__).with_name("sources")
SPIDER_KINDS = ("jobposting", "board", "feed")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_PUBLIC_DELAY = 1.0  # seconds between requests to a public host (R16)
MAX_PUBLIC_CONCURRENCY = 2
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_EVERY = re.compile(r"^(\d+)\s*([mhd])$")


def _check_selector(value: str) -> str:
    probe = Selector(text="<html><body></body></html>")
    try:
        if value.startswith("xpath:"):
            probe.xpath(value[len("xpath:") :])
        else:
            probe.css(value)
    except Exception as exc:  # parsel raises several types for bad selectors
        raise ValueError(f"selector {value!r} is not valid: {exc}") from None
    return value


class Links(BaseModel):
    model_config = ConfigDict(extra="forbid")
    detail: str | None = None
    next: str | None = None
    # listing pages followed through `next` (THBSCAN_MAX_LISTING_PAGES unless set); a
    # board with more pages is crawled incomplete, and nothing is marked removed
    max_pages: int | None = Field(default=None, ge=1, le=1_000_000)
    # sitemap discovery: only <loc> URLs matching this regular expression are detail pages
    sitemap_follow: str | None = None

    @field_validator("sitemap_follow")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"sitemap_follow {v!r} is not a valid regex: {exc}") from None
        return v

    _check = field_validator("detail", "next")(lambda v: v if v is None else _check_selector(v))


class Politeness(BaseModel):
    model_config = ConfigDict(extra="forbid")
    download_delay: float | None = Field(default=None, ge=0, le=3600)
    concurrency_per_domain: int | None = Field(default=None, ge=1, le=16)
    page_limit: int | None = Field(default=None, ge=1)
    depth_limit: int | None = Field(default=None, ge=0)
    download_timeout: float | None = Field(default=None, gt=0, le=300)
    # seconds to wait after a 429/5xx without Retry-After (doubled per further 5xx)
    backoff: float | None = Field(default=None, ge=0.1, le=300)


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    every: str = "24h"

    @field_validator("every")
    @classmethod
    def _every(cls, v: str) -> str:
        if not _EVERY.match(v.strip()):
            raise ValueError(f"every={v!r} must look like '30m', '6h' or '1d'")
        return v.strip()

    def seconds(self) -> int:
        m = _EVERY.match(self.every)
        assert m is not None
        return int(m.group(1)) * {"m": 60, "h": 3600, "d": 86400}[m.group(2)]


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    spider: Literal["jobposting", "board", "feed"]
    # how detail pages are found: listing pages (links.*), sitemaps or RSS/Atom feeds
    discovery: Literal["pages", "sitemap", "feed"] = "pages"
    description: str = ""
    base_url: str | None = None
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(default_factory=list)
    allow_private: bool = False  # only for the local fixture site
    enabled: bool = True
    field_allowlist: list[str] = Field(default_factory=list)
    links: Links = Field(default_factory=Links)
    fields: dict[str, str] = Field(default_factory=dict)
    politeness: Politeness = Field(default_factory=Politeness)
    schedule: Schedule = Field(default_factory=Schedule)
    path: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"name {v!r} must be lowercase letters, digits, '-' or '_'")
        return v

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: dict[str, str]) -> dict[str, str]:
        for key, selector in v.items():
            _check_selector(selector)
            if not re.match(r"^[a-z_][a-z0-9_]*$", key):
                raise ValueError(f"field name {key!r} must be snake_case")
        return v

    def check_policy(self) -> list[str]:
        """Problems with politeness and safety rules that pydantic cannot express."""
        where = self.path or self.name
        problems = []
        p = self.politeness
        if not self.allow_private:
            if p.download_delay is not None and p.download_delay < MIN_PUBLIC_DELAY:
                problems.append(
                    f"{where}: politeness.download_delay: {p.download_delay} is "
                    f"below {MIN_PUBLIC_DELAY} s; only allow_private loopback "
                    "sources may go faster"
                )
            if (
                p.concurrency_per_domain is not None
                and p.concurrency_per_domain > MAX_PUBLIC_CONCURRENCY
            ):
                problems.append(
                    f"{where}: politeness.concurrency_per_domain: "
                    f"{p.concurrency_per_domain} is above "
                    f"{MAX_PUBLIC_CONCURRENCY} for a public site"
                )
        for url in [*self.start_urls, *([self.base_url] if self.base_url else [])]:
            parts = urlsplit(url)
            if parts.scheme and parts.scheme not in ("http", "https"):
                problems.append(f"{where}: start_urls: {url!r}: only http and https")
            elif self.allow_private and parts.hostname and parts.hostname not in LOOPBACK_HOSTS:
                problems.append(
                    f"{where}: allow_private: only loopback hosts may be "
                    f"private, not {parts.hostname!r}"
                )
        if self.spider == "feed" and self.discovery not in ("feed", "pages"):
            problems.append(f"{where}: discovery: a feed source reads feeds itself")
        return problems

    def private_hosts(self) -> list[str]:
        """``host:port`` entries the SSRF guard may let through (loopback, allow_private)."""
        if not self.allow_private:
            return []
        out = []
        for url in self.resolved_start_urls():
            parts = urlsplit(url)
            if parts.hostname in LOOPBACK_HOSTS:
                port = parts.port or (443 if parts.scheme == "https" else 80)
                host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
                out.append(f"{host}:{port}")
        return sorted(set(out))

    def with_base_url(self, base_url: str | None) -> SourceConfig:
        """A copy whose relative start URLs resolve against ``base_url``."""
        if not base_url:
            return self
        return self.model_copy(update={"base_url": base_url.rstrip("/") + "/"})

    def resolved_start_urls(self) -> list[str]:
        urls = [urljoin(self.base_url, u) if self.base_url else u for u in self.start_urls]
        for url in urls:
            if urlsplit(url).scheme not in ("http", "https"):
                raise SourceConfigError(
                    [
                        f"{self.path or self.name}: start_urls: {url!r} is not an absolute "
                        "http(s) URL; give base_url or absolute start URLs"
                    ]
                )
        return urls

    def resolved_allowed_domains(self) -> list[str]:
        if self.allowed_domains:
            return list(self.allowed_domains)
        hosts = {urlsplit(u).hostname for u in self.resolved_start_urls()}
        return sorted(h for h in hosts if h)

    def scrapy_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        p = self.politeness
        if p.download_delay is not None:
            settings["DOWNLOAD_DELAY"] = p.download_delay
        if p.concurrency_per_domain is not None:
            settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = p.concurrency_per_domain
        if p.page_limit is not None:
            settings["CLOSESPIDER_PAGECOUNT"] = p.page_limit
        if p.depth_limit is not None:
            settings["DEPTH_LIMIT"] = p.depth_limit
        if p.download_timeout is not None:
            settings["DOWNLOAD_TIMEOUT"] = p.download_timeout
        if p.backoff is not None:
            settings["THBSCAN_RETRY_AFTER_DEFAULT"] = p.backoff
        if self.links.max_pages is not None:
            settings["THBSCAN_MAX_LISTING_PAGES"] = self.links.max_pages
        return settings


def _problems(path: Path | Traversable, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        key = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key: check the spelling against docs/sources.md"
        out.append(f"{path}: {key}: {msg}")
    return out


def load_source_file(path: Path | Traversable) -> SourceConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceConfigError([f"{path}: cannot read: {exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceConfigError([f"{path}: not valid TOML: {exc}"]) from None
    try:
        cfg = SourceConfig.model_validate({**data, "path": str(path)})
    except ValidationError as exc:
        raise SourceConfigError(_problems(path, exc)) from None
    stem = Path(path.name).stem
    if cfg.name != stem:
        raise SourceConfigError([f"{path}: name: {cfg.name!r} must equal the file name {stem!r}"])
    if cfg.spider == "board" and "text" not in cfg.fields:
        raise SourceConfigError([f"{path}: fields.text: a board source needs a 'text' selector"])
    problems = cfg.check_policy()
    if problems:
        raise SourceConfigError(problems)
    return cfg


def _source_files(directory: Path | None) -> Sequence[Path | Traversable]:
    if directory is None and not SOURCES_DIR.is_dir():
        # Imported from a zipped egg (Scrapyd): read the bundled configs through the import system.
        bundled = resources.files(__package__ or "crawler").joinpath("sources")
        return sorted(
            (p for p in bundled.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name
        )
    return sorted((directory or SOURCES_DIR).glob("*.toml"))


def load_sources(directory: Path | None = None) -> dict[str, SourceConfig]:
    problems: list[str] = []
    sources: dict[str, SourceConfig] = {}
    for path in _source_files(directory):
        try:
            cfg = load_source_file(path)
        except SourceConfigError as exc:
            problems.extend(exc.problems)
            continue
        sources[cfg.name] = cfg
    if problems:
        raise SourceConfigError(problems)
    return sources


def validate_sources(directory: Path | None = None) -> list[str]:
    try:
        load_sources(directory)
    except SourceConfigError as exc:
        return exc.problems
    return []


def get_source(name: str, directory: Path | None = None) -> SourceConfig:
    sources = load_sources(directory)
    if name not in sources:
        known = ", ".join(sorted(sources)) or "none"
        raise SourceConfigError([f"unknown source {name!r}: known sources are {known}"])
    return sources[name]
