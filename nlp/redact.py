"""Identifiers out of stored text (requirement R09).

Before a listing is stored, every phone number, e-mail address and messenger handle in its
title, text and fields is replaced by a token made from its keyed pseudonym, for example
``"Ring +45 20 55 12 34"`` -> ``"Ring [phone kfmbdaoc]"``. The same identifier gives the same
token everywhere (under one key), so texts still read naturally, templates still match and
highlighting spans are spans of the stored text. The token's code is the pseudonym's first
eight hex digits written as the letters a-p: no digit, ``@`` or dot that the extractor could
take for a new identifier. The raw values go back to the caller (:class:`Found`), to be kept
in a restricted table, never in the text.

Extraction keeps only the first span of each value: each round replaces those spans and every
exact repeat of them, and the text is extracted again until nothing is left (the same number
spelled another way is taken in the next round).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from indicator_lists.matcher.phones import HIDDEN_PHONE
from nlp.extract import MAX_CHARS, Extracted, extract
from nlp.pseudonym import Pseudonymiser

IDENTIFIER_KINDS = ("phone", "email", "handle")
CODE_LETTERS = 8
_OVERLAP = 500  # characters two windows share: longer than any identifier
MAX_ROUNDS = 16  # each round takes every identifier's first span and its exact repeats


@dataclass(frozen=True, slots=True)
class Found:
    """One identifier taken out of a listing."""

    kind: str
    value: str  # the normalised raw value: restricted, never stored in text
    pseudonym: str
    token: str  # what stands in the text instead


@dataclass
class Shift:
    """How positions in a text moved when its identifiers became tokens: the edits
    ``(start, end, new length)`` of each round, so that spans computed on the text in clear
    (a score stored before the text was redacted) can follow."""

    rounds: list[list[tuple[int, int, int]]] = field(default_factory=list)

    def __call__(self, pos: int, *, end: bool = False) -> int:
        """Where ``pos`` is now; inside a replaced identifier, the token's start (or, for
        the ``end`` of a span, the token's end)."""
        for edits in self.rounds:
            moved = 0
            for start, stop, length in edits:
                if stop <= pos:
                    moved += length - (stop - start)
                elif start < pos:
                    pos = start + (length if end else 0)
                    break
                else:
                    break
            pos += moved
        return pos


@dataclass(frozen=True, slots=True)
class Redacted:
    title: str
    text: str
    fields: dict[str, Any]
    found: tuple[Found, ...]
    title_shift: Shift = field(default_factory=Shift)
    text_shift: Shift = field(default_factory=Shift)


def token_for(kind: str, value: str, pseudonym: str, written: str = "") -> str:
    """``[phone kfmbdaoc]``; a handle's token names its app: ``[whatsapp ...]``; a phone
    number ``written`` to be hard to find (spelled digits, single digits spaced apart) says
    so, for the indicator of obfuscated numbers: ``[hidden phone kfmbdaoc]``."""
    label = value.split(":", 1)[0] if kind == "handle" else kind
    if kind == "phone" and _hidden(written):
        label = HIDDEN_PHONE
    digest = pseudonym.rsplit(":", 1)[-1]
    code = "".join(chr(ord("a") + int(c, 16)) for c in digest[:CODE_LETTERS])
    return f"[{label} {code}]"


def _hidden(written: str) -> bool:
    groups = _GROUP_RE.findall(written)
    return any(not g.isdigit() for g in groups) or sum(len(g) == 1 for g in groups) >= 6


TOKEN_RE = re.compile(rf"\[((?:hidden )?[a-z]+) ([a-p]{{{CODE_LETTERS}}})\]")
_GROUP_RE = re.compile(r"[^\W_]+")


def tokens_in(text: str) -> list[tuple[str, str]]:
    """``(kind, token)`` of each identifier token in a redacted text, in order: linking a
    stored text finds its identifiers this way (the same identifier, the same token)."""
    found = []
    for m in TOKEN_RE.finditer(text):
        label = m[1].removeprefix("hidden ")
        kind = label if label in ("phone", "email") else "handle"
        found.append((kind, f"[{label} {m[2]}]"))  # however it was written
    return found


