"""Template groups: listings written from one text with names, ages, cities, prices and
contact details changed ("Work in {Kolding, Aarhus} fast", "Just turned 18 - {Lily, Grace}").

Each listing's words are normalised (the matcher's tokens), and the words that usually fill
a template's slots are masked: numbers, words written with a capital inside a sentence
(names, cities) and the listing's identifiers. Overlapping word shingles of the masked text
are hashed into a MinHash signature (datasketch); a locality-sensitive hash index with
datasketch's banding proposes listings whose estimated Jaccard similarity may reach the
threshold, and a pair links when its estimate does. The index takes listings one by one, so
new listings join existing groups as they arrive.

The index is kept in memory (:class:`TemplateIndex`) or, for the stored archive, in the
database: :func:`band_keys` gives the same buckets on every machine.

Parameters (:class:`TemplateConfig`): shingles of 4 words, 64 permutations, threshold
0.6, listings with fewer than 8 shingles left out (too short to call a template). The
linking benchmark (``benchmarks/bench_link.py``) measures pairwise precision and recall on
generated campaigns for them.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from indicator_lists.matcher import Normalised, normalise, tokenize

__all__ = [
    "TemplateConfig",
    "TemplateIndex",
    "band_keys",
    "listing_words",
    "signature_of",
    "similarity",
    "slots_of",
]

MASK_NUMBER = "<num>"
MASK_PROPER = "<name>"
MAX_WORDS = 2_000  # of one listing: a bound on the work per listing
MAX_SLOT = 120  # characters of a slot's value shown


@dataclass(frozen=True)
class TemplateConfig:
    shingle: int = 4
    num_perm: int = 64
    threshold: float = 0.6
    min_shingles: int = 8

    @property
    def key(self) -> str:
        """Names the parameters and hashing: a stored index made with others is rebuilt."""
        return f"w{self.shingle}-p{self.num_perm}-t{self.threshold}-m{self.min_shingles}-crc32"


@functools.lru_cache(maxsize=8)
def bands(config: TemplateConfig) -> list[tuple[int, int]]:
    """The rows of each band: datasketch's banding for the threshold and permutations."""
    banding = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm)
    return [(i * banding.r, (i + 1) * banding.r) for i in range(banding.b)]


