"""The event log's definitions (R02): every kind made, written and read back; misspelt
kinds, unknown fields and wrong types refused; control characters escaped; free text
left out."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from review_queue.domain import events as ev

AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
HOST = ev.RobotsHost(rules="parsed", status=200, denied=3, crawl_delay=2.0)
# one event of every kind: a kind added without a sample here fails the first test
SAMPLES: list[ev.Event] = [
    ev.CrawlStarted(source="fixture-jobs"),
    ev.CrawlFinished(source="s", reason="finished", status="finished", pages=3, items=2),
    ev.RobotsDecisions(source="s", hosts={"127.0.0.1:8000": HOST}),
    ev.CrawlLockTakenOver(previous_holder="host:1"),
    ev.DeadRunsClosed(runs=[3], previous_holder="host:1", why="process_ended"),
    ev.ListingsRemoved(count=4),
    ev.StopSwitch(kind="crawl.stop_switch_on", reason="takedown request from the platform"),
    ev.StopSwitch(kind="crawl.stop_switch_off", reason="resumed"),
    ev.ScoringBatch(listings=5, flagged=1, model_version="1.2.0", list_versions={"fl": "1.0"}),
    ev.LinkingRun(listings=5, indexed=5, clusters=1, rescored=2),
    ev.WatchQueued(listings=2),
    ev.ItemClaimed(user="ana", expires_at="2026-12-07T03:30:00+00:00"),
    ev.ItemReleased(user="ana"),
    ev.FirstCall(call="concern"),
    *(
        ev.DecisionRecorded(
            kind=kind,  # type: ignore[arg-type]
            decision_id=1,
            user="ana",
            from_state="claimed",
            to_state="dismissed",
            reason_chars=20,
        )
        for kind in ("decision.dismiss", "decision.escalate", "decision.reopen")
    ),
    ev.DecisionUndone(decision_id=2, undone=1, user="ana"),
    ev.GroupDecision(kind="decision.group_dismiss", items=[1, 2], left=[], reason_chars=9),
    ev.GroupDecision(kind="decision.group_escalate", items=[1], left=[2], reason_chars=9),
    ev.LinkOverride(kind="linking.detach", reason_chars=12),
    ev.LinkOverride(kind="linking.merge", other_listing=7, reason_chars=12),
    ev.HoldChanged(kind="hold.set", listings=3, reason_chars=30),
    ev.HoldChanged(kind="hold.cleared", listings=3, reason_chars=30),
    ev.IdentifiersRevealed(reason="police request 2026-118", identifiers=2, still_kept=1),
    ev.WatchChanged(kind="watch.add", label="the +45 number"),
    ev.WatchChanged(kind="watch.stop"),
    ev.SearchRun(filters=["text", "source"], results=4),
    ev.DecisionsExported(format="jsonl"),
    ev.AuditExported(filters={"action": "decision."}),
    ev.ListsExported(profile="default", format="json", lists={"fl": "1.0"}, verified=True),
    *(
        ev.UserChanged(kind=kind, name="ana", role="analyst")  # type: ignore[arg-type]
        for kind in (
            "user.add",
            "user.disable",
            "user.enable",
            "user.password_set",
            "user.sessions_ended",
        )
    ),
    ev.UserRoleChanged(name="ana", old="analyst", new="lead", sessions_ended=1),
    *(
        ev.SessionEvent(kind=kind)  # type: ignore[arg-type]
        for kind in ("auth.login", "auth.logout", "auth.session_expired")
    ),
    ev.LoginRefused(kind="auth.login_failed", name="hunter2"),
    ev.LoginRefused(kind="auth.login_throttled", name="ana"),
    ev.Purged(counts={"listings": 3}, total=3),
    ev.PurgeAnchor(through=9, hash="ab" * 32),
]


def test_every_kind_is_written_and_read_back() -> None:
    assert {e.kind for e in SAMPLES} == set(ev.KINDS)
    for event in SAMPLES:
        line = ev.line(event, actor="ana", object_type="review_item", object_id="7", at=AT)
        assert "\n" not in line
        record = json.loads(line)
        assert record["v"] == 1 and record["kind"] == event.kind and record["actor"] == "ana"
        assert record["at"] == "2026-12-07T03:00:00+00:00"
        back = ev.parse(line)
        assert type(back) is type(event)
        blanked = {name: "" for name in event.PRIVATE}
        assert back == event.model_copy(update=blanked)


def test_free_text_leaves_the_log_as_its_length_only() -> None:
    reveal = ev.IdentifiersRevealed(reason="call +4520551234 back", identifiers=1, still_kept=1)
    record = json.loads(ev.line(reveal, actor="lee", at=AT))
    assert "reason" not in record and record["reason_chars"] == len(reveal.reason)
    assert "4520551234" not in json.dumps(record)
    assert reveal.details()["reason"] == reveal.reason  # the audit table keeps it
    refused = json.loads(
        ev.line(ev.LoginRefused(kind="auth.login_failed", name="pw!"), actor="-", at=AT)
    )
    assert "name" not in refused and refused["name_chars"] == 3


def test_a_misspelt_kind_an_unknown_field_or_a_wrong_type_is_refused() -> None:
    with pytest.raises(ValidationError):
        ev.StopSwitch(kind="crawl.stop_swich_on", reason="x")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ev.CrawlStarted(source="s", text="a listing's text")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        ev.ListingsRemoved(count="many")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ev.ItemReleased()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not a JSON line"),
        ('{"v": 2, "kind": "crawl.started"}', "not a version 1 event"),
        ('{"v": 1, "kind": "crawl.begun", "source": "s"}', "unknown event kind"),
        ('{"v": 1, "kind": "crawl.started"}', "source"),
        ('{"v": 1, "kind": "crawl.started", "source": "s", "phone": "1"}', "phone"),
        ('{"v": 1, "kind": "crawl.listings_removed", "count": "x"}', "count"),
        ('{"v": 1, "kind": "identifier.reveal", "identifiers": 1, "still_kept": 1}', "reason"),
    ],
)
def test_parse_names_what_does_not_match(line: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ev.parse(line)


def test_control_characters_from_listings_are_escaped_and_bounded() -> None:
    hosts = {"evil\x1b[2J.example\n": HOST}
    event = ev.RobotsDecisions(source="s\x00rc", hosts=hosts)
    line = ev.line(event, actor="sys\x07tem", object_id="1\r\n2", at=AT)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line)
    record = json.loads(line)
    assert record["source"] == "s\\x00rc" and record["actor"] == "sys\\x07tem"
    assert list(record["hosts"]) == ["evil\\x1b[2J.example\n"]  # JSON escapes a newline
    long = ev.CrawlFinished(source="s", reason="r" * 5000, status="x", pages=0, items=0)
    assert len(long.reason) == 2000


def test_the_schema_covers_every_kind() -> None:
    schema = ev.schema()
    assert set(schema) == set(ev.KINDS)
    assert "reason" in schema["identifier.reveal"]["properties"]
