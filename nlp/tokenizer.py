"""The scorer's spaCy tokenizer: the reference matcher's normalisation and tokens.

Registered as ``thbscan.tokenizer.v1`` (``[nlp.tokenizer] @tokenizers =
"thbscan.tokenizer.v1"`` in a pipeline config). A doc's text is the listing after
:func:`indicator_lists.matcher.normalise` (entities decoded, look-alike characters folded),
its tokens are exactly the matcher's (``indicator_lists.matcher.tokenize``), with the
whitespace between them as spaCy represents it. The doc keeps the matcher's view of itself
in ``doc.user_data``: the offset map to the original text (``thbscan_normalised``) and the
matcher's tokens (``thbscan_tokens``), so the indicator component does not tokenize again
and its results are the reference matcher's by construction.

spaCy's lexical attributes (``is_punct``, ``like_num``, ``lower_``, ...) are computed as
usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

from indicator_lists.matcher import Normalised, Token, normalise, tokenize

__all__ = ["NORMALISED_KEY", "TOKENS_KEY", "MatcherTokenizer", "normalised_of", "tokens_of"]

NORMALISED_KEY = "thbscan_normalised"
TOKENS_KEY = "thbscan_tokens"


class MatcherTokenizer:
    """Normalise a text and split it into the matcher's tokens, as a spaCy ``Doc``."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        norm = normalise(text)
        tokens = tokenize(norm.text)
        words, spaces = _words_and_spaces(norm.text, tokens)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data[NORMALISED_KEY] = norm
        doc.user_data[TOKENS_KEY] = tokens
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterable[Doc]:
        for text in texts:
            yield self(text)

    # Nothing to save: the tokenizer has no settings.
    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> MatcherTokenizer:
        return self

    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def from_disk(self, path: str | Path, **kwargs: Any) -> MatcherTokenizer:
        return self


def _words_and_spaces(text: str, tokens: list[Token]) -> tuple[list[str], list[bool]]:
    """spaCy's words and spaces for ``text`` split at ``tokens``: a single space after a
    token is its trailing space; other whitespace becomes a token of its own."""
    words: list[str] = []
    spaces: list[bool] = []
    pos = 0
    for start, end, word in [
        *((t.start, t.end, t.text) for t in tokens),
        (len(text), len(text), None),
    ]:
        gap = text[pos:start]
        if gap and words and gap[0] == " ":
            spaces[-1] = True
            gap = gap[1:]
        if gap:
            words.append(gap)
            spaces.append(False)
        if word is not None:
            words.append(word)
            spaces.append(False)
        pos = end
    return words, spaces


def normalised_of(doc: Doc) -> Normalised:
    """The offset map of a doc made by :class:`MatcherTokenizer`."""
    norm = doc.user_data.get(NORMALISED_KEY)
    return norm if isinstance(norm, Normalised) else Normalised(doc.text)


def tokens_of(doc: Doc) -> list[Token]:
    """The matcher's tokens of a doc made by :class:`MatcherTokenizer`."""
    tokens = doc.user_data.get(TOKENS_KEY)
    return tokens if tokens is not None else tokenize(doc.text)


@registry.tokenizers("thbscan.tokenizer.v1")
def create_tokenizer() -> Callable[[Language], MatcherTokenizer]:
    def make(nlp: Language) -> MatcherTokenizer:
        return MatcherTokenizer(nlp.vocab)

    return make
