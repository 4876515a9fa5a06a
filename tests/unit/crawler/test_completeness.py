"""One reading of a crawl's stats: complete, incomplete, stopped, locked, nothing fetched."""

from __future__ import annotations

import pytest

from crawler.completeness import (
    DROPPED,
    LOCKED,
    incomplete_reasons,
    nothing_fetched_reason,
    outcome,
    pages_fetched,
)

FETCHED = {
    "downloader/response_status_count/200": 12,
    "downloader/response_status_count/304": 3,
    "downloader/response_status_count/404": 1,
    "robotstxt/response_status_count/200": 1,
}


def test_a_clean_run_is_complete() -> None:
    assert pages_fetched(FETCHED) == 14  # robots.txt and the 404 not counted
    assert outcome(FETCHED, "finished") == ("complete", None)


@pytest.mark.parametrize("stat", sorted(DROPPED))
def test_any_dropped_request_makes_a_finished_run_incomplete(stat: str) -> None:
    status, why = outcome({**FETCHED, stat: 200}, "finished")
    assert status == "incomplete" and why == f"200 {DROPPED[stat]}"


def test_the_depth_limit_is_reported() -> None:
    stats = {**FETCHED, "depth/request_ignored_count": 200, "retry/max_reached": 2}
    assert incomplete_reasons(stats) == [
        "200 requests over the depth limit",
        "2 requests that failed after every retry",
    ]


def test_early_ends_locks_and_empty_runs() -> None:
    assert outcome(FETCHED, "closespider_timeout") == ("stopped", "closespider_timeout")
    assert outcome({"thbscan/lock/holder": "host:42"}, LOCKED) == ("locked", "host:42")
    robots_down = {
        "downloader/response_status_count/503": 3,
        "robotstxt/response_status_count/503": 3,
        "thbscan/robots/disallow_all": 1,
    }
    status, why = outcome(robots_down, "finished")
    assert status == "nothing_fetched" and why.startswith("robots.txt could not be fetched")
    storm = {"downloader/response_status_count/503": 24, "thbscan/host/paused": 1}
    status, why = outcome(storm, "host_paused")
    assert status == "nothing_fetched" and "HTTP 503 x24" in why
    errors = {"downloader/exception_type_count/twisted.internet.error.TimeoutError": 3}
    assert nothing_fetched_reason(errors) == "download errors: TimeoutError"
    assert nothing_fetched_reason({}) == "no page was fetched"


def test_a_worker_of_a_shared_frontier_may_fetch_nothing() -> None:
    """Its peers may have taken every page: not a run that failed to reach the source."""
    assert outcome({}, "finished", shared_frontier=True) == ("complete", None)
    assert outcome({}, "finished")[0] == "nothing_fetched"
