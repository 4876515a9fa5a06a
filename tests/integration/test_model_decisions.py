"""Training data from the analysts' final decisions in the review queue database."""

from __future__ import annotations

import pytest
from rq_helpers import PASSWORD, make_item

from review_queue.db import ReviewItem
from review_queue.services import decisions, queue
from review_queue.services.users import add_user
from store import session_factory
from thbscan.commands.text_model import load_dataset


def decide(s, user, item_id: int, action: str) -> None:
    queue.claim(s, user, item_id)
    if s.get(ReviewItem, item_id).blind:
        decisions.first_call(s, user, item_id, "concern")
    decisions.decide(s, user, item_id, action, "reason given")


def test_decisions_become_labelled_examples(migrated_engine) -> None:
    sessions = session_factory(migrated_engine)
    with sessions.begin() as s:
        analyst = add_user(s, "ana", "analyst", PASSWORD)
        escalated = make_item(s, "e1", title="Fee job", text="Pay the fee, we keep the passport.")
        dismissed = make_item(s, "d1", title="Cook", text="Cook wanted, contract and pension.")
        undecided = make_item(s, "u1", text="Nobody decided this one yet.")
        ids = (escalated.id, dismissed.id, undecided.id)
    with sessions.begin() as s:
        decide(s, analyst, ids[0], "escalate")
        decide(s, analyst, ids[1], "dismiss")
    url = migrated_engine.url.render_as_string(hide_password=False)
    data = load_dataset(["decisions"], url)
    by_id = {e.id: e for e in data.examples}
    assert set(by_id) == {f"item-{ids[0]}", f"item-{ids[1]}"}
    assert by_id[f"item-{ids[0]}"].label == 1 and by_id[f"item-{ids[1]}"].label == 0
    assert by_id[f"item-{ids[0]}"].text == "Fee job\n\nPay the fee, we keep the passport."
    assert data.name == "analyst decisions" and len(data.sha256) == 64


def test_decisions_take_no_path() -> None:
    from models.errors import ModelError

    with pytest.raises(ModelError, match="takes no PATH"):
        load_dataset(["decisions", "file.csv"])
