"""Did a crawl see the whole source? (R13, R27, R31)

One reading of a crawl's Scrapy stats, shared by everything that must know: the
store (a crawl that may have missed listings never marks any removed), the run
record (``thbscan crawl-jobs``) and the exit status of ``thbscan crawl``.

* **complete**: finished, and no limit, fault or refusal dropped a request;
* **incomplete**: finished, but something dropped requests (the reasons say what);
* **stopped**: closed early (run-time or page limit, stop switch, paused host);
* **nothing fetched**: not one page of the source came back (robots.txt failing or
  disallowing everything, a denylisted or refused start URL, the host unreachable).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LOCKED = "source_locked"  # finish reason of a crawl whose source another run holds

# stat: what it means when non-zero
DROPPED = {
    "depth/request_ignored_count": "requests over the depth limit",
    "thbscan/pagination/truncated": "listing pages over the source's max_pages",
    "thbscan/links/truncated": "links over the per-page cap",
    "retry/max_reached": "requests that failed after every retry",
    "thbscan/host/paused": "hosts paused (401/403, CAPTCHA, repeated 429/5xx)",
    "thbscan/robots/disallow_all": "hosts disallowed because robots.txt failed",
    "thbscan/ssrf/refused": "requests refused by the SSRF guard",
    "thbscan/denylist/dropped": "requests to denylisted hosts",
    "thbscan/items/store_failed": "listings the database did not take",
    "log_count/ERROR": "errors logged",
}


def _ok(status: str) -> bool:
    return status.isdigit() and (200 <= int(status) < 300 or int(status) == 304)


def _by_status(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {
        key[len(prefix) :]: int(value) for key, value in stats.items() if key.startswith(prefix)
    }


def pages_fetched(stats: Mapping[str, Any]) -> int:
    """Pages of the source that came back (2xx or 304; robots.txt not counted)."""
    pages = _by_status(stats, "downloader/response_status_count/")
    robots = _by_status(stats, "robotstxt/response_status_count/")
    return sum(n - robots.get(status, 0) for status, n in pages.items() if _ok(status))


def incomplete_reasons(stats: Mapping[str, Any]) -> list[str]:
    """What dropped requests or listings in this crawl, e.g. ``['12 requests over the depth
    limit']``; empty when nothing was dropped."""
    return [f"{int(stats[key])} {why}" for key, why in DROPPED.items() if stats.get(key)]


def nothing_fetched_reason(stats: Mapping[str, Any]) -> str | None:
    """Why no page of the source was fetched, or None if one was."""
    if pages_fetched(stats) > 0:
        return None
    causes = []
    if stats.get("thbscan/robots/disallow_all"):
        causes.append("robots.txt could not be fetched (the host is disallowed)")
    if stats.get("robotstxt/forbidden"):
        causes.append("robots.txt disallows the start URLs")
    if stats.get("thbscan/denylist/dropped"):
        causes.append("the start URLs are denylisted")
    if stats.get("thbscan/ssrf/refused"):
        causes.append("the SSRF guard refused the start URLs")
    if stats.get("thbscan/host/paused"):
        causes.append("the host was paused")
    errors = sorted(
        key.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
        for key in stats
        if key.startswith("downloader/exception_type_count/") and not key.endswith("IgnoreRequest")
    )
    if errors:
        causes.append("download errors: " + ", ".join(errors))
    pages = _by_status(stats, "downloader/response_status_count/")
    robots = _by_status(stats, "robotstxt/response_status_count/")
    refused = {s: n - robots.get(s, 0) for s, n in pages.items() if n - robots.get(s, 0) > 0}
    if refused:
        causes.append("HTTP " + ", ".join(f"{s} x{n}" for s, n in sorted(refused.items())))
    return "; ".join(causes) or "no page was fetched"


def outcome(
    stats: Mapping[str, Any], finish_reason: str, *, shared_frontier: bool = False
) -> tuple[str, str | None]:
    """``(status, why)``: status is ``complete``, ``incomplete``, ``stopped``, ``locked``
    (another run holds the source) or ``nothing_fetched``; ``why`` explains any status
    but ``complete``."""
    if finish_reason == LOCKED:
        return "locked", str(stats.get("thbscan/lock/holder") or "another run")
    # A worker of a shared (Redis) frontier may find its peers took every page.
    nothing = None if shared_frontier else nothing_fetched_reason(stats)
    if nothing is not None and finish_reason in ("finished", "host_paused"):
        return "nothing_fetched", nothing
    if finish_reason != "finished":
        return "stopped", finish_reason
    reasons = incomplete_reasons(stats)
    return ("incomplete", "; ".join(reasons)) if reasons else ("complete", None)
