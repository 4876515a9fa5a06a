"""Identifiers out of stored text (R09): what the redactor leaves, and what it keeps."""

from __future__ import annotations

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.extract import extract
from nlp.pseudonym import DEMO_KEY, Pseudonymiser
from nlp.redact import Redactor, tokens_in

REDACT = Redactor(Pseudonymiser(DEMO_KEY, "demo"))
KINDS = ("phone", "email", "handle")


def left(text: str) -> list[str]:
    return [e.text for e in extract(text) if e.kind in KINDS]


@pytest.mark.parametrize(
    "text",
    [
        "Ring +45 20 55 12 34 or WhatsApp +4520551234, mail anna@example.com.",
        "Or call 20551234. 20551234! 20 55 12 34 and 2055 1234",  # repeats, other spellings
        "call two zero five five one two three four now",  # spelled out
        "ring 004520551234 / anna (at) example (dot) com, telegram @annajobs, Snap: anna_x",
        " ".join(f"ring 2055{n:04d}." for n in range(40)),  # forty numbers
        "w h a t s a p p +45 20 55 12 34",
    ],
)
def test_no_identifier_is_left_in_clear(text: str) -> None:
    redacted, found = REDACT.text(text)
    assert left(text) and found
    assert left(redacted) == []
    assert not any(f.value in redacted for f in found)


def test_a_long_text_is_redacted_to_its_end() -> None:
    """The extractor reads its first MAX_CHARS characters; the stored text may be longer."""
    filler = "Arbejde i lager, god løn. " * 1000  # 26,000 characters
    text = f"{filler}Ring 20 55 12 34.{filler}mail ann@example.com"
    redacted, found = REDACT.text(text)
    assert "20 55 12 34" not in redacted and "ann@example.com" not in redacted
    assert len(found) == 2 and redacted.endswith("mail [email bepjadah]")


def test_the_same_identifier_gets_the_same_token_and_words_stay() -> None:
    a, _ = REDACT.text("Ring 20 55 12 34 today, pay the fee first.")
    b, found = REDACT.text("Call +4520551234 now.")
    assert a == "Ring [phone acpfenae] today, pay the fee first."
    assert b == "Call [phone acpfenae] now."
    assert [(f.kind, f.value, f.token) for f in found] == [
        ("phone", "+4520551234", "[phone acpfenae]")
    ]
    assert found[0].pseudonym.startswith("demo:phone:")
    other_key = Redactor(Pseudonymiser(b"another key of thirty-two bytes or more!!", "k2"))
    assert other_key.text("Call +4520551234 now.")[0] != b  # the token is keyed


def test_a_number_written_to_hide_says_so_in_its_token() -> None:
    """The scorer's indicator of obfuscated numbers reads it there; linking takes it as the
    same number however it was written."""
    hidden, _ = REDACT.text("Call: two 2 - 6 seven - 4 four - 9 nine or see pic.")
    plain, _ = REDACT.text("Call +45 22 67 44 99.")
    assert hidden.startswith("Call: [hidden phone ") and plain.startswith("Call [phone ")
    assert tokens_in(hidden) == tokens_in(plain)
    assert REDACT.text("sms 2 2 3 3 4 4 5 5")[0].startswith("sms [hidden phone ")


def test_fields_are_redacted_through_lists_and_mappings() -> None:
    done = REDACT.listing(
        "Hostess, call 20551234",
        "Text.",
        {"contact": {"phone": "+45 20 55 12 34", "mail": ["ann@example.com"]}, "n": 3},
    )
    assert done.title == "Hostess, call [phone acpfenae]"
    assert done.fields["contact"]["phone"] == "[phone acpfenae]"
    assert done.fields["contact"]["mail"][0].startswith("[email ")
    assert done.fields["n"] == 3
    assert {f.kind for f in done.found} == {"phone", "email"}


def test_spans_follow_the_text() -> None:
    text = "Ring +45 20 55 12 34 now, pay the fee. Or 20 55 12 34. Pay the recruitment fee."
    done = REDACT.listing("", text, {})
    for words, now in [
        ("pay the fee", "pay the fee"),
        ("Pay the recruitment fee", "Pay the recruitment fee"),
        ("+45 20 55 12 34", "[phone acpfenae]"),  # a span on the number: on its token
        ("Or 20", "Or [phone acpfenae]"),  # a span ending inside it: to the token's end
    ]:
        start = text.index(words)
        span = done.text_shift(start), done.text_shift(start + len(words), end=True)
        assert done.text[span[0] : span[1]] == now


def test_linking_reads_tokens_as_identifiers() -> None:
    redacted, _ = REDACT.text("WhatsApp +4520551234 or 20551234, ann@example.com")
    # the handle holds the number: both tokens stand where it was
    assert [kind for kind, _t in tokens_in(redacted)] == ["handle", "phone", "phone", "email"]
    assert tokens_in("a [phone 12345678] or [Phone acpfenae]") == []  # not tokens


_WORDS = st.sampled_from(["ring", "job", "Aarhus", "kr", "1500", "12.05.2024", "fee", "og", "-"])
_IDS = st.sampled_from(
    ["+45 20 55 12 34", "20551234", "anna@example.com", "telegram @anna_x", "+40 721 234 567"]
)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(_WORDS, _IDS), max_size=30))
def test_mixed_text_keeps_no_identifier(parts: list[str]) -> None:
    text = " ".join(parts)
    redacted, _found = REDACT.text(text)
    assert left(redacted) == []
    assert tokens_in(redacted) or not left(text)
