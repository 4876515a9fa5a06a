"""Queue ordering, claims, decisions, idempotency and audit events."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from rq_helpers import make_item
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from review_queue.db import AuditEvent, Decision, ReviewItem, User
from review_queue.domain.errors import IllegalTransition, PermissionDenied
from review_queue.services import decisions, queue
from review_queue.services.errors import Conflict, InvalidInput, NotFound
from store import session_factory


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_urgent_lane_first_then_score(session: Session) -> None:
    low = make_item(session, "a", score=0.4, band="low")
    high = make_item(session, "b", score=0.9, band="high")
    urgent_low = make_item(session, "c", score=0.3, band="low", minor=True)
    mid = make_item(session, "d", score=0.6, band="medium")
    session.commit()
    rows = queue.list_queue(session)
    assert [row.id for row in rows] == [urgent_low.id, high.id, mid.id, low.id]
    assert rows[0].lane == "urgent"
    assert [row.id for row in queue.list_queue(session, lane="normal")] == [high.id, mid.id, low.id]
    newest = queue.list_queue(session, sort="newest")
    assert newest[0].id == urgent_low.id and newest[1].id == mid.id


def test_queue_rows_never_carry_the_sample_reason(session: Session) -> None:
    item = make_item(session, "a")
    item.reason = "sample"
    session.commit()
    (row,) = queue.list_queue(session)
    names = {f.name for f in dataclasses.fields(row)}
    assert "reason" not in names and "sample" not in repr(row)
    assert names >= {"id", "title", "band", "score", "lane", "state", "categories", "created_at"}


@pytest.mark.parametrize("sort", ["reason", "score; DROP TABLE users", "id", ""])
def test_sort_allowlist(session: Session, sort: str) -> None:
    with pytest.raises(InvalidInput) as info:
        queue.list_queue(session, sort=sort)
    assert repr(sort) in str(info.value) and "score, newest, oldest" in str(info.value)


def test_filter_allowlist(session: Session) -> None:
    with pytest.raises(InvalidInput, match="state 'open'"):
        queue.list_queue(session, state="open")
    with pytest.raises(InvalidInput, match="lane 'vip'"):
        queue.list_queue(session, lane="vip")
    with pytest.raises(InvalidInput, match="limit"):
        queue.list_queue(session, limit=10_000)


def test_category_counts_do_not_reveal_bands(session: Session) -> None:
    make_item(session, "a", band="low")
    make_item(session, "b", band="high")
    make_item(session, "c", band="high", minor=True)
    session.commit()
    assert queue.category_counts(session) == [("forced_labour", 3), ("possible minor", 1)]


def test_the_chart_of_the_whole_queue_counts_the_forms_copied_onto_items(
    session: Session,
) -> None:
    """The unfiltered chart reads the forms copied onto each item (one table); a filtered
    one joins the scores. Both agree, also after a re-score changed an item's forms."""
    from review_queue.services.queue_filter import QueueFilter

    make_item(session, "a", categories=("forced_labour", "forced_criminality"))
    make_item(session, "b", categories=("sexual_exploitation",), minor=True)
    make_item(session, "c", categories=())
    make_item(session, "a", categories=("sexual_exploitation",))  # a re-score of "a"
    session.commit()
    whole = queue.category_counts(session)
    assert whole == [("sexual_exploitation", 2), ("no form named", 1), ("possible minor", 1)]
    assert queue.category_counts(session, narrow=QueueFilter(source="fixture")) == whole


def test_sampled_items_are_not_at_the_bottom(session: Session) -> None:
    from review_queue.services.scores import blind_priority

    priorities = [blind_priority(v) for v in range(1, 400)]
    assert min(priorities) >= 0.5 and max(priorities) < 1.0
    assert 0.7 < sum(priorities) / len(priorities) < 0.8  # spread over the flagged range


def test_get_item(session: Session) -> None:
    item = make_item(session, "a")
    session.commit()
    detail = queue.get_item(session, item.id)
    assert detail.version.text.startswith("Pay the")
    assert detail.score.model_version == "model-1.0"
    assert detail.decisions == []
    with pytest.raises(NotFound, match="999"):
        queue.get_item(session, 999)


def test_decide_requires_reason(session: Session, analyst: User) -> None:
    item = make_item(session, "a")
    session.commit()
    for reason in ("", "   ", None, "x" * 2001):
        with pytest.raises(InvalidInput, match="reason"):
            decisions.decide(session, analyst, item.id, "dismiss", reason)  # type: ignore[arg-type]
    assert _count(session, Decision) == 0


