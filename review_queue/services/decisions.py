"""Decisions on review items: a person's decision with its reason, recorded once (an
idempotency key makes a retried request harmless), never updated; a reversal is a new
decision. The item's state follows the decision (review_queue.domain.states)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review_queue.db.models import Decision, ReviewItem, Score, User
from review_queue.domain import events
from review_queue.domain.errors import IllegalTransition
from review_queue.domain.states import DECISIONS, FIRST_CALLS, ItemState, next_state, require
from review_queue.services import audit
from review_queue.services.errors import Conflict, InvalidInput, NotFound
from review_queue.services.queue import DEFAULT_LEASE_SECONDS
from review_queue.services.queue import utc_now as _now

MAX_REASON = 2000
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,100}")
REASON_CODE = re.compile(r"[a-z0-9_]{1,40}")
UNDO_WINDOW = timedelta(minutes=10)


def _check_reason(reason: str | None, code: str | None = None) -> str:
    reason = (reason or "").strip()
    if code is not None and not REASON_CODE.fullmatch(code):
        raise InvalidInput(f"reason code {code[:50]!r} is not valid: pick one from the list")
    if not reason and not code:
        raise InvalidInput("a decision needs a reason: pick one or write why you decided so")
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            f"the reason has {len(reason)} characters: shorten it to {MAX_REASON} or fewer"
        )
    return reason


def decide(
    session: Session,
    user: User,
    item_id: int,
    action: str,
    reason: str,
    *,
    idempotency_key: str | None = None,
    score_id_shown: int | None = None,
    reason_code: str | None = None,
    require_claim: bool = True,
) -> Decision:
    """Record a human decision (dismiss, escalate, reopen) and move the item.

    Dismissing or escalating needs the analyst's own claim on the item (unless
    ``require_claim`` is off: the other open items of a linked group). The reason is a
    ``reason_code``, a written ``reason``, or both. A repeated ``idempotency_key`` returns
    the first decision (R28). ``score_id_shown`` (when given) must still be the item's
    score: a decision is refused if the item was re-scored after the analyst opened it.
    """
    if action not in DECISIONS:
        raise InvalidInput(
            f"action {action!r} is not a decision: use one of {', '.join(DECISIONS)}"
        )
    require(user.role, action)
    reason = _check_reason(reason, reason_code)
    if idempotency_key is not None:
        if not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise InvalidInput(
                "idempotency key must be 8-100 characters from A-Z a-z 0-9 _ . : -; reload the page"
            )
        first = session.scalar(select(Decision).where(Decision.idempotency_key == idempotency_key))
        if first is not None:
            if (first.item_id, first.user_id, first.action) != (item_id, user.id, action):
                raise Conflict("this form was already used for another decision: reload the page")
            return first
    item = session.get(ReviewItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist: go back to the queue")
    now = _now()
    if (
        item.state == ItemState.CLAIMED
        and item.claimed_by not in (None, user.id)
        and item.claim_expires_at is not None
        and item.claim_expires_at >= now
    ):
        holder = session.scalar(select(User.name).where(User.id == item.claimed_by))
        raise Conflict(
            f"review item {item_id} is claimed by {holder!r}: wait until the claim "
            "ends or ask them to release it"
        )
    next_state(item.state, action)  # a decided item: IllegalTransition before anything else
    if (
        require_claim
        and action != "reopen"
        and not (item.state == ItemState.CLAIMED and item.claimed_by == user.id)
    ):
        raise Conflict(
            f"claim review item {item_id} before deciding it, so that no one else works on "
            "it at the same time"
        )
    if item.blind and item.first_call is None and action != "reopen":
        raise Conflict(
            f"review item {item_id} is blind-first: record your first call (concern or no "
            "concern) before deciding; the machine's suggestion is shown after it"
        )
    if score_id_shown is not None and score_id_shown != item.score_id:
        raise Conflict(
            f"review item {item_id} was re-scored after you opened it: reload the "
            "page to see the current score before deciding"
        )
    from_state = item.state
    to_state = next_state(from_state, action)
    moved = session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == item_id, ReviewItem.state == from_state)
        .values(state=to_state.value, claimed_by=None, claim_expires_at=None, updated_at=now)
        .returning(ReviewItem.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if moved is None:  # someone else changed the item since it was read
        current = session.scalar(select(ReviewItem.state).where(ReviewItem.id == item_id))
        next_state(current or from_state, action)
        raise Conflict(f"review item {item_id} changed while you decided: reload the page")
    score = session.get(Score, item.score_id)
    if score is None:  # pragma: no cover - a foreign key guarantees the score
        raise NotFound(f"score {item.score_id} of review item {item_id} does not exist")
    decision = Decision(
        item_id=item_id,
        user_id=user.id,
        action=action,
        reason=reason,
        reason_code=reason_code,
        from_state=from_state,
        to_state=to_state.value,
        score_shown=score.score,
        band_shown=score.band,
        model_version=score.model_version,
        list_versions=dict(score.list_versions or {}),
        idempotency_key=idempotency_key,
        created_at=now,
    )
    session.add(decision)
    try:
        session.flush()
    except IntegrityError as exc:  # the same key raced in from a concurrent retry
        raise Conflict(
            "this decision was submitted twice at the same moment: reload the page "
            "to see which one was recorded"
        ) from exc
    session.refresh(item)
    audit.record(
        session,
        user.name,
        events.DecisionRecorded(
            kind=f"decision.{action}",  # type: ignore[arg-type]  # pydantic checks it
            decision_id=decision.id,
            user=user.name,
            from_state=from_state,
            to_state=to_state.value,
            band_shown=score.band,
            model_version=score.model_version,
            reason_code=reason_code,
            reason_chars=len(reason),
        ),
        "review_item",
        item_id,
    )
    return decision


def can_undo(session: Session, user: User, item_id: int) -> bool:
    """Whether ``user``'s last decision on the item can still be undone."""
    last = session.execute(
        select(Decision.user_id, Decision.action, Decision.created_at)
        .where(Decision.item_id == item_id)
        .order_by(Decision.id.desc())
        .limit(1)
    ).first()
    return (
        last is not None
        and last.user_id == user.id
        and last.action in ("dismiss", "escalate")
        and _now() - last.created_at <= UNDO_WINDOW
    )


