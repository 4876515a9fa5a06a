"""Every kind of event the system records (R02), one definition each.

An event is recorded twice: as a row of the audit table (``audit.record``), and, once its
transaction commits, as one JSON line of the event log that an operator ships to a log
store and an auditor takes away (the ``thbscan.events`` logger; the command line sends it
to the file ``THBSCAN_EVENT_LOG`` names). Events that have no transaction (robots.txt
decisions of a crawl, indicator-list exports) go straight to the log (:func:`emit`).

The kind is a ``Literal`` of its class, so a misspelt kind is refused when the event is
made, and the fields are checked against the class (pydantic; unknown fields refused):
the log's schema is this module (``thbscan audit events --schema``). No field holds
listing content; values that came from listings or from people (host names, labels) have
their control characters escaped and are bounded. Free text that people type (reasons,
login names) is kept in the audit table, which is access-controlled and purged after its
retention period, and leaves the event log as its length only (``PRIVATE``).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

LOGGER = "thbscan.events"
SCHEMA_VERSION = 1
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_log = logging.getLogger(LOGGER)


def clean(value: Any) -> Any:
    """Control characters escaped (``\\x1b``), strings bounded to 2,000 characters."""
    if isinstance(value, str):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)[:2000]
    if isinstance(value, dict):
        return {str(clean(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


class Event(BaseModel):
    """Base of every event; a subclass declares ``kind`` as a ``Literal``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    PRIVATE: ClassVar[tuple[str, ...]] = ()  # fields left out of the event log

    kind: str

    @model_validator(mode="before")
    @classmethod
    def _escaped(cls, data: Any) -> Any:
        return clean(data) if isinstance(data, dict) else data

    def details(self) -> dict[str, Any]:
        """The fields for the audit table (everything but the kind)."""
        return self.model_dump(mode="json", exclude={"kind"})

    def log_fields(self) -> dict[str, Any]:
        """The fields for the event log: private ones as their length (``reason_chars``)."""
        fields = self.model_dump(mode="json", exclude={"kind", *self.PRIVATE})
        for name in self.PRIVATE:
            fields[f"{name}_chars"] = len(getattr(self, name))
        return fields


def _kind(name: str) -> Any:
    return Field(default=name)


# -- crawling --------------------------------------------------------------------------


class CrawlStarted(Event):
    kind: Literal["crawl.started"] = _kind("crawl.started")
    source: str


class CrawlFinished(Event):
    kind: Literal["crawl.finished"] = _kind("crawl.finished")
    source: str
    reason: str
    status: str
    detail: str | None = None
    pages: int
    items: int