def test_decide_records_what_was_shown_and_audits(session: Session, analyst: User) -> None:
    item = make_item(session, "a", score=0.72, band="high")
    queue.claim(session, analyst, item.id)
    session.commit()
    decision = decisions.decide(session, analyst, item.id, "escalate", "  debt bondage signs  ")
    session.commit()
    assert decision.reason == "debt bondage signs"
    assert (decision.from_state, decision.to_state) == ("claimed", "escalated")
    assert decision.score_shown == pytest.approx(0.72)
    assert decision.band_shown == "high"
    assert decision.model_version == "model-1.0"
    assert decision.list_versions == {"forced_labour": "1.2.0"}
    assert decision.user_id == analyst.id and decision.created_at is not None
    assert session.get(ReviewItem, item.id).state == "escalated"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "decision.escalate"))
    assert event is not None
    assert event.object_id == str(item.id) and event.actor == "ana"
    assert event.details["from_state"] == "claimed" and event.details["to_state"] == "escalated"
    assert event.details["decision_id"] == decision.id
    assert "debt bondage" not in str(event.details)  # free text stays in the decision only


def test_analyst_cannot_reopen_lead_can_and_reversal_is_new_record(
    session: Session, analyst: User, lead: User
) -> None:
    item = make_item(session, "a")
    queue.claim(session, analyst, item.id)
    session.commit()
    first = decisions.decide(session, analyst, item.id, "dismiss", "ordinary job ad")
    session.commit()
    with pytest.raises(PermissionDenied):
        decisions.decide(session, analyst, item.id, "reopen", "second look")
    with pytest.raises(IllegalTransition):
        decisions.decide(session, analyst, item.id, "dismiss", "again")
    second = decisions.decide(session, lead, item.id, "reopen", "phone matches a known case")
    session.commit()
    assert second.id != first.id
    assert session.get(Decision, first.id).action == "dismiss"
    assert session.get(Decision, first.id).reason == "ordinary job ad"
    assert [d.action for d in queue.get_item(session, item.id).decisions] == ["dismiss", "reopen"]
    assert session.get(ReviewItem, item.id).state == "new"


def test_auditor_cannot_decide_or_claim(session: Session, auditor: User) -> None:
    item = make_item(session, "a")
    session.commit()
    with pytest.raises(PermissionDenied):
        decisions.decide(session, auditor, item.id, "dismiss", "no")
    with pytest.raises(PermissionDenied):
        queue.claim(session, auditor, item.id)
    assert queue.audit_log(session, user=auditor)


def test_audit_log_needs_view_audit(session: Session, analyst: User) -> None:
    with pytest.raises(PermissionDenied):
        queue.audit_log(session, user=analyst)


def test_unknown_action_refused(session: Session, analyst: User) -> None:
    item = make_item(session, "a")
    with pytest.raises(InvalidInput, match="'delete'"):
        decisions.decide(session, analyst, item.id, "delete", "because")


def test_idempotency_key_returns_first_decision(session: Session, analyst: User) -> None:
    item = make_item(session, "a")
    queue.claim(session, analyst, item.id)
    session.commit()
    first = decisions.decide(
        session, analyst, item.id, "dismiss", "ok", idempotency_key="key-12345"
    )
    session.commit()
    again = decisions.decide(
        session, analyst, item.id, "dismiss", "ok", idempotency_key="key-12345"
    )
    session.commit()
    assert again.id == first.id
    assert _count(session, Decision) == 1
    other = make_item(session, "b")
    queue.claim(session, analyst, other.id)
    session.commit()
    with pytest.raises(Conflict):
        decisions.decide(session, analyst, other.id, "dismiss", "ok", idempotency_key="key-12345")


def test_rescored_item_refused(session: Session, analyst: User) -> None:
    item = make_item(session, "a")
    queue.claim(session, analyst, item.id)
    session.commit()
    with pytest.raises(Conflict, match="re-scored"):
        decisions.decide(
            session, analyst, item.id, "dismiss", "ok", score_id_shown=item.score_id + 1
        )


def test_audit_event_in_same_transaction(engine: Engine, session: Session, analyst: User) -> None:
    item = make_item(session, "a")
    queue.claim(session, analyst, item.id)
    session.commit()
    decisions.decide(session, analyst, item.id, "dismiss", "ok")
    session.flush()
    with session_factory(engine)() as other:  # nothing is visible before the commit
        assert other.scalar(select(func.count()).select_from(Decision)) == 0
    session.rollback()  # a rollback loses the decision, the state change and the event together
    assert _count(session, Decision) == 0
    assert session.get(ReviewItem, item.id).state == "claimed"
    assert session.scalar(select(func.count()).where(AuditEvent.action.like("decision.%"))) == 0
    decisions.decide(session, analyst, item.id, "dismiss", "ok")
    session.commit()
    with session_factory(engine)() as other:
        assert other.scalar(select(func.count()).select_from(Decision)) == 1
        assert (
            other.scalar(select(func.count()).where(AuditEvent.action == "decision.dismiss")) == 1
        )


