"""Tests for nlp.extract: each kind, obfuscations, negatives and hostile input."""

from __future__ import annotations

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.extract import MAX_CHARS, Extracted, extract


def values(text: str, kind: str) -> list[str]:
    return [e.value for e in extract(text) if e.kind == kind]


def assert_spans_exact(text: str) -> list[Extracted]:
    found = extract(text)
    for item in found:
        assert text[item.start : item.end] == item.text
    return found


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("Ring 20 55 12 34 i dag", "20 55 12 34"),
        ("tlf 20.55.12.34", "20.55.12.34"),
        ("Ring +45 two 0 5 5 1 2 3 4 nu", "+45 two 0 5 5 1 2 3 4"),
        ("ring 2 0 5 5 - 1 2 3 4 efter 18", "2 0 5 5 - 1 2 3 4"),
        ("ring på to nul fem fem en to tre fire", "to nul fem fem en to tre fire"),
    ],
)
def test_danish_and_obfuscated_phones(text, raw):
    phones = [e for e in assert_spans_exact(text) if e.kind == "phone"]
    assert [p.value for p in phones] == ["+4520551234"]
    assert phones[0].text.endswith(raw) and raw.endswith(phones[0].text[-4:])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("sună la +40 721 234 567", "+40721234567"),
        ("dzwoń +48 512 345 678", "+48512345678"),
        ("обадете се на +359 88 123 4567", "+359881234567"),
        ("телефонуйте +380 67 123 4567", "+380671234567"),
        ("call +44 7911 123456", "+447911123456"),
        ("llama al +34 612 345 678", "+34612345678"),
    ],
)
def test_international_phones(text, value):
    assert values(text, "phone") == [value]


@pytest.mark.parametrize(
    "text",
    [
        "Året er 2024 og prisen er 500 kr",
        "Adresse: Nørregade 12, 2100 København Ø",
        "Åbent 24/7 hele året",
        "Løn 1.500,00 kr pr. dag",
        "Dato 20.05.2024 kl. 10.30",
        "I want to go to one place at one time",
    ],
)
def test_not_phones(text):
    assert values(text, "phone") == []


def test_phone_deduplicated_keeping_first_span():
    text = "Ring 20551234 eller 20 55 12 34"
    phones = [e for e in extract(text) if e.kind == "phone"]
    assert len(phones) == 1
    assert phones[0].text == "20551234"


def test_emails_plain_and_obfuscated():
    text = "Mail Anna.K@Gmail.com, anna (at) gmail (dot) com or bob at yahoo dot com"
    found = assert_spans_exact(text)
    assert [e.value for e in found if e.kind == "email"] == [
        "anna.k@gmail.com",
        "anna@gmail.com",
        "bob@yahoo.com",
    ]
    assert values("look at www.site.com for the details", "email") == []
    assert values("meet me at the station", "email") == []


def test_handles():
    text = (
        "WhatsApp: +45 20 55 12 34, Telegram @Anna_DK, t.me/maria99, snap: lily.x, "
        "Viber 20551234, insta: @dk.girl, w h a t s a p p +45 20551234"
    )
    found = assert_spans_exact(text)
    handles = [e.value for e in found if e.kind == "handle"]
    assert handles == [
        "whatsapp:+4520551234",
        "telegram:@anna_dk",
        "telegram:@maria99",
        "snapchat:@lily.x",
        "viber:+4520551234",
        "instagram:@dk.girl",
        "whatsapp:+4520551234",
    ]


def test_homoglyph_app_name_is_recognised():
    assert values("skriv på whаtsapp: +45 20 55 12 34", "handle") == ["whatsapp:+4520551234"]


@pytest.mark.parametrize(
    "text",
    ["a strong signal for the market", "snap decisions are bad", "I like the instagram look"],
)
def test_not_handles(text):
    assert values(text, "handle") == []


def test_urls():
    text = "See https://Example.COM/Jobs?id=1. or jobs.dk/apply, www.Site.org. work.It is fine"
    found = assert_spans_exact(text)
    assert [e.value for e in found if e.kind == "url"] == [
        "https://example.com/Jobs?id=1",
        "http://jobs.dk/apply",
        "http://www.site.org",
    ]
    assert values("f.eks. kl.10 og 20.55.12.34", "url") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Løn 1.500,00 kr pr. dag", "1500 DKK"),
        ("120-150 kr/t", "120-150 DKK"),
        ("DKK 25.000 om måneden", "25000 DKK"),
        ("€50 per hour", "50 EUR"),
        ("200 EUR daily", "200 EUR"),
        ("1000 lei pe lună", "1000 RON"),
        ("3 500 zł miesięcznie", "3500 PLN"),
        ("300 лв на ден", "300 BGN"),
        ("$20 an hour", "20 USD"),
        ("£15.50 an hour", "15.50 GBP"),
        ("from 1,500.00 USD", "1500 USD"),
    ],
)
def test_money(text, value):
    assert values(text, "money") == [value]


def test_not_money():
    assert values("Vi har 500 kunder og 3 krav", "money") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("I am 19 and new in town", "19"),
        ("22 years old girl", "22"),
        ("age 20", "20"),
        ("19 yo", "19"),
        ("Jeg er 23 år gammel", "23"),
        ("am 20 de ani", "20"),
        ("mam 19 lat", "19"),
        ("lat 21", "21"),
        ("момиче на 19 години", "19"),
        ("tengo 18 años", "18"),
    ],
)
def test_ages(text, value):
    assert values(text, "age") == [value]


@pytest.mark.parametrize(
    "text",
    ["12 years old", "10 år erfaring", "i 15 år har vi", "5 years old car", "age 120", "I am 5"],
)
def test_not_ages(text):
    assert values(text, "age") == []


def test_results_sorted_and_kinds_known():
    found = extract("Age 19, ring 20551234, løn 500 kr, mail a@b.dk")
    assert [e.start for e in found] == sorted(e.start for e in found)
    assert {e.kind for e in found} == {"age", "phone", "money", "email"}


def test_hostile_input_does_not_raise():
    for text in ("\x00" * 1000, "\ud800\udfff", "9" * 50_000, "@" * 30_000, "🔥" * 10_000):
        for item in extract(text):
            assert 0 <= item.start <= item.end <= MAX_CHARS


def test_input_capped():
    text = "x " * MAX_CHARS + "ring 20551234"
    assert values(text, "phone") == []


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises_and_spans_in_bounds(text):
    for item in extract(text):
        assert 0 <= item.start <= item.end <= len(text)
        assert text[item.start : item.end] == item.text


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "ring",
                "+45",
                "2",
                "0",
                "5",
                "two",
                "five",
                "-",
                "kr",
                "500",
                "@anna",
                "telegram",
                "år",
                "22",
                "(at)",
                "gmail",
                "(dot)",
                "com",
                "🔥",
                "w h a t s",
                " ",
            ]
        ),
        max_size=30,
    )
)
def test_structured_noise_spans_in_bounds(parts):
    text = " ".join(parts)
    for item in extract(text):
        assert text[item.start : item.end] == item.text
