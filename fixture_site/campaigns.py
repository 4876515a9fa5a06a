"""Synthetic campaigns with ground truth, for the linking tests and benchmark.

A campaign is one operation: a template text with slots (name, age, city, price, phone)
posted several times, each time with the slots filled differently and a word or two edited.
Some campaigns use one phone number in every listing; some change the number each time (the
template is then the only link); some post a job ad and an escort ad with one number (the
job-to-escort bridge). Noise listings are unrelated texts, and a share of them carries a
platform's switchboard number, which must not link them.

Texts are built from a synthetic vocabulary, so no two noise listings share a template by
chance and the ground truth is exact.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["CampaignListing", "generate_campaigns", "pairwise_scores"]

# Syllables of made-up words (also the scoring benchmark's names, streets and handles).
SYLLABLES = (
    *("ka", "ro", "mi", "la", "sen", "dor", "vik", "an", "el", "tru"),
    *("bo", "nia", "ste", "jo", "har", "lin", "mar", "us", "pe", "ton"),
)
_SYLLABLES = (*SYLLABLES, "ve", "ri", "sa", "lo", "ne")
_NAMES = [
    "Anna",
    "Maria",
    "Lily",
    "Grace",
    "Olga",
    "Irina",
    "Ana",
    "Elena",
    "Kasia",
    "Sofia",
    "Nadia",
    "Eva",
    "Lena",
    "Mia",
    "Alina",
]
_CITIES = [
    "Kolding",
    "Aarhus",
    "Odense",
    "Vejle",
    "Esbjerg",
    "Horsens",
    "Randers",
    "Silkeborg",
    "Herning",
    "Aalborg",
]
SWITCHBOARD = "+45 70 10 20 30"


@dataclass(frozen=True)
class CampaignListing:
    id: str
    title: str
    text: str
    campaign: str | None  # the operation it belongs to; None for noise
    fields: dict[str, str] = field(default_factory=dict)


def generate_campaigns(
    n: int, *, seed: int = 7, campaign_share: float = 0.3, hub_listings: int = 250
) -> list[CampaignListing]:
    """``n`` listings, ``campaign_share`` of them in campaigns of 2 to 20 listings, and
    ``hub_listings`` unrelated ones (as many as there are) with one switchboard number
    (more than the linker's degree cap, so that it links none of them)."""
    rng = random.Random(seed)
    phone = _Phones(rng)
    vocabulary = _vocabulary(rng, 20_000)
    out: list[CampaignListing] = []
    k = 0
    target = int(n * campaign_share)
    while len(out) < target:
        k += 1
        out.extend(_campaign(rng, vocabulary, phone, f"op{k}", len(out)))
    hubs = min(hub_listings, n - len(out))
    while len(out) < n:
        i = len(out)
        words = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(40, 90)))
        contact = SWITCHBOARD if hubs > 0 else phone()
        hubs -= 1
        text = f"{_sentence(words)}. Ring {contact}."
        out.append(CampaignListing(f"l{i}", _title(rng, vocabulary), text, None, {"kind": "job"}))
    rng.shuffle(out)
    return out[:n]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class _Phones:
    """Danish mobile numbers, each given out once (random numbers would collide: a million
    listings drawn from 12 million numbers share about 40,000 of them)."""

    def __init__(self, rng: random.Random) -> None:
        self.next = rng.randrange(12_000_000)

    def __call__(self) -> str:
        self.next += 1
        # 7,919 is prime to 12,000,000: the numbers go round all of 20 00 00 00-31 99 99 99
        digits = str(20_000_000 + (self.next * 7_919) % 12_000_000)
        return f"+45 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"


def _title(rng: random.Random, vocabulary: list[str]) -> str:
    return _sentence(" ".join(rng.choice(vocabulary) for _ in range(4)))


def _template(rng: random.Random, vocabulary: list[str]) -> list[str]:
    """Sentences of random words with slots among them."""
    parts: list[str] = []
    for slot in ("{name}", "{age}", "{city}", "{price}"):
        parts.extend(rng.choice(vocabulary) for _ in range(rng.randint(6, 12)))
        parts.append(slot)
    parts.extend(rng.choice(vocabulary) for _ in range(rng.randint(6, 12)))
    parts.append("ring {phone}")
    return parts


def _campaign(
    rng: random.Random, vocabulary: list[str], new_phone: _Phones, name: str, start: int
) -> Iterator[CampaignListing]:
    size = rng.randint(2, 20)
    shared_phone = rng.random() < 0.6
    bridge = shared_phone and rng.random() < 0.25
    templates = [("job", _template(rng, vocabulary))]
    if bridge:
        templates.append(("escort", _template(rng, vocabulary)))
    phone = new_phone()
    title_words = _template(rng, vocabulary)[:4]
    for j in range(size):
        kind, template = templates[j % len(templates)] if j < 2 else rng.choice(templates)
        words = list(template)
        for _ in range(rng.randint(0, 2)):  # small edits
            at = rng.randrange(len(words))
            if not words[at].startswith(("{", "ring")):
                words[at] = rng.choice(vocabulary)
        city = rng.choice(_CITIES)
        text = " ".join(words).format(
            name=rng.choice(_NAMES),
            age=rng.randint(18, 29),
            city=city,
            price=f"{rng.randrange(500, 3000, 100)} kr",
            phone=phone if shared_phone else new_phone(),
        )
        title = _sentence(" ".join(title_words)) + f" {city}"
        yield CampaignListing(
            f"l{start + j}", title, _sentence(text) + ".", name, {"kind": kind, "city": city}
        )


def pairwise_scores(truth: dict[str, str | None], clusters: list[list[str]]) -> dict[str, float]:
    """Pairwise precision and recall of ``clusters`` against the campaigns of ``truth``:
    a pair of listings counts when both are in one cluster (predicted) or one campaign
    (true)."""
    predicted = sum(len(c) * (len(c) - 1) // 2 for c in clusters)
    sizes: dict[str, int] = {}
    for campaign in truth.values():
        if campaign is not None:
            sizes[campaign] = sizes.get(campaign, 0) + 1
    actual = sum(s * (s - 1) // 2 for s in sizes.values())
    correct = 0
    for members in clusters:
        counts: dict[str, int] = {}
        for m in members:
            campaign = truth.get(m)
            if campaign is not None:
                counts[campaign] = counts.get(campaign, 0) + 1
        correct += sum(c * (c - 1) // 2 for c in counts.values())
    return {
        "precision": correct / predicted if predicted else 1.0,
        "recall": correct / actual if actual else 1.0,
        "predicted_pairs": predicted,
        "true_pairs": actual,
    }
