"""Clusters of listings linked by a shared identifier or a shared template.

Two listings are linked when they share a phone number, an e-mail address or a messenger
handle (:mod:`nlp.extract`), or when they are near-duplicates of one template
(:mod:`.templates`). A cluster is a connected group: one operation seen as one, as the
personas of Traffic Jam or the template groups of InfoShield.

An identifier found in more than ``max_degree`` listings (an agency's switchboard, a
platform's own number) links none of them: it would merge unrelated operations into one.
It is reported as a hub instead, for an analyst to look at.
"""

from __future__ import annotations

import functools
import multiprocessing
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indicator_lists.matcher import normalise
from nlp.extract import extract
from nlp.redact import tokens_in

from .signals import (
    Member,
    Signal,
    SignalConfig,
    cities_per_week,
    cluster_signals,
    is_bridge,
)
from .templates import TemplateConfig, TemplateIndex, listing_words, signature_of, slots_of

__all__ = ["MAX_DEGREE", "Cluster", "LinkInput", "Linker", "Prepared", "prepare"]

MAX_DEGREE = 200
IDENTIFIER_KINDS = ("phone", "email", "handle")
MAX_TEXT = 20_000


@dataclass(frozen=True)
class LinkInput:
    id: str
    title: str = ""
    text: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)  # kind, city, source, posted_at


@dataclass
class Cluster:
    id: str
    members: list[str]
    kinds: list[str]  # how its members are linked: "phone", "email", "handle", "template"
    template: str | None = None
    slots: dict[str, list[str]] = field(default_factory=dict)
    listing_kinds: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    ages: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    first_seen: str | None = None  # the earliest and latest posted_at of its members
    last_seen: str | None = None
    cities_per_week: int = 0  # the most distinct cities within 7 days (relocation)
    bridge: bool = False  # a job ad and an escort or massage ad in one cluster
    signals: list[Signal] = field(default_factory=list)  # the catalogue's link.* indicators
    template_members: list[str] = field(default_factory=list)  # its largest template group

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "members": self.members,
            "template_members": self.template_members,
            "kinds": self.kinds,
            "template": self.template,
            "slots": self.slots,
            "listing_kinds": self.listing_kinds,
            "cities": self.cities,
            "sources": self.sources,
            "ages": self.ages,
            "languages": self.languages,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "cities_per_week": self.cities_per_week,
            "bridge": self.bridge,
            "signals": [s.to_dict() for s in self.signals],
        }


@dataclass(frozen=True)
class Prepared:
    """What linking needs of one listing, computed on its own (in a worker process)."""

    id: str
    fields: Mapping[str, Any]
    text: str
    identifiers: tuple[tuple[str, str], ...]
    ages: tuple[str, ...]
    signature: np.ndarray | None


def prepare(listing: LinkInput, config: TemplateConfig, region: str = "DK") -> Prepared:
    text = f"{listing.title}\n\n{listing.text}"[:MAX_TEXT]
    norm = normalise(text)
    found = extract(text, region=region, normalised=norm)
    keys = [key for _word, key in listing_words(text, norm)]
    return Prepared(
        listing.id,
        listing.fields,
        text,
        tuple(
            dict.fromkeys(
                [(e.kind, e.value) for e in found if e.kind in IDENTIFIER_KINDS]
                + tokens_in(text)  # a stored text's identifiers are tokens (R09)
            )
        ),
        tuple(e.value for e in found if e.kind == "age"),
        signature_of(keys, config),
    )


