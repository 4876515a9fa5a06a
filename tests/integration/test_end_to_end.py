"""The walking skeleton for real: crawl the fixture site over HTTP, score, queue.

Runs the ``thbscan`` command line in subprocesses (as an operator would) against
SQLite and, when reachable, the PostgreSQL server on 127.0.0.1.
"""

from __future__ import annotations

import json
import re

import pytest
from cli_helpers import thbscan
from sqlalchemy import func, select

from fixture_site import ground_truth
from review_queue.db import ReviewItem, Score
from review_queue.services import users
from store import Listing, ListingVersion, create_engine_for, session_factory

pytestmark = pytest.mark.slow


def test_crawl_score_queue(fixture_site, db_url: str, tmp_path) -> None:
    crawl_args = ("crawl", "fixture-jobs", "fixture-ads", "--base-url", fixture_site.url)
    crawl_args += ("--db", db_url, "--json", "--log-level", "WARNING")
    log = {"THBSCAN_EVENT_LOG": str(tmp_path / "events.jsonl")}
    crawl = thbscan(*crawl_args, env=log)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    crawled = json.loads(crawl.stdout.strip().splitlines()[-1])
    truth = ground_truth()
    n_jobs = sum(1 for p in truth if p.startswith("/jobs/"))
    n_ads = len(truth) - n_jobs
    assert crawled["fixture-jobs"]["items"] == n_jobs
    assert crawled["fixture-ads"]["items"] == n_ads
    assert crawled["fixture-jobs"]["robots_denied"] >= 1
    assert not any(path.startswith("/private/") for _m, path in fixture_site.requests)

    score = thbscan("score", "--db", db_url, "--json", "--quiet", env=log)
    assert score.returncode == 0, score.stderr[-3000:]
    scored = json.loads(score.stdout.strip().splitlines()[-1])
    assert scored["scored"] == len(truth)
    logged = logged_events(tmp_path / "events.jsonl")
    robots = {e["source"]: e["hosts"] for e in logged if e["kind"] == "crawl.robots"}
    (jobs_host,) = robots["fixture-jobs"].values()
    assert jobs_host["rules"] == "parsed" and jobs_host["status"] == 200
    assert jobs_host["denied"] == crawled["fixture-jobs"]["robots_denied"]
    finished = [e for e in logged if e["kind"] == "crawl.finished"]
    assert sorted(e["source"] for e in finished) == ["fixture-ads", "fixture-jobs"]
    batches = [e for e in logged if e["kind"] == "scoring.batch"]
    assert sum(b["listings"] for b in batches) == len(truth)
    assert all(b["model_version"] != "none" and b["list_versions"] for b in batches)

    engine = create_engine_for(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ListingVersion.url,
                Score.flagged,
                Score.score,
                Score.model_version,
                Score.list_versions,
            ).join(Score, Score.version_id == ListingVersion.id)
        ).all()
        queued = set(conn.execute(select(ReviewItem.version_id, ReviewItem.state)).all())
    engine.dispose()
    flagged_paths = {"/" + url.split("/", 3)[3] for url, flagged, *_ in rows if flagged}
    expected = {path for path, listing in truth.items() if listing.expected == "flagged"}
    missed = sorted(expected - flagged_paths)
    false_alarms = sorted(flagged_paths - expected)
    assert not missed, f"flagged fixture listings not flagged: {missed}"
    assert not false_alarms, f"benign fixture listings flagged: {false_alarms}"
    assert all(r.model_version != "none" and r.list_versions for r in rows)
    assert len(queued) >= len(expected)
    assert {state for _v, state in queued} == {"new"}

    # Re-crawling the unchanged site stores no duplicates (R27).
    again = thbscan(*crawl_args)
    assert again.returncode == 0, again.stderr[-3000:]
    second = json.loads(again.stdout.strip().splitlines()[-1])
    assert second["fixture-jobs"]["new"] == 0 and second["fixture-ads"]["new"] == 0
    engine = create_engine_for(db_url)
    with engine.connect() as conn:
        assert len(conn.execute(select(Listing.id)).all()) == len(truth)
        assert len(conn.execute(select(ListingVersion.id)).all()) == len(truth)
    engine.dispose()