class RobotsHost(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    rules: Literal["parsed", "none", "disallow_all"]
    status: int | None = None
    denied: int = 0
    crawl_delay: float | None = None


class RobotsDecisions(Event):
    """What robots.txt decided for each host of one crawl run."""

    kind: Literal["crawl.robots"] = _kind("crawl.robots")
    source: str
    hosts: dict[str, RobotsHost]


class DeadRunsClosed(Event):
    """Runs of a crawl that died without recording their end, closed by a later run."""

    kind: Literal["crawl.dead_runs_closed"] = _kind("crawl.dead_runs_closed")
    runs: list[int]
    previous_holder: str
    why: Literal["process_ended", "run_time_exceeded"]


class CrawlLockTakenOver(Event):
    kind: Literal["crawl.lock_taken_over"] = _kind("crawl.lock_taken_over")
    previous_holder: str


class ListingsRemoved(Event):
    kind: Literal["crawl.listings_removed"] = _kind("crawl.listings_removed")
    count: int


class StopSwitch(Event):
    PRIVATE = ("reason",)
    kind: Literal["crawl.stop_switch_on", "crawl.stop_switch_off"]
    reason: str


# -- scoring ---------------------------------------------------------------------------


class ScoringBatch(Event):
    kind: Literal["scoring.batch"] = _kind("scoring.batch")
    listings: int
    flagged: int
    model_version: str
    list_versions: dict[str, str]


class LinkingRun(Event):
    kind: Literal["scoring.linked"] = _kind("scoring.linked")
    listings: int
    indexed: int
    clusters: int
    rescored: int


class WatchQueued(Event):
    kind: Literal["watch.queued"] = _kind("watch.queued")
    listings: int


# -- the review queue ------------------------------------------------------------------


class ItemClaimed(Event):
    kind: Literal["item.claim"] = _kind("item.claim")
    user: str
    expires_at: str


class ItemReleased(Event):
    kind: Literal["item.release"] = _kind("item.release")
    user: str


class FirstCall(Event):
    kind: Literal["item.first_call"] = _kind("item.first_call")
    call: Literal["concern", "no_concern"]


class DecisionRecorded(Event):
    kind: Literal["decision.dismiss", "decision.escalate", "decision.reopen"]
    decision_id: int
    user: str
    from_state: str
    to_state: str
    band_shown: str | None = None
    model_version: str | None = None
    reason_code: str | None = None
    reason_chars: int


class DecisionUndone(Event):
    kind: Literal["decision.undo"] = _kind("decision.undo")
    decision_id: int
    undone: int
    user: str


class GroupDecision(Event):
    kind: Literal["decision.group_dismiss", "decision.group_escalate"]
    items: list[int]
    left: list[int]
    reason_chars: int


class LinkOverride(Event):
    kind: Literal["linking.detach", "linking.merge"]
    other_listing: int | None = None
    reason_chars: int


class HoldChanged(Event):
    kind: Literal["hold.set", "hold.cleared"]
    listings: int
    reason_chars: int


class IdentifiersRevealed(Event):
    PRIVATE = ("reason",)
    kind: Literal["identifier.reveal"] = _kind("identifier.reveal")
    reason: str
    identifiers: int
    still_kept: int


class WatchChanged(Event):
    PRIVATE = ("label",)
    kind: Literal["watch.add", "watch.stop"]
    label: str = ""


class SearchRun(Event):
    kind: Literal["search.run"] = _kind("search.run")
    filters: list[str]
    results: int


# -- exports ---------------------------------------------------------------------------


class DecisionsExported(Event):
    kind: Literal["decisions.export"] = _kind("decisions.export")
    format: Literal["csv", "jsonl"]


class AuditExported(Event):
    kind: Literal["audit.export"] = _kind("audit.export")
    filters: dict[str, str]


class ListsExported(Event):
    """Indicator lists written for platform partners."""

    kind: Literal["indicators.export"] = _kind("indicators.export")
    profile: str
    format: str
    lists: dict[str, str]
    verified: bool


# -- accounts and sessions -------------------------------------------------------------


class UserChanged(Event):
    kind: Literal[
        "user.add", "user.disable", "user.enable", "user.password_set", "user.sessions_ended"
    ]
    name: str
    role: str | None = None
    sessions_ended: int | None = None


class UserRoleChanged(Event):
    kind: Literal["user.role"] = _kind("user.role")
    name: str
    old: str
    new: str
    sessions_ended: int


class SessionEvent(Event):
    kind: Literal["auth.login", "auth.logout", "auth.session_expired"]
    why: str | None = None


class LoginRefused(Event):
    PRIVATE = ("name",)  # what was typed as a name may be anything, even a password
    kind: Literal["auth.login_failed", "auth.login_throttled"]
    name: str


# -- retention -------------------------------------------------------------------------


class Purged(Event):
    kind: Literal["retention.purged"] = _kind("retention.purged")
    counts: dict[str, int]
    total: int


class PurgeAnchor(Event):
    kind: Literal["retention.anchor"] = _kind("retention.anchor")
    through: int
    hash: str


ENVELOPE = ("v", "at", "kind", "actor", "object_type", "object_id")


def _kinds() -> dict[str, type[Event]]:
    kinds: dict[str, type[Event]] = {}
    for cls in Event.__subclasses__():
        taken = set(cls.model_fields) & set(ENVELOPE[3:])
        if taken:
            raise TypeError(f"{cls.__name__}: {sorted(taken)} are the log's own fields")
        for name in get_args(cls.model_fields["kind"].annotation):
            if name in kinds:
                raise TypeError(f"event kind {name!r} is defined twice")
            kinds[name] = cls
    return kinds


KINDS = _kinds()


def line(
    event: Event, *, actor: str, object_type: str = "", object_id: str = "", at: datetime
) -> str:
    """The event's line in the event log (JSON, one line, keys sorted)."""
    record = {
        "v": SCHEMA_VERSION,
        "at": at.astimezone(UTC).isoformat(),
        "kind": event.kind,
        "actor": clean(actor)[:100],
        "object_type": object_type,
        "object_id": clean(str(object_id))[:60],
        **event.log_fields(),
    }
    return json.dumps(record, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def emit(
    event: Event, *, actor: str = "system", object_type: str = "", object_id: str = ""
) -> None:
    """Write an event that belongs to no transaction to the event log now."""
    _log.info(
        line(event, actor=actor, object_type=object_type, object_id=object_id, at=datetime.now(UTC))
    )


def parse(text: str) -> Event:
    """Check one line of the event log against its kind's definition; ValueError if it
    does not match (an unknown kind, a missing or unknown field, a wrong type)."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a JSON line: {exc}") from None
    if not isinstance(record, dict) or record.get("v") != SCHEMA_VERSION:
        raise ValueError(f"not a version {SCHEMA_VERSION} event: {text[:80]!r}")
    cls = KINDS.get(record.get("kind", ""))
    if cls is None:
        raise ValueError(f"unknown event kind {record.get('kind')!r}")
    for name in ENVELOPE[:2] + ENVELOPE[3:]:
        record.pop(name, None)
    for name in cls.PRIVATE:
        chars = record.pop(f"{name}_chars", None)
        if not isinstance(chars, int):
            raise ValueError(f"{record['kind']}: {name}_chars is missing")
        record[name] = ""
    try:
        return cls.model_validate(record)
    except Exception as exc:
        raise ValueError(f"{record['kind']}: {exc}") from None


def schema() -> dict[str, Any]:
    """A JSON Schema of every kind (for ``thbscan audit events --schema``)."""
    return {name: cls.model_json_schema() for name, cls in sorted(KINDS.items())}
