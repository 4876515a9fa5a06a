"""When lowercasing a text is the same as matching it case-insensitively.

``re.IGNORECASE`` compares characters by their simple lowercase, plus a few groups it treats as
equal although their lowercase forms differ ("i ı", "s ſ", "σ ς", "в ᲀ"). Lowercasing a text
once and matching case-sensitively is faster (and lets plain ``str`` methods do the work), and
gives the same result for a pattern written in lowercase, unless the pattern or the text holds
a member of such a group. :func:`lowered` returns the lowercased text only when it is safe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PATTERN_FOLD_RE", "ignorecase_lowers", "lowered", "pattern_allows_lowered"]


def _fold_groups() -> list[frozenset[str]] | None:
    """The groups of characters ``re.IGNORECASE`` treats as equal although their lowercase
    forms differ; None when this Python does not say (the shortcut is then never taken)."""
    try:
        from re._casefix import _EXTRA_CASES  # CPython 3.11+: the table re itself uses
    except ImportError:  # pragma: no cover - another Python
        return None
    return [frozenset(map(chr, {k, *vs})) for k, vs in _EXTRA_CASES.items()]


def _charset_re(chars: Iterable[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(map(re.escape, sorted(chars))) + "]")


_FOLD_GROUPS = _fold_groups()
# In a pattern: any non-ASCII member of such a group rules lowercased matching out.
PATTERN_FOLD_RE = (
    None
    if _FOLD_GROUPS is None
    else _charset_re({ch for group in _FOLD_GROUPS for ch in group if not ch.isascii()})
)
# In a text (for a pattern without those): the non-ASCII partners of ASCII letters ("ı", "ſ").
_TEXT_FOLD_CHARS = (
    None
    if _FOLD_GROUPS is None
    else tuple(
        sorted(
            {
                ch
                for group in _FOLD_GROUPS
                if any(c.isascii() for c in group)
                for ch in group
                if not ch.isascii()
            }
        )
    )
)


def pattern_allows_lowered(pattern: str) -> bool:
    """True when ``pattern`` (meant for ``re.IGNORECASE``) may run case-sensitively on
    :func:`lowered` text: it has no upper-case letters or escapes and no group member."""
    return (
        PATTERN_FOLD_RE is not None
        and pattern == pattern.lower()
        and PATTERN_FOLD_RE.search(pattern) is None
    )


def lowered(text: str) -> str | None:
    """``text.lower()`` when matching it case-sensitively equals case-insensitive matching
    of ``text`` with a pattern that :func:`pattern_allows_lowered`; else None."""
    low = text.lower()
    if len(low) != len(text):
        return None
    # Two str.find calls: a sixth of the time of a regex search for either character.
    if not low.isascii() and (
        _TEXT_FOLD_CHARS is None or any(ch in low for ch in _TEXT_FOLD_CHARS)
    ):
        return None
    return low


def ignorecase_lowers(chars: Iterable[str]) -> frozenset[str] | None:
    """Characters such that ``not result.isdisjoint(text.lower())`` holds for every ``text``
    holding a character that ``re.IGNORECASE`` matches to one of ``chars``: a pre-check of a
    few characters in C instead of a regex call. None when this Python does not say."""
    if _FOLD_GROUPS is None:  # pragma: no cover - another Python
        return None
    lowers = {ch.lower() for ch in chars}
    for group in _FOLD_GROUPS:  # "ı" and "ſ" match "i" and "s"; they are their own lowercase
        if any(member.lower() in lowers for member in group):
            lowers |= {member.lower() for member in group}
    # "İ" matches "i" too; it needs nothing here: str.lower gives "i" and a dot.
    return frozenset(lowers)
