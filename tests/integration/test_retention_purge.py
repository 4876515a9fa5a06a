"""``thbscan purge`` at a frozen moment, on SQLite and the real PostgreSQL: an archive with
rows of every table at various ages (stored through the project's own functions, then aged
with UPDATE) loses exactly the rows that have expired (compared as sets of keys, table by
table), keeps what a decision within its retention or a legal hold needs, a dry run deletes
nothing and counts the same, and a second run deletes nothing."""

from __future__ import annotations

import json
import re
import secrets
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from rq_helpers import PASSWORD, SEEN
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session, sessionmaker

from nlp.linking import Cluster
from review_queue.db import upgrade
from review_queue.db.models import AuditEvent, Decision, User
from review_queue.services import (
    audit,
    holds,
    identifiers,
    link_index,
    search,
    throttle,
    users,
    watches,
)
from review_queue.services import websessions as web
from review_queue.services.decisions import decide
from review_queue.services.links import record_override
from review_queue.services.queue import claim
from review_queue.services.retention import ORDER
from review_queue.services.scores import ScoreInput, record_score
from store import Base, CrawlJob, CrawlLock, Listing, ListingVersion, create_engine_for
from store import session_factory as make_sessions
from store.listings import ListingInput, store_listing
from thbscan.cli import main
from thbscan.crawling.records import acquire_lock
from thbscan.crawling.storage import save_validator
from thbscan.linking import _store_groups

NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
FRESH = NOW - timedelta(days=10)  # within every period
OLD = NOW - timedelta(days=400)  # past the listing (180 d) and recent (90 d) periods
ANCIENT = NOW - timedelta(days=2000)  # past the audit period (5 years) too


def keys(session: Session, name: str) -> set[tuple[Any, ...]]:
    """Every row of table ``name`` by its primary key."""
    table: Table = Base.metadata.tables[name]
    return {tuple(row) for row in session.execute(select(*table.primary_key.columns))}