class Linker:
    """Links listings added one by one (or in bulk) and gives the clusters on request.

    Listings given as :class:`Prepared` without text or signature, with their template
    links from a stored index (:meth:`link_templates`), are linked the same way; the texts
    of template groups (for their slots) then come from ``load_texts``.
    """

    def __init__(
        self,
        *,
        max_degree: int = MAX_DEGREE,
        templates: TemplateConfig | None = None,
        signals: SignalConfig | None = None,
        region: str = "DK",
        load_texts: Callable[[Sequence[str]], Mapping[str, str]] | None = None,
    ) -> None:
        self.load_texts = load_texts
        self.max_degree = max_degree
        self.signal_config = signals or SignalConfig()
        self.region = region
        self.index = TemplateIndex(templates)
        self.ids: list[str] = []
        self.position: dict[str, int] = {}
        self.fields: list[Mapping[str, Any]] = []
        self.texts: list[bytes] = []  # compressed: the shared text and slots of templates
        self.in_template: set[int] = set()
        self.template_of: dict[int, int] = {}  # template-group root of a linked listing
        self.by_identifier: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.template_pairs: list[tuple[int, int]] = []
        self.ages: dict[int, tuple[str, ...]] = {}
        # union-find over listing numbers, kept as links arrive; rebuilt when an
        # identifier becomes too common to link (its earlier links must go)
        self.parent: list[int] = []
        self.link_kinds: dict[int, set[str]] = {}  # by root
        self.rebuild = False
        self.detached: set[int] = set()  # analysts' corrections (override)
        self.merged: list[tuple[int, int]] = []

    def add(self, listing: LinkInput) -> None:
        if listing.id not in self.position:
            self.add_prepared(prepare(listing, self.index.config, self.region))

    def add_prepared(self, p: Prepared) -> None:
        if p.id in self.position:
            return
        n = self.position[p.id] = len(self.ids)
        self.ids.append(p.id)
        self.fields.append(p.fields)
        self.texts.append(zlib.compress(p.text.encode("utf-8", "replace"), 1) if p.text else b"")
        self.parent.append(n)
        for identifier in p.identifiers:
            owners = self.by_identifier[identifier]
            owners.append(n)
            if len(owners) == self.max_degree + 1:
                self.rebuild = True  # a hub now: it links nothing
            elif 1 < len(owners) <= self.max_degree:
                self._union(owners[0], n, identifier[0])
        if p.ages:
            self.ages[n] = p.ages
        for m in self.index.add(n, p.signature):
            self._link_template(m, n)
        if self.detached:  # its links may reach a detached listing: made again on demand
            self.rebuild = True

    def link_templates(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Template links found by a stored index, between listings added already."""
        known = self.position
        for a, b in pairs:
            if a in known and b in known and a != b:
                self._link_template(known[a], known[b])
        if self.detached:
            self.rebuild = True

    def _link_template(self, m: int, n: int) -> None:
        self.template_pairs.append((m, n))
        self.in_template.update((m, n))
        self._union(m, n, "template")
        self._join_templates(m, n)

    def _template_root(self, i: int) -> int:
        groups = self.template_of
        while groups.get(i, i) != i:
            groups[i] = groups.get(groups[i], groups[i])  # path halving
            i = groups[i]
        return i

    def _join_templates(self, a: int, b: int) -> None:
        ra, rb = self._template_root(a), self._template_root(b)
        self.template_of.setdefault(ra, ra)
        self.template_of.setdefault(rb, rb)
        if ra != rb:
            self.template_of[max(ra, rb)] = min(ra, rb)

    def _find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving
            i = parent[i]
        return i

    def _union(self, a: int, b: int, kind: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            if ra > rb:
                ra, rb = rb, ra
            self.parent[rb] = ra
            self.link_kinds.setdefault(ra, set()).update(self.link_kinds.pop(rb, ()))
        self.link_kinds.setdefault(ra, set()).add(kind)

    def override(
        self, detached: Iterable[str] = (), merged: Iterable[tuple[str, str]] = ()
    ) -> None:
        """Analysts' corrections, kept through relinking: each listing in ``detached`` is
        linked to nothing; each pair in ``merged`` is linked (kind "analyst")."""
        known = self.position
        self.detached = {known[i] for i in detached if i in known}
        self.merged = [(known[a], known[b]) for a, b in merged if a in known and b in known]
        self.rebuild = True

    def _rebuild(self) -> None:
        self.parent = list(range(len(self.ids)))
        self.link_kinds = {}
        for (kind, _value), owners in self.by_identifier.items():
            if 1 < len(owners) <= self.max_degree:
                kept = [o for o in owners if o not in self.detached]
                for other in kept[1:]:
                    self._union(kept[0], other, kind)
        for a, b in self.template_pairs:
            if a not in self.detached and b not in self.detached:
                self._union(a, b, "template")
        for a, b in self.merged:
            self._union(a, b, "analyst")
        self.rebuild = False

    def add_many(self, listings: Iterable[LinkInput], workers: int = 1) -> None:
        """Add listings in order; with ``workers`` > 1 they are prepared in that many
        processes (the index itself is updated here, in order)."""
        if workers <= 1:
            for listing in listings:
                self.add(listing)
            return
        work = functools.partial(prepare, config=self.index.config, region=self.region)
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for p in pool.imap(work, listings, chunksize=256):
                self.add_prepared(p)

    def hubs(self) -> list[tuple[str, int]]:
        """Identifiers too common to link (kind, count), most common first."""
        return sorted(
            (
                (kind, len(owners))
                for (kind, _v), owners in self.by_identifier.items()
                if len(owners) > self.max_degree
            ),
            key=lambda h: -h[1],
        )

    def clusters(self, *, details: bool = True) -> list[Cluster]:
        """The clusters, largest first; ``details`` adds each template group's shared text
        and slots (which reads its members' texts again)."""
        if self.rebuild:
            self._rebuild()
        groups: dict[int, list[int]] = defaultdict(list)
        for root in self.link_kinds:
            groups[root] = []
        for i in range(len(self.ids)):
            root = self._find(i)
            if root in groups:
                groups[root].append(i)
        shared: dict[int, dict[tuple[str, str], list[int]]] = defaultdict(dict)
        if details:
            for identifier, owners in self.by_identifier.items():
                kept = [o for o in owners if o not in self.detached]
                if len(kept) > 1 and len(owners) <= self.max_degree:
                    shared[self._find(kept[0])][identifier] = kept
        clusters = [
            self._cluster(members, self.link_kinds[root], details, shared.get(root, {}))
            for root, members in groups.items()
            if len(members) > 1
        ]
        clusters.sort(key=lambda c: (-len(c.members), c.members[0]))
        for k, cluster in enumerate(clusters, start=1):
            cluster.id = f"c{k}"
        return clusters

    def _texts(self, members: Sequence[int]) -> list[str]:
        missing = [self.ids[m] for m in members if not self.texts[m]]
        loaded = self.load_texts(missing) if missing and self.load_texts else {}
        return [
            zlib.decompress(self.texts[m]).decode("utf-8")
            if self.texts[m]
            else loaded.get(self.ids[m], "")
            for m in members
        ]

    def _cluster(
        self,
        members: list[int],
        kinds: set[str],
        details: bool,
        shared: Mapping[tuple[str, str], list[int]],
    ) -> Cluster:
        groups: dict[int, list[int]] = defaultdict(list)  # a cluster may join templates
        for m in members:
            if m in self.in_template:
                groups[self._template_root(m)].append(m)
        in_template = max(groups.values(), key=len, default=[])  # the largest group
        template, slots = (
            slots_of([[w for w, _k in listing_words(t)] for t in self._texts(in_template[:50])])
            if details and len(in_template) > 1
            else (None, {})
        )
        fields = [self.fields[m] for m in members]
        days = [str(f["posted_at"])[:10] for f in fields if f.get("posted_at")]
        listing_kinds = sorted({str(f["kind"]) for f in fields if f.get("kind")})
        signals = (
            cluster_signals(
                [Member(self.ids[m], self.fields[m], self.ages.get(m, ())) for m in members],
                {k: [self.ids[m] for m in owners] for k, owners in shared.items()},
                [self.ids[m] for m in in_template],
                self.signal_config,
            )
            if details
            else []
        )
        return Cluster(
            id="",
            signals=signals,
            template_members=[self.ids[m] for m in in_template],
            members=[self.ids[m] for m in members],
            kinds=sorted(kinds),
            template=template,
            slots=slots,
            listing_kinds=listing_kinds,
            cities=sorted({str(f["city"]) for f in fields if f.get("city")}),
            sources=sorted({str(f["source"]) for f in fields if f.get("source")}),
            ages=sorted({a for m in members for a in self.ages.get(m, ())}),
            languages=sorted({str(f["language"]) for f in fields if f.get("language")}),
            first_seen=min(days, default=None),
            last_seen=max(days, default=None),
            cities_per_week=cities_per_week(fields),
            bridge=is_bridge(set(listing_kinds)),
        )
