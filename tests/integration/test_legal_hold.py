"""Legal holds, on SQLite and the real PostgreSQL: set and cleared by leads from the command
line (audited, without the reason's text), refused with a message naming the value for
anyone else or a wrong number; a held link group keeps its id and covers its persona across
linking runs; and the purge deletes a held listing only once the hold is cleared."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from rq_helpers import PASSWORD, make_item
from sqlalchemy import select, update

from nlp.linking import Cluster
from review_queue.db import upgrade
from review_queue.db.models import AuditEvent, HeldListing, LinkGroup, ListingLink
from review_queue.services import users
from store import Listing, create_engine_for, session_factory
from thbscan.cli import main
from thbscan.linking import _store_groups

NOW = datetime(2031, 6, 1, tzinfo=UTC)


@pytest.fixture
def db(db_url: str):
    engine = create_engine_for(db_url)
    upgrade(engine)
    sessions = session_factory(engine, writer=True)
    with sessions.begin() as session:
        users.add_user(session, "lee", "lead", PASSWORD)
        users.add_user(session, "ana", "analyst", PASSWORD)
        items = [make_item(session, f"job-{n}").id for n in range(4)]
        listings = list(session.scalars(select(Listing.id).order_by(Listing.id)))
    yield db_url, sessions, items, listings
    engine.dispose()


def hold(db_url: str, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["hold", *args, "--db", db_url])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_lead_sets_and_clears_a_hold_on_an_item(db, capsys: pytest.CaptureFixture) -> None:
    db_url, sessions, items, _ = db
    item = str(items[0])
    reason = "police request 2031-17 about this advertiser"
    code, out, _ = hold(
        db_url, capsys, "set", "--item", item, "--reason", reason, "--by", "lee", "--json"
    )
    assert code == 0
    shown = json.loads(out)
    assert shown["held"] is True and shown["by"] == "lee" and shown["reason"] == reason

    code, _, err = hold(db_url, capsys, "set", "--item", item, "--reason", "again", "--by", "lee")
    assert code == 2 and f"item {item} is already on legal hold" in err
    code, out, _ = hold(db_url, capsys, "list", "--json")
    assert [(h["kind"], h["id"]) for h in json.loads(out)["holds"]] == [("item", items[0])]

    code, _, err = hold(
        db_url, capsys, "set", "--item", str(items[1]), "--reason", "x", "--by", "ana"
    )
    assert code == 2 and "role 'analyst' may not legal_hold" in err
    code, _, err = hold(db_url, capsys, "set", "--item", "9999", "--reason", "x", "--by", "lee")
    assert code == 2 and "review item 9999 does not exist" in err
    code, _, err = hold(db_url, capsys, "set", "--group", "77", "--reason", "x", "--by", "lee")
    assert code == 2 and "link group 77 does not exist" in err
    code, _, err = hold(
        db_url, capsys, "set", "--group-of-item", str(items[1]), "--reason", "x", "--by", "lee"
    )
    assert code == 2 and f"review item {items[1]} is linked to no other listing" in err
    code, _, err = hold(db_url, capsys, "set", "--item", item, "--reason", "x", "--by", "nobody")
    assert code == 2 and "--by 'nobody' is not a thbscan user" in err
    code, _, err = hold(db_url, capsys, "set", "--item", item, "--reason", "  ", "--by", "lee")
    assert code == 2 and "a legal hold needs a reason" in err
    with pytest.raises(SystemExit):
        hold(db_url, capsys, "set", "--item", "abc", "--reason", "x", "--by", "lee")
    assert "'abc': give a whole number of at least 1" in capsys.readouterr().err

    code, out, _ = hold(
        db_url, capsys, "clear", "--item", item, "--reason", "case closed", "--by", "lee"
    )
    assert code == 0 and "legal hold cleared" in out
    code, _, err = hold(db_url, capsys, "clear", "--item", item, "--reason", "again", "--by", "lee")
    assert code == 2 and "is not on legal hold" in err

    with sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith("hold.")).order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.actor, e.object_id) for e in events] == [
        ("hold.set", "lee", item),
        ("hold.cleared", "lee", item),
    ]
    assert events[0].details == {"listings": 1, "reason_chars": len(reason)}
    assert all(reason not in json.dumps(e.details) for e in events)


def test_a_held_group_keeps_its_id_and_persona_across_linking_runs(
    db, capsys: pytest.CaptureFixture
) -> None:
    db_url, sessions, items, (a, b, c, d) = db
    with sessions.begin() as session:
        _store_groups(session, [Cluster("x", [str(a), str(b)], ["phone"])])
    with sessions() as session:
        group = session.scalar(select(LinkGroup.id))
    item_of_a = str(items[0])  # the items were made in the listings' order
    code, out, _ = hold(
        db_url, capsys, "set", "--group-of-item", item_of_a, "--reason", "case 18", "--by", "lee"
    )
    assert code == 0 and f"group {group}: legal hold set, covering 2 listings" in out

    def stored() -> tuple[dict[int, int], set[int], list[int]]:
        with sessions() as session:
            links = dict(
                session.execute(select(ListingLink.listing_id, ListingLink.group_id)).all()
            )
            held = set(session.scalars(select(HeldListing.listing_id)))
            groups = list(session.scalars(select(LinkGroup.id).order_by(LinkGroup.id)))
        return links, held, groups

    # the persona changed: b is now with c; d is alone in a cluster of its own
    with sessions.begin() as session:
        _store_groups(
            session,
            [Cluster("y", [str(d)], ["phone"]), Cluster("z", [str(b), str(c)], ["template"])],
        )
    links, held, groups = stored()
    assert links[b] == links[c] == group  # the cluster that continues the persona
    assert links[d] != group and group in groups
    assert held == {a, b, c}  # everything it ever held
    with sessions.begin() as session:
        _store_groups(session, [])  # linked to nothing any more: the held group stays
    links, held, groups = stored()
    assert links == {} and groups == [group] and held == {a, b, c}

    # the purge keeps the held listings, and deletes them once the hold is cleared
    with sessions.begin() as session:
        session.execute(update(Listing).values(last_seen_at=NOW - timedelta(days=400)))
    capsys.readouterr()
    assert main(["purge", "--db", db_url, "--now", NOW.isoformat(), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert counts["listings"] == 1 and counts["link_groups"] == 0  # d only
    code, _, _ = hold(
        db_url, capsys, "clear", "--group", str(group), "--reason", "closed", "--by", "lee"
    )
    assert code == 0
    assert main(["purge", "--db", db_url, "--now", NOW.isoformat(), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert counts["listings"] == 3 and counts["link_groups"] == 1 and counts["held_listings"] == 0
    with sessions() as session:
        assert session.scalar(select(Listing.id)) is None