class Redactor:
    """Takes identifiers out of text, fields and whole listings."""

    def __init__(self, pseudonymiser: Pseudonymiser, region: str = "DK") -> None:
        self.pseudonymiser = pseudonymiser
        self.region = region

    def _found(self, e: Extracted) -> Found:
        pseudonym = self.pseudonymiser.pseudonymise(e.kind, e.value)
        return Found(e.kind, e.value, pseudonym, token_for(e.kind, e.value, pseudonym, e.text))

    def text(self, text: str, shift: Shift | None = None) -> tuple[str, list[Found]]:
        """``text`` with every identifier replaced by its token, and what was found; the
        edits made go to ``shift``."""
        shift = Shift() if shift is None else shift
        found: dict[str, Found] = {}
        for _round in range(MAX_ROUNDS):
            hits = self._hits(text)
            if not hits:
                return text, list(found.values())
            edits, token_of = [], {}
            for start, end, covered in _regions(hits):
                for e in covered:
                    one = self._found(e)
                    found.setdefault(one.pseudonym, one)
                    token_of[e] = one.token  # as this one was written
                tokens = dict.fromkeys(token_of[e] for e in covered)
                edits.append((start, end, " ".join(tokens)))
            for e, token in token_of.items():  # the same spelling again (spam repeats it)
                at = text.find(e.text)
                while at != -1:
                    edits.append((at, at + len(e.text), token))
                    at = text.find(e.text, at + len(e.text))
            text = _apply(text, edits, shift)
        for _round in range(MAX_ROUNDS):  # built to outlast the rounds: never keep one in clear
            hits = self._hits(text)
            if not hits:
                return text, list(found.values())
            text = _apply(text, [(s, e, "[removed]") for s, e, _c in _regions(hits)], shift)
        return "[text withheld: too many identifiers]", list(found.values())

    def _hits(self, text: str) -> list[Extracted]:
        """The identifiers in the whole of ``text``: the extractor reads MAX_CHARS at a
        time, so a long text is read in windows that overlap by more than any identifier."""
        hits = {}
        for at in range(0, max(1, len(text) - _OVERLAP), MAX_CHARS - _OVERLAP):
            for e in extract(text[at : at + MAX_CHARS], region=self.region):
                if e.kind in IDENTIFIER_KINDS:
                    hits[e.start + at, e.end + at] = replace(e, start=e.start + at, end=e.end + at)
        return list(hits.values())

    def value(self, value: Any, found: dict[str, Found]) -> Any:
        """A field value with identifiers replaced, through lists and mappings."""
        if isinstance(value, str):
            redacted, more = self.text(value)
            found.update((f.pseudonym, f) for f in more)
            return redacted
        if isinstance(value, Mapping):
            return {k: self.value(v, found) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v, found) for v in value]
        return value

    def listing(self, title: str, text: str, fields: Mapping[str, Any]) -> Redacted:
        title_shift, text_shift = Shift(), Shift()
        title, in_title = self.text(title, title_shift)
        text, in_text = self.text(text, text_shift)
        found = {f.pseudonym: f for f in (*in_title, *in_text)}
        redacted_fields = self.value(dict(fields), found)
        return Redacted(
            title, text, redacted_fields, tuple(found.values()), title_shift, text_shift
        )


def _regions(hits: list[Extracted]) -> list[tuple[int, int, list[Extracted]]]:
    """Overlapping spans merged: (start, end, the identifiers they cover), in text order."""
    regions: list[tuple[int, int, list[Extracted]]] = []
    for e in sorted(hits, key=lambda h: (h.start, -h.end)):
        if regions and e.start < regions[-1][1]:
            start, end, covered = regions[-1]
            regions[-1] = (start, max(end, e.end), [*covered, e])
        else:
            regions.append((e.start, e.end, [e]))
    return regions


def _apply(text: str, edits: list[tuple[int, int, str]], shift: Shift) -> str:
    """``text`` with the edits that do not overlap an earlier one made; recorded in ``shift``."""
    kept: list[tuple[int, int, str]] = []
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], -e[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, replacement))
    pieces, at = [], 0
    for start, end, replacement in kept:
        pieces += [text[at:start], replacement]
        at = end
    shift.rounds.append([(start, end, len(r)) for start, end, r in kept])
    return "".join([*pieces, text[at:]])