class Archive:
    """The rows stored, and which of them a purge at NOW must delete."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.gone: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
        self.ids: dict[str, int] = {}

    def drop(self, name: str, *key: Any) -> None:
        self.gone[name].add(key)

    def age(self, model: Any, row_id: Any, **values: Any) -> None:
        key = next(iter(model.__table__.primary_key.columns))
        self.session.execute(update(model).where(key == row_id).values(**values))

    def listing(self, key: str, texts: list[str]) -> tuple[int, list[int], list[int]]:
        """A listing with one scored, queued version per text (each with an identifier)."""
        versions, items = [], []
        for text in texts:
            stored = store_listing(
                self.session,
                ListingInput(source="fixture", natural_key=key, title="Job abroad", text=text),
            )
            _score, item = record_score(
                self.session,
                ScoreInput(
                    version_id=stored.version_id,
                    scorer_key="test-scorer",
                    score=0.6,
                    band="medium",
                    flagged=True,
                    possible_minor=False,
                    categories=["forced_labour"],
                    explanation={},
                    language="en",
                    model_version="model-1.0",
                    list_versions={},
                    identifiers=[("phone", f"pseudonym-{key}")],
                ),
                SEEN,
            )
            assert item is not None
            versions.append(stored.version_id)
            items.append(item.id)
        self.ids[key] = stored.listing_id
        return stored.listing_id, versions, items

    def drop_versions(self, versions: list[int], items: list[int]) -> None:
        """Versions that must go, with their item, score and identifier."""
        for version_id in versions:
            self.drop("listing_versions", version_id)
            for name, model_key in (("scores", "version_id"), ("identifiers", "version_id")):
                table = Base.metadata.tables[name]
                for (row_id,) in self.session.execute(
                    select(table.c.id).where(table.c[model_key] == version_id)
                ):
                    self.drop(name, row_id)
        for item_id in items:
            self.drop("review_items", item_id)

    def decided(self, user: User, item_id: int, at: datetime) -> int:
        claim(self.session, user, item_id)
        decision = decide(self.session, user, item_id, "dismiss", "no indicator holds")
        self.age(Decision, decision.id, created_at=at)
        return decision.id


def build(sessions: sessionmaker[Session]) -> Archive:
    with sessions.begin() as session:
        a = Archive(session)
        # An account disabled long ago that nothing kept names: its events are the log's
        # first, and will be aged past the audit period (with one session and one watch).
        old = users.add_user(session, "old", "analyst", PASSWORD)
        web.start(session, old, now=FRESH)
        watches.add_watch(session, old, "a number", search.SearchQuery(pseudonyms=("p1",)))
        users.disable_user(session, "old", actor="admin")
        first_events = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
        a.drop("users", old.id)
        for (row_id,) in session.execute(select(AuditEvent.id)):
            a.drop("audit_events", row_id)
        for name in ("web_sessions", "watches"):
            table = Base.metadata.tables[name]
            for (row_id,) in session.execute(select(table.c.id).where(table.c.user_id == old.id)):
                a.drop(name, row_id)
        lead = users.add_user(session, "lee", "lead", PASSWORD)
        ana = users.add_user(session, "ana", "analyst", PASSWORD)

        fresh, _, _ = a.listing("fresh", ["a fresh listing"])

        expired, v, i = a.listing("expired", ["an expired listing"])
        a.drop("listings", expired)
        a.drop_versions(v, i)

        _, (d1, d2), (di1, di2) = a.listing("decided", ["first text", "second text"])
        a.decided(ana, di1, OLD)  # within the audit period: keeps version 1 and the listing
        a.drop_versions([d2], [di2])
        a.ids["decided_v1"] = d1

        ancient, v, i = a.listing("ancient-decision", ["decided long ago"])
        a.drop("decisions", a.decided(lead, i[0], ANCIENT))
        a.drop("listings", ancient)
        a.drop_versions(v, i)

        _, _, (held_item,) = a.listing("held-item", ["under a hold"])
        a.decided(lead, held_item, ANCIENT)  # past its period, kept by the hold
        holds.set_hold(session, lead, "item", held_item, "case 2031-17", now=FRESH)

        group_a, _, (group_a_item,) = a.listing("group-a", ["persona one"])
        group_b, _, _ = a.listing("group-b", ["persona two"])
        a.decided(lead, group_a_item, ANCIENT)  # kept: the group's hold covers it
        group_c, v, i = a.listing("group-c", ["not held"])
        a.drop("listings", group_c)
        a.drop_versions(v, i)

        superseded, (s1, s2), (si1, _) = a.listing("superseded", ["old text", "new text"])
        a.drop_versions([s1], [si1])
        changed, (_, c2), _ = a.listing("changed-lately", ["before", "after"])

        # link groups: a held persona, a group whose only listing goes, a live one
        _store_groups(
            session,
            [
                Cluster("c1", [str(group_a), str(group_b)], ["phone"]),
                Cluster("c2", [str(group_c)], ["phone"]),
                Cluster("c3", [str(fresh)], ["template"]),
            ],
        )
        session.flush()
        groups = {
            members: group_id
            for group_id, members in session.execute(
                select(
                    Base.metadata.tables["listing_links"].c.group_id,
                    Base.metadata.tables["listing_links"].c.listing_id,
                )
            )
        }
        held_group = holds.set_hold(session, lead, "group", groups[group_a], "case 2031-18")
        assert held_group.listings == 2
        a.drop("listing_links", group_c)
        a.drop("link_groups", groups[group_c])

        # the template index: entries of versions that go, go, with their buckets and links
        entries = [
            (fresh, *_current(session, fresh)),
            (expired, *_current(session, expired)),
            (superseded, s1),
            (changed, c2),
        ]
        link_index.put(
            session,
            [link_index.Entry(lid, vid, b"sig", [], [lid * 10]) for lid, vid in entries],
            "config-1",
        )
        link_index.add_links(session, [(fresh, expired, 0.9), (fresh, changed, 0.8)])
        for listing_id in (expired, superseded):
            a.drop("link_entries", listing_id)
            a.drop("link_buckets", listing_id * 10, listing_id)
        a.drop("template_links", min(fresh, expired), max(fresh, expired))

        # identifiers in clear: 90 days after last seen, unless a hold covers a version
        for key, at, goes in (
            ("expired", OLD, True),
            ("decided", OLD, True),  # a kept decision keeps the pseudonym, not the number
            ("fresh", FRESH, False),
            ("held-item", OLD, False),
            ("group-b", OLD, False),
        ):
            version = session.scalar(
                select(ListingVersion.id).where(ListingVersion.listing_id == a.ids[key]).limit(1)
            )
            clear = SimpleNamespace(
                kind="phone", value=f"+45 {key}", pseudonym=f"pseudonym-{key}", token="[phone x]"
            )
            identifiers.remember(session, version, [clear], now=at)
            if goes:
                a.drop("identifier_values", clear.pseudonym)

        # corrections of linking go with the listings they correct
        a.drop("link_overrides", record_override(session, lead, "detach", expired, "x").id)
        record_override(session, lead, "detach", fresh, "not the same person")
        merge = record_override(session, lead, "merge", fresh, "same phone", expired)
        a.drop("link_overrides", merge.id)

        # accounts: disabled but named by a kept decision, or by a kept audit event
        users.disable_user(session, "ana", actor="admin")
        named = users.add_user(session, "named", "analyst", PASSWORD)
        users.disable_user(session, "named", actor="admin")
        assert named.id

        # recent rows: sessions, sign-in throttling, fetch validators, crawl runs
        _, ended = web.start(session, lead, now=FRESH)
        a.age(type(ended), ended.id, ended_at=OLD, last_seen_at=OLD)
        a.drop("web_sessions", ended.id)
        _, idle = web.start(session, lead, now=OLD)
        a.drop("web_sessions", idle.id)
        web.start(session, lead, now=FRESH)
        limits = throttle.Limits()
        for key, at in (("account:x", OLD), ("account:y", FRESH), ("account:z", OLD)):
            throttle.failed(session, [key], at, limits)
        a.drop("login_throttle", "account:x")
        row = Base.metadata.tables["login_throttle"]
        session.execute(update(row).where(row.c.key == "account:z").values(locked_until=FRESH))
        for url, at in (
            ("https://jobs.example.invalid/1", OLD),
            ("https://jobs.example.invalid/2", FRESH),
        ):
            save_validator(
                session,
                SimpleNamespace(
                    source="fixture", url=url, natural_key=url, etag="e1", last_modified=""
                ),
                at,
            )
        validators = Base.metadata.tables["fetch_validators"]
        a.drop(
            "fetch_validators", session.scalar(select(validators.c.id).order_by(validators.c.id))
        )
        for started, finished, goes in (
            (OLD, OLD + timedelta(hours=1), True),
            (FRESH, FRESH + timedelta(hours=1), False),
            (OLD, None, True),  # a run that died
            (FRESH, None, False),  # a run going on
        ):
            job = CrawlJob(
                source="fixture", spider="board", started_at=started, finished_at=finished
            )
            session.add(job)
            session.flush()
            if goes:
                a.drop("crawl_jobs", job.id)

        # watches: stopped ones go
        stopped = watches.add_watch(session, lead, "x", search.SearchQuery(text="visa"))
        watches.stop_watch(session, lead, stopped.id)
        a.drop("watches", stopped.id)
        watches.add_watch(session, lead, "y", search.SearchQuery(text="passport"))

        # the listings' ages
        for key in ("fresh", "superseded", "changed-lately"):
            a.age(Listing, a.ids[key], last_seen_at=FRESH)
        for key in (
            "expired",
            "decided",
            "ancient-decision",
            "held-item",
            "group-a",
            "group-b",
            "group-c",
        ):
            a.age(Listing, a.ids[key], last_seen_at=OLD)
        a.age(ListingVersion, s2, fetched_at=OLD)  # replaced version 1 long ago
        a.age(ListingVersion, c2, fetched_at=FRESH)

        # the audit log: the old account's events past the audit period, the rest fresh, but
        # one later event aged too: it stays, the log is purged without gaps
        events = Base.metadata.tables["audit_events"]
        session.execute(update(events).values(at=FRESH))
        session.execute(update(events).where(events.c.id <= first_events).values(at=ANCIENT))
        later = session.scalar(select(events.c.id).where(events.c.id > first_events + 3).limit(1))
        session.execute(update(events).where(events.c.id == later).values(at=ANCIENT))
    for locked, expires in (("src-expired", OLD), ("src-live", NOW + timedelta(hours=1))):
        with sessions() as session:
            assert acquire_lock(session, locked, max_runtime=60) is None
        with sessions.begin() as session:
            session.execute(
                update(CrawlLock).where(CrawlLock.source == locked).values(expires_at=expires)
            )
    a.drop("crawl_locks", "src-expired")
    return a


def _current(session: Session, listing_id: int) -> tuple[int]:
    return (session.scalar(select(Listing.current_version_id).where(Listing.id == listing_id)),)


def snapshot(sessions: sessionmaker[Session]) -> dict[str, set[tuple[Any, ...]]]:
    with sessions() as session:
        return {name: keys(session, name) for name in ORDER}


def purge(db: str, *extra: str, capsys: pytest.CaptureFixture) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["purge", "--db", db, "--now", NOW.isoformat(), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def archive(db_url: str):
    engine = create_engine_for(db_url)
    upgrade(engine)
    sessions = make_sessions(engine, writer=True)
    yield sessions, build(sessions)
    engine.dispose()


def test_a_purge_deletes_exactly_what_expired_and_a_second_deletes_nothing(
    db_url: str, archive, capsys: pytest.CaptureFixture
) -> None:
    sessions, a = archive
    before = snapshot(sessions)
    expected = {name: len(a.gone[name]) for name in ORDER}
    for name, gone in a.gone.items():
        assert gone <= before[name], name  # the scenario names rows that exist

    dry = purge(db_url, "--dry-run", capsys=capsys)
    assert dry["dry_run"] is True
    assert dry["counts"] == expected
    assert snapshot(sessions) == before  # nothing deleted, nothing recorded

    done = purge(db_url, "--batch-size", "2", capsys=capsys)
    assert done["dry_run"] is False
    assert done["counts"] == expected
    assert done["total"] == sum(expected.values()) > 30
    after = snapshot(sessions)
    for name in ORDER:
        new = after[name] - before[name]
        assert before[name] - after[name] == a.gone[name], name
        assert not new or name == "audit_events", name  # only the purge's own events
    with sessions() as session:
        # the decided version is its listing's current version now; the hold's rows stay
        listing = session.get(Listing, a.ids["decided"])
        assert listing is not None and listing.current_version_id == a.ids["decided_v1"]
        assert session.scalar(
            select(Decision.id).where(Decision.created_at < NOW - timedelta(days=1900))
        )
        recorded = session.scalars(
            select(AuditEvent).where(AuditEvent.action == audit.PURGE_ACTION)
        ).all()
        assert [e.details for e in recorded] == [
            {"counts": expected, "total": sum(expected.values())}
        ]
        assert recorded[0].at == NOW

    again = purge(db_url, capsys=capsys)
    assert again["counts"] == dict.fromkeys(ORDER, 0)
    final = snapshot(sessions)
    assert {n: final[n] for n in ORDER if n != "audit_events"} == {
        n: after[n] for n in ORDER if n != "audit_events"
    }
    assert after["audit_events"] <= final["audit_events"]
    assert purge(db_url, "--dry-run", capsys=capsys)["total"] == 0


def test_the_audit_chain_goes_on_from_the_purge_anchor(
    db_url: str, archive, capsys: pytest.CaptureFixture
) -> None:
    sessions, _a = archive
    with sessions() as session:
        whole = list(audit.chained(session.scalars(select(AuditEvent).order_by(AuditEvent.id))))
    purge(db_url, capsys=capsys)
    with sessions() as session:
        start = audit.anchor(session)
        assert start is not None
        kept = session.scalars(
            select(AuditEvent).where(AuditEvent.id > start.through).order_by(AuditEvent.id)
        ).all()
        export = [start.record(), *audit.chained(kept, start.hash)]
    before = {r["id"]: r["hash"] for r in whole}
    assert start.hash == before[start.through]
    for record in export[1:]:
        if record["id"] in before:  # an event kept: the hash earlier exports gave it
            assert record["hash"] == before[record["id"]]
    lines = [json.dumps(r) for r in export]
    result = audit.verify(lines)
    assert result.error is None and result.purged_through == start.through
    assert audit.verify(lines[1:]).error == "line 1: does not follow the line before"


def _login(client: Any, name: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert csrf is not None
    response = client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf.group(1)}
    )
    client.cookies.set("thbscan_session", response.cookies["thbscan_session"])


def test_the_review_uis_export_after_a_purge_starts_at_its_anchor(
    db_url: str, archive, capsys: pytest.CaptureFixture, tmp_path
) -> None:
    from fastapi.testclient import TestClient

    from review_queue.web import create_app

    engine = create_engine_for(db_url)  # the review UI's own, as `thbscan serve` opens it
    with TestClient(
        create_app(engine, secret_key=secrets.token_urlsafe(48)), follow_redirects=False
    ) as client:
        _login(client, "lee")
        before = client.get("/audit/export").text
        earlier = tmp_path / "earlier.jsonl"
        earlier.write_text(before, encoding="utf-8")
        head = json.loads(before.splitlines()[-1])
        purge(db_url, capsys=capsys)
        client.cookies.clear()  # the session is past its 90 days at the frozen moment
        _login(client, "lee")
        after = client.get("/audit/export").text
    lines = after.splitlines()
    first = json.loads(lines[0])
    assert set(first) == {"purged_through", "hash"}
    assert json.loads(lines[1])["id"] > first["purged_through"]
    hashes = {r["id"]: r["hash"] for r in map(json.loads, before.splitlines())}
    assert first["hash"] == hashes[first["purged_through"]]
    for record in map(json.loads, lines[1:]):
        assert hashes.get(record["id"], record["hash"]) == record["hash"]
    now_file = tmp_path / "after.jsonl"
    now_file.write_text(after, encoding="utf-8")
    capsys.readouterr()
    expect = f"{head['id']}:{head['hash']}"
    assert main(["audit", "verify", str(now_file), "--expect", expect, "--json"]) == 0
    verified = json.loads(capsys.readouterr().out)
    assert verified["intact"] is True and verified["purged_through"] == first["purged_through"]
    assert main(["audit", "verify", str(earlier), "--json"]) == 0
    engine.dispose()