def test_claim_and_conflict(session: Session, analyst: User, lead: User) -> None:
    item = make_item(session, "a")
    session.commit()
    claimed = queue.claim(session, analyst, item.id)
    session.commit()
    assert claimed.state == "claimed" and claimed.claimed_by == analyst.id
    with pytest.raises(Conflict, match="'ana'"):
        queue.claim(session, lead, item.id)
    with pytest.raises(Conflict, match="claimed by 'ana'"):
        decisions.decide(session, lead, item.id, "dismiss", "mine now")
    queue.claim(session, analyst, item.id)  # extending one's own lease is fine
    queue.release(session, analyst, item.id)
    session.commit()
    assert session.get(ReviewItem, item.id).state == "new"
    with pytest.raises(NotFound):
        queue.claim(session, analyst, 999)


def test_expired_lease_returns_item(session: Session, analyst: User, lead: User) -> None:
    item = make_item(session, "a")
    session.commit()
    assert queue.claim_next(session, analyst) == [item.id]
    session.commit()
    assert queue.claim_next(session, lead) == []
    assert queue.list_queue(session) == []
    session.execute(
        update(ReviewItem).values(claim_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()
    assert [row.id for row in queue.list_queue(session)] == [item.id]
    assert queue.list_queue(session)[0].state == "new"
    assert queue.claim_next(session, lead) == [item.id]
    session.commit()
    assert session.get(ReviewItem, item.id).claimed_by == lead.id


def test_claim_next_order(session: Session, analyst: User) -> None:
    low = make_item(session, "a", score=0.2)
    urgent = make_item(session, "b", score=0.1, minor=True)
    high = make_item(session, "c", score=0.9)
    session.commit()
    assert queue.claim_next(session, analyst, 2) == sorted([urgent.id, high.id])
    assert queue.claim_next(session, analyst, 5) == [low.id]
    claims = session.scalars(select(AuditEvent).where(AuditEvent.action == "item.claim")).all()
    assert len(claims) == 3


def test_decided_items_cannot_be_claimed(session: Session, analyst: User) -> None:
    item = make_item(session, "a")
    queue.claim(session, analyst, item.id)
    decisions.decide(session, analyst, item.id, "dismiss", "fine")
    session.commit()
    with pytest.raises(IllegalTransition):
        queue.claim(session, analyst, item.id)


def test_deciding_needs_ones_own_claim(session: Session, analyst: User, lead: User) -> None:
    item = make_item(session, "a")
    session.commit()
    with pytest.raises(Conflict, match="claim review item"):
        decisions.decide(session, analyst, item.id, "dismiss", "nobody claimed it")
    queue.claim(session, lead, item.id)
    session.commit()
    with pytest.raises(Conflict, match="claimed by 'lee'"):
        decisions.decide(session, analyst, item.id, "dismiss", "the lead holds it")
    assert _count(session, Decision) == 0


def test_a_reason_code_alone_is_a_reason(session: Session, analyst: User) -> None:
    item = make_item(session, "a")
    queue.claim(session, analyst, item.id)
    with pytest.raises(InvalidInput, match="reason code"):
        decisions.decide(session, analyst, item.id, "dismiss", "", reason_code="Bad Code!")
    decision = decisions.decide(session, analyst, item.id, "dismiss", "", reason_code="duplicate")
    assert (decision.reason, decision.reason_code) == ("", "duplicate")


def test_undo_own_recent_decision_only(session: Session, analyst: User, lead: User) -> None:
    item = make_item(session, "a")
    queue.claim(session, analyst, item.id)
    first = decisions.decide(session, analyst, item.id, "escalate", "fee")
    session.commit()
    with pytest.raises(Conflict, match="only your own"):
        decisions.undo(session, lead, item.id)
    assert decisions.can_undo(session, analyst, item.id)
    undone = decisions.undo(session, analyst, item.id)
    session.commit()
    assert (undone.action, undone.from_state, undone.to_state) == ("undo", "escalated", "claimed")
    assert str(first.id) in undone.reason
    item_now = session.get(ReviewItem, item.id)
    assert item_now.state == "claimed" and item_now.claimed_by == analyst.id
    assert session.get(Decision, first.id).action == "escalate"  # the record stays
    with pytest.raises(Conflict, match="only your own"):  # an undo is not undone
        decisions.undo(session, analyst, item.id)
    again = decisions.decide(session, analyst, item.id, "dismiss", "a second look")
    session.execute(
        update(Decision)
        .where(Decision.id == again.id)
        .values(created_at=datetime.now(UTC) - timedelta(minutes=11))
    )
    session.commit()
    assert not decisions.can_undo(session, analyst, item.id)
    with pytest.raises(Conflict, match="older than 10 minutes"):
        decisions.undo(session, analyst, item.id)


def test_reason_codes_file_errors_name_the_entry(tmp_path) -> None:
    from review_queue.web import reasons

    assert "fees_or_debt" in reasons.load()["escalate"]
    bad = tmp_path / "codes.toml"
    bad.write_text('[dismiss]\nok = "fine"\n[escalate]\n"Bad Code" = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[escalate\] 'Bad Code'"):
        reasons.load(bad)
    bad.write_text('[dismiss]\nok = "fine"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[escalate\] table"):
        reasons.load(bad)
