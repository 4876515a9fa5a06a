"""The generated fixture listings: determinism, mix, ground truth and the planted links."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from fixture_site import FixtureListing, generate_listings, ground_truth

FORMS = {"sexual_exploitation", "forced_labour", "forced_criminality", "slavery_like_practices"}
LOOKALIKE_PHRASES = [
    "no experience needed",
    "ingen erfaring nødvendig",
    "24/7",
    "new in town",
    "real photos",
    "visa sponsorship",
    "start immediately",
    "housing available",
]
SHARED_PHONE = "+45 25 00 31 90"


@pytest.fixture(scope="module")
def listings() -> list[FixtureListing]:
    return generate_listings()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_same_seed_gives_identical_listings(listings: list[FixtureListing]) -> None:
    assert generate_listings() == listings
    assert generate_listings(seed=7) == listings
    assert [x.fields for x in generate_listings()] == [x.fields for x in listings]


def test_another_seed_gives_other_listings(listings: list[FixtureListing]) -> None:
    other = generate_listings(seed=8)
    assert len(other) == len(listings)
    assert [x.text for x in other] != [x.text for x in listings]


def test_default_counts_and_ids(listings: list[FixtureListing]) -> None:
    boards = Counter(x.board for x in listings)
    assert boards == {"jobs": 240, "ads": 120}
    ids = [x.id for x in listings]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"job-\d{4}", x.id) for x in listings if x.board == "jobs")
    assert all(re.fullmatch(r"ad-\d{4}", x.id) for x in listings if x.board == "ads")
    assert listings[6].id == "job-0007"


def test_requested_counts() -> None:
    small = generate_listings(n_jobs=30, n_ads=0)
    assert Counter(x.board for x in small) == {"jobs": 30}
    assert generate_listings(n_jobs=0, n_ads=0) == []
    big = generate_listings(n_jobs=1000, n_ads=5)
    assert Counter(x.board for x in big) == {"jobs": 1000, "ads": 5}
    assert len({x.id for x in big}) == 1005


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_bad_counts_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="n_jobs"):
        generate_listings(n_jobs=bad)  # type: ignore[arg-type]


def test_languages(listings: list[FixtureListing]) -> None:
    langs = Counter(x.lang for x in listings)
    assert set(langs) == {"da", "en", "ro", "pl", "bg"}
    assert langs["da"] + langs["en"] > 0.8 * len(listings)
    for lang in ("ro", "pl", "bg"):
        assert langs[lang] >= 8, lang
    for board in ("jobs", "ads"):
        assert {x.lang for x in listings if x.board == board} == {"da", "en", "ro", "pl", "bg"}


def test_ratio_flagged(listings: list[FixtureListing]) -> None:
    ratio = sum(x.expected == "flagged" for x in listings) / len(listings)
    assert 0.10 <= ratio <= 0.25
    for board in ("jobs", "ads"):
        on_board = [x for x in listings if x.board == board]
        assert any(x.expected == "flagged" for x in on_board)


def test_ground_truth_is_consistent(listings: list[FixtureListing]) -> None:
    for x in listings:
        assert x.expected in {"flagged", "benign"}
        assert set(x.forms) <= FORMS
        if x.expected == "flagged":
            assert len(x.signals) >= 2, x.id
            assert x.forms, x.id
        else:
            assert len(x.signals) <= 1, x.id
            assert not x.forms and not x.possible_minor, x.id
    assert {f for x in listings for f in x.forms} == FORMS
    assert any(x.possible_minor for x in listings)


def test_fields_per_board(listings: list[FixtureListing]) -> None:
    for x in listings:
        if x.board == "jobs":
            assert {"location", "employment_type", "date_posted", "valid_through"} <= set(x.fields)
            assert set(x.fields) <= {
                "company", "location", "salary", "employment_type", "date_posted",
                "valid_through",
            }  # fmt: skip
        else:
            assert {"city", "phone", "category"} <= set(x.fields)
            assert x.fields["category"] in {"massage", "escort", "companionship", "rooms", "misc"}
            assert x.fields["phone"] in x.text
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", x.updated)
    jobs = [x for x in listings if x.board == "jobs"]
    assert any("company" not in x.fields for x in jobs if x.expected == "flagged")
    assert all("company" in x.fields for x in jobs if x.expected == "benign")
    assert any("age" not in x.fields for x in listings if x.board == "ads")


@pytest.mark.parametrize("phrase", LOOKALIKE_PHRASES)
def test_benign_lookalike_for_each_phrase(listings: list[FixtureListing], phrase: str) -> None:
    hits = [x for x in listings if phrase in f"{x.title}\n{x.text}".lower()]
    assert any(x.expected == "benign" for x in hits), phrase


def test_visa_sponsorship_lookalike_names_its_employer(listings: list[FixtureListing]) -> None:
    sponsors = [x for x in listings if "visa sponsorship" in x.text.lower()]
    assert sponsors
    for x in sponsors:
        assert x.expected == "benign"
        assert x.fields["company"] in x.text
        assert re.search(r"CVR \d{8}", x.text)


_DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _phone_numbers(text: str) -> set[str]:
    """Digits of the phone-like runs in a text (spelled-out digits too; CVR numbers not)."""
    spoken = re.sub(
        r"\b(" + "|".join(_DIGIT_WORDS) + r")\b", lambda m: str(_DIGIT_WORDS.index(m[1])), text
    )
    return {_digits(run) for run in re.findall(r"(?<!CVR )\+?\d[\d .]{6,}\d", spoken)}


def test_shared_phone_links_both_boards(listings: list[FixtureListing]) -> None:
    national = _digits(SHARED_PHONE)[2:]
    linked = [
        x for x in listings if any(number.endswith(national) for number in _phone_numbers(x.text))
    ]
    by_board = Counter(x.board for x in linked)
    assert by_board["jobs"] >= 4 and by_board["ads"] >= 3
    assert all(x.expected == "flagged" and "shared_phone" in x.signals for x in linked)
    assert len({x.fields.get("city") or x.fields.get("location") for x in linked}) > 1
    assert len({x.title for x in linked}) > 1


def test_obfuscated_contacts_are_present(listings: list[FixtureListing]) -> None:
    texts = [x.text for x in listings]
    assert any(re.search(r"\b\d( \d){7}\b", t) for t in texts), "spaced digits"
    assert any(
        re.search(r"\b(zero|one|two|three|four|five|six|seven|eight|nine) \w", t) for t in texts
    )
    assert any("w h a t s a p p" in t for t in texts)
    assert any("telegram: @" in t for t in texts)
    for x in listings:
        if "obfuscated_phone" in x.signals:
            assert x.expected == "flagged"


def test_random_phones_are_not_shared(listings: list[FixtureListing]) -> None:
    phones = Counter(
        number
        for x in listings
        if x.expected == "benign"
        for number in set(re.findall(r"\+\d[\d ]{7,}\d", x.text))
    )
    assert phones and phones.most_common(1)[0][1] == 1


def test_no_markup_in_listing_text(listings: list[FixtureListing]) -> None:
    for x in listings:
        for text in (x.title, x.text, *map(str, x.fields.values())):
            assert "<script" not in text.lower()
            assert "{" not in text and "}" not in text, f"unfilled slot in {x.id}: {text!r}"


def test_ground_truth_keyed_by_path(listings: list[FixtureListing]) -> None:
    truth = ground_truth()
    assert len(truth) == len(listings)
    assert truth["/jobs/job-0007"].id == "job-0007"
    assert truth["/ads/ad-0042"].board == "ads"
    assert ground_truth(listings=listings[:3]) == {x.path: x for x in listings[:3]}
    assert set(ground_truth(n_jobs=5, n_ads=2)) == {
        *(f"/jobs/job-{i:04d}" for i in range(1, 6)),
        "/ads/ad-0001",
        "/ads/ad-0002",
    }