def test_demo_no_serve_json(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    result = thbscan("demo", "--no-serve", "--json", "--db", db)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(counts) == {"listings", "scored", "flagged", "queued"}
    truth = ground_truth()
    assert counts["listings"] == counts["scored"] == len(truth)
    assert counts["flagged"] == sum(1 for x in truth.values() if x.expected == "flagged")
    assert counts["queued"] >= counts["flagged"]
    assert identifiers_in_clear(db) == {}  # R09: only their table holds them

    # Linking the demo archive: the recruiter network that posts job ads and escort ads
    # with one phone and handle is one cluster, a job-to-escort bridge.
    link = thbscan("link", "--db", db, "--json")
    assert link.returncode == 0, link.stderr[-3000:]
    clusters = json.loads(link.stdout)["clusters"]
    engine = create_engine_for(db)
    with engine.connect() as conn:
        paths = {
            str(listing_id): "/" + url.split("/", 3)[3]
            for listing_id, url in conn.execute(select(Listing.id, Listing.url)).all()
        }
    engine.dispose()
    network = {
        i
        for i, path in paths.items()
        if truth[path].template in ("network_escort_en", "network_hostess_job_en")
    }
    assert network
    bridges = [c for c in clusters if c["bridge"]]
    assert any(network & set(c["members"]) for c in bridges), (network, bridges)
    assert any(s["id"] == "link.job_to_escort_bridge" for c in bridges for s in c["signals"])

    # Linking ran as part of scoring: the network's listings are scored with their links,
    # which name the listings they link to; a second run finds nothing changed.
    engine = create_engine_for(db)
    with engine.connect() as conn:
        explanations = {
            str(listing_id): explanation
            for listing_id, explanation in conn.execute(
                select(Listing.id, Score.explanation)
                .join(ListingVersion, ListingVersion.id == Listing.current_version_id)
                .join(Score, Score.version_id == ListingVersion.id)
            ).all()
        }
    engine.dispose()
    fired: list[str] = []
    for listing_id in network:
        links = {link["id"]: link for link in explanations[listing_id]["links"]}
        for link in links.values():
            assert set(link["listings"]) <= set(paths) and listing_id not in link["listings"]
        fired.extend(links)
    assert fired.count("link.job_to_escort_bridge") >= 2  # the job ad and the escort ads
    assert "link.shared_phone" in fired or "link.shared_handle" in fired  # the escort ads
    again = thbscan("score", "--db", db, "--json", "--quiet")
    assert again.returncode == 0, again.stderr[-3000:]
    second = json.loads(again.stdout.strip().splitlines()[-1])
    assert second["scored"] == 0 and second["linking"]["rescored"] == 0
    assert second["linking"]["listings"] == len(truth)

    # An analyst detaches one of the network's ads: the next run links it to nothing,
    # scores it again without links, and keeps the correction.
    from review_queue.db import LinkOverride, ListingLink, User
    from review_queue.services.users import add_user

    detached = sorted(network, key=int)[0]
    engine = create_engine_for(db)
    with session_factory(engine).begin() as session:
        user = session.scalar(select(User).limit(1)) or add_user(
            session, "ana", "analyst", "a long demo password"
        )
        session.add(
            LinkOverride(
                action="detach", listing_id=int(detached), user_id=user.id, reason="Not theirs."
            )
        )
    third = thbscan("score", "--db", db, "--json", "--quiet")
    assert third.returncode == 0, third.stderr[-3000:]
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(ListingLink.group_id).where(ListingLink.listing_id == int(detached))
            ).first()
            is None
        )
        explanation = conn.execute(
            select(Score.explanation)
            .join(ListingVersion, ListingVersion.id == Score.version_id)
            .where(ListingVersion.listing_id == int(detached))
        ).scalar_one()
    engine.dispose()
    assert explanation["links"] == []


def test_a_second_demo_adds_nothing_and_both_print_a_password(tmp_path) -> None:
    """The demo uses THBSCAN_DATABASE_URL when no --db is given, a second run on the same
    archive stores no listing twice (the fixture site's listings keep their identity on
    any port), and every run prints a password that logs in."""
    db = f"sqlite:///{tmp_path / 'from-env.db'}"
    passwords = []
    for _run in range(2):
        result = thbscan("demo", "--no-serve", cwd=tmp_path, env={"THBSCAN_DATABASE_URL": db})
        assert result.returncode == 0, result.stderr[-3000:]
        found = re.search(r"user 'demo' with password: (\S+)", result.stdout)
        assert found, result.stdout
        passwords.append(found.group(1))
    assert not (tmp_path / "thbscan-demo.db").exists()
    engine = create_engine_for(db)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Listing)) == len(ground_truth())
        assert users.authenticate(session, "demo", passwords[-1]) is not None
        assert users.authenticate(session, "demo", passwords[0]) is None
    engine.dispose()


def identifiers_in_clear(db: str) -> dict[str, list[str]]:
    """Every phone number, e-mail address and handle in a stored text: in each column the
    data register calls listing content, derived data or a decision record."""
    from nlp.extract import extract
    from store import register
    from store.tables import Base

    texts = [
        entry
        for entry in register.collect([Base.metadata])
        if entry.category in (register.CONTENT, register.DERIVED, register.DECISION)
    ]
    found: dict[str, list[str]] = {}
    engine = create_engine_for(db)
    with engine.connect() as conn:
        for entry in texts:
            typed = Base.metadata.tables[entry.table].c[entry.column]
            for (value,) in conn.execute(select(typed)):
                if not isinstance(value, str | dict | list):
                    continue  # numbers and times: digits, but no one's number
                text = value if isinstance(value, str) else json.dumps(value)
                hits = [e.text for e in extract(text) if e.kind in ("phone", "email", "handle")]
                if hits:
                    found.setdefault(f"{entry.table}.{entry.column}", []).extend(hits)
    engine.dispose()
    assert len(texts) > 20  # the scan reads what the register names
    return found


def logged_events(path) -> list[dict]:
    """The event log's lines, each checked against its definition and free of listing
    identifiers (R02)."""
    from nlp.extract import extract
    from review_queue.domain import events

    logged = []
    for line in path.read_text(encoding="utf-8").splitlines():
        events.parse(line)
        record = json.loads(line)
        fields = json.dumps({k: v for k, v in record.items() if k != "at"})  # a time's digits
        assert not [e.text for e in extract(fields) if e.kind in ("phone", "email", "handle")]
        logged.append(record)
    return logged