def undo(
    session: Session, user: User, item_id: int, *, lease_seconds: int = DEFAULT_LEASE_SECONDS
) -> Decision:
    """Take back one's own last decision on an item within UNDO_WINDOW: a new recorded
    decision ``undo``; the item is the analyst's claimed item again."""
    require(user.role, "undo")
    item = session.get(ReviewItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist: go back to the queue")
    last = session.scalar(
        select(Decision).where(Decision.item_id == item_id).order_by(Decision.id.desc()).limit(1)
    )
    if last is None or last.user_id != user.id or last.action not in ("dismiss", "escalate"):
        raise Conflict(
            f"only your own last decision on review item {item_id} can be undone; "
            "a lead can reopen it"
        )
    now = _now()
    if now - last.created_at > UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise Conflict(
            f"your decision on review item {item_id} is older than {minutes} minutes: "
            "ask a lead to reopen it"
        )
    from_state = item.state
    to_state = next_state(from_state, "undo")
    moved = session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == item_id, ReviewItem.state == from_state)
        .values(
            state=to_state.value,
            claimed_by=user.id,
            claim_expires_at=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .returning(ReviewItem.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if moved is None:
        raise Conflict(f"review item {item_id} changed meanwhile: reload the page")
    decision = Decision(
        item_id=item_id,
        user_id=user.id,
        action="undo",
        reason=f"undo of decision {last.id} ({last.action})",
        from_state=from_state,
        to_state=to_state.value,
        score_shown=last.score_shown,
        band_shown=last.band_shown,
        model_version=last.model_version,
        list_versions=dict(last.list_versions or {}),
        created_at=now,
    )
    session.add(decision)
    session.flush()
    session.refresh(item)
    audit.record(
        session,
        user.name,
        events.DecisionUndone(decision_id=decision.id, undone=last.id, user=user.name),
        "review_item",
        item_id,
    )
    return decision


def first_call(session: Session, user: User, item_id: int, call: str) -> ReviewItem:
    """Record an analyst's first call on a blind-first item, made before its band,
    categories and explanation are shown (R04); the first one recorded stands."""
    require(user.role, "first_call")
    if call not in FIRST_CALLS:
        raise InvalidInput(f"first call {call!r} is unknown: use one of {', '.join(FIRST_CALLS)}")
    item = session.get(ReviewItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist: go back to the queue")
    if not item.blind:
        raise Conflict(f"review item {item_id} is not blind-first: decide it as it is")
    if item.first_call is not None:
        return item  # a repeated form, or another analyst's call first: it stands
    now = _now()
    if (
        item.state == ItemState.CLAIMED
        and item.claimed_by not in (None, user.id)
        and item.claim_expires_at is not None
        and item.claim_expires_at >= now
    ):
        raise Conflict(f"review item {item_id} is claimed by someone else: pick another item")
    if item.state not in (ItemState.NEW, ItemState.CLAIMED):
        raise Conflict(f"review item {item_id} is decided already ({item.state})")
    session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == item_id, ReviewItem.first_call.is_(None))
        .values(first_call=call, first_call_by=user.id, first_call_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(item)
    if item.first_call_by == user.id and item.first_call == call:
        audit.record(session, user.name, events.FirstCall(call=call), "review_item", item_id)
    return item


def decide_group(
    session: Session,
    user: User,
    item_ids: list[int],
    action: str,
    reason: str,
    *,
    idempotency_key: str,
    reason_code: str | None = None,
) -> tuple[list[int], dict[int, str]]:
    """One person's decision on each open item of a linked group (a persona, a template):
    each item gets its own recorded decision, in a savepoint of its own, with the key
    ``idempotency_key:item`` (a retried request changes nothing). The first item is the
    analyst's claimed one; other items that are not open to them (decided already, claimed
    by someone else, blind-first) are left as they are. The decided item ids, and why each
    other item was left."""
    if action not in ("dismiss", "escalate"):
        raise InvalidInput(f"action {action!r} cannot be taken on a group: dismiss or escalate")
    require(user.role, action)
    reason = _check_reason(reason, reason_code)
    anchor = item_ids[0]  # the item the analyst holds; the others are decided if open
    if not IDEMPOTENCY_KEY.fullmatch(idempotency_key) or len(idempotency_key) > 80:
        raise InvalidInput("the form has no valid key: reload the page")
    decide(  # the analyst's own claimed item first: its errors are the request's
        session,
        user,
        anchor,
        action,
        reason,
        idempotency_key=f"{idempotency_key}:{anchor}",
        reason_code=reason_code,
    )
    decided: list[int] = [anchor]
    left: dict[int, str] = {}
    for item_id in sorted(set(item_ids) - {anchor}):
        try:
            with session.begin_nested():
                decide(
                    session,
                    user,
                    item_id,
                    action,
                    reason,
                    idempotency_key=f"{idempotency_key}:{item_id}",
                    reason_code=reason_code,
                    require_claim=False,
                )
            decided.append(item_id)
        except (Conflict, NotFound, IllegalTransition) as exc:
            left[item_id] = str(exc)
    audit.record(
        session,
        user.name,
        events.GroupDecision(
            kind=f"decision.group_{action}",  # type: ignore[arg-type]  # pydantic checks it
            items=sorted(decided),
            left=sorted(left),
            reason_chars=len(reason),
        ),
        "review_item",
        anchor,
    )
    return sorted(decided), left