def band_keys(signature: np.ndarray, config: TemplateConfig) -> list[int]:
    """One 64-bit key per band of ``signature``, the same in every process and machine:
    the buckets of an index kept in a database."""
    sig = signature.astype(np.uint32)
    return [
        int.from_bytes(
            hashlib.blake2b(bytes([n]) + sig[a:b].tobytes(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        for n, (a, b) in enumerate(bands(config))
    ]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity two signatures estimate."""
    return float((a.astype(np.uint32) == b.astype(np.uint32)).mean())


def listing_words(text: str, norm: Normalised | None = None) -> list[tuple[str, str]]:
    """``(word as written, masked key)`` of each word of ``text`` (given its normalisation
    ``norm`` when there is one), at most MAX_WORDS."""
    tokens = tokenize((norm or normalise(text)).text)
    out: list[tuple[str, str]] = []
    sentence = -1
    for tok in tokens:
        if not tok.is_word:
            continue
        first = tok.sentence != sentence
        sentence = tok.sentence
        if tok.is_number or (not tok.key.isalpha() and any(ch.isdigit() for ch in tok.key)):
            key = MASK_NUMBER
        elif tok.text[:1].isupper() and not first:
            key = MASK_PROPER
        else:
            key = tok.key
        out.append((tok.text, key))
        if len(out) >= MAX_WORDS:
            break
    return out


def shingles(keys: Sequence[str], size: int) -> set[bytes]:
    return {" ".join(keys[i : i + size]).encode() for i in range(len(keys) - size + 1)}


_SCHEME = "affine32"  # datasketch's hashing of 32-bit values (a CRC-32 is one)


@functools.lru_cache(maxsize=4)
def _empty_minhash(num_perm: int) -> MinHash:
    # CRC-32 of a shingle: fast, and the same in every process (a shared index needs it)
    return MinHash(num_perm=num_perm, hashfunc=zlib.crc32, scheme=_SCHEME)


def signature_of(keys: Sequence[str], config: TemplateConfig) -> np.ndarray | None:
    """The MinHash signature of a listing's masked words; None when it is too short."""
    grams = shingles(keys, config.shingle)
    if len(grams) < config.min_shingles:
        return None
    mh = _empty_minhash(config.num_perm).copy()
    mh.update_batch(list(grams))
    return mh.hashvalues


class TemplateIndex:
    """An incremental, in-memory MinHash LSH index of listings numbered 0, 1, 2, ...:
    ``add`` returns the listings a new one is a near-duplicate of.

    The banding (how many bands of how many rows) is datasketch's choice for the threshold
    and the number of permutations; each band's table maps a band's hash to the first
    listing with it (or a list of them), a few dozen bytes per listing and band, where
    datasketch's own in-memory storage keeps a set per bucket (about 3 KB per listing).
    What a band proposes is checked against the estimated Jaccard similarity.
    """

    def __init__(self, config: TemplateConfig | None = None) -> None:
        self.config = config or TemplateConfig()
        self.bands = bands(self.config)
        self.tables: list[dict[int, int | list[int]]] = [{} for _ in self.bands]
        self.signatures = np.zeros((1024, self.config.num_perm), dtype=np.uint32)
        self.indexed = 0

    def add(self, key: int, signature: np.ndarray | None) -> list[int]:
        """Index listing ``key`` by its signature; the indexed listings it links to."""
        if signature is None:
            return []
        signature = signature.astype(np.uint32)
        candidates: set[int] = set()
        for (a, b), table in zip(self.bands, self.tables, strict=True):
            h = hash(signature[a:b].tobytes())
            found = table.get(h)
            if found is None:
                table[h] = key
            elif isinstance(found, list):
                candidates.update(found)
                found.append(key)
            else:
                candidates.add(found)
                table[h] = [found, key]
        while key >= len(self.signatures):
            self.signatures = np.concatenate([self.signatures, np.zeros_like(self.signatures)])
        self.signatures[key] = signature
        self.indexed += 1
        candidates.discard(key)
        if not candidates:
            return []
        keys = sorted(candidates)
        similar = (self.signatures[keys] == signature).mean(axis=1) >= self.config.threshold
        return [k for k, ok in zip(keys, similar, strict=True) if ok]


def slots_of(members: Sequence[Sequence[str]], limit: int = 50) -> tuple[str, dict[str, list[str]]]:
    """The shared text of a template group and the values of its slots, member by member
    (as InfoShield shows them): the words of the first member that every other member has
    in the same order stay; each run of other words is a slot ``{1}``, ``{2}``, ..."""
    members = [list(m) for m in members[:limit]]
    if not members:
        return "", {}
    ref = members[0]
    shared = [True] * len(ref)
    alignments = []
    for other in members[1:]:
        matcher = difflib.SequenceMatcher(None, ref, other, autojunk=False)
        blocks = matcher.get_matching_blocks()
        kept = [False] * len(ref)
        for a, _b, size in blocks:
            for i in range(a, a + size):
                kept[i] = True
        shared = [s and k for s, k in zip(shared, kept, strict=True)]
        alignments.append(blocks)
    # runs of ref positions that are not shared: the slots
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(ref):
        if shared[i]:
            i += 1
            continue
        j = i
        while j < len(ref) and not shared[j]:
            j += 1
        runs.append((i, j))
        i = j
    parts: list[str] = []
    pos = 0
    for n, (a, b) in enumerate(runs, start=1):
        parts.extend(ref[pos:a])
        parts.append(f"{{{n}}}")
        pos = b
    parts.extend(ref[pos:])
    slots: dict[str, list[str]] = {}
    for n, (a, b) in enumerate(runs, start=1):
        values = [_shown(ref[a:b])]
        for other, blocks in zip(members[1:], alignments, strict=True):
            values.append(_shown(_aligned(other, blocks, a, b)))
        slots[str(n)] = values
    return " ".join(parts), slots


def _shown(words: Sequence[str], limit: int = MAX_SLOT) -> str:
    text = " ".join(words)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _aligned(other: Sequence[str], blocks: list, a: int, b: int) -> Sequence[str]:
    """The words of ``other`` between the matching blocks around ref positions [a, b)."""
    start, end = 0, len(other)
    for ra, ob, size in blocks:
        if size and ra + size <= a:
            start = max(start, ob + size)
        if size and ra >= b:
            end = min(end, ob)
            break
    return other[start:end]
