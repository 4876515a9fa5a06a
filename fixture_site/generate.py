"""Generate the fixture listings and their ground truth, deterministically from a seed."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .site_data import OBFUSCATED_PHONE_STYLES, Pay, SiteData, Template, load_site_data

_ID_PREFIX = {"jobs": "job", "ads": "ad"}
_PHONE_ATTEMPTS = 50


@dataclass(frozen=True)
class FixtureListing:
    """One generated listing and its ground truth."""

    id: str  # "job-0007", "ad-0042"
    board: str  # "jobs" | "ads"
    lang: str  # "da" | "en" | "ro" | "pl" | "bg"
    title: str
    text: str  # plain text, paragraphs separated by a blank line
    fields: dict[str, Any] = field(hash=False)
    expected: str  # "flagged" | "benign"
    forms: tuple[str, ...]
    possible_minor: bool
    signals: tuple[str, ...]
    updated: str  # ISO date
    template: str = ""  # key of the data template; listings sharing it are near-duplicates
    base_salary: dict[str, Any] | None = field(default=None, hash=False, repr=False)

    @property
    def path(self) -> str:
        """URL path of the detail page, e.g. "/jobs/job-0007"."""
        return f"/{self.board}/{self.id}"

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(p for p in self.text.split("\n\n") if p.strip())


def _check_count(name: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer or None, got {value!r}")
    return value


def generate_listings(
    n_jobs: int | None = None, n_ads: int | None = None, seed: int = 7
) -> list[FixtureListing]:
    """Return the job listings then the ads; the same arguments always give the same output.

    ``None`` means the default size: the sum of the template weights of that board (240 jobs and
    120 ads). Other sizes keep the template mix in proportion.
    """
    data = load_site_data()
    n_jobs = _check_count("n_jobs", n_jobs, sum(t.weight for t in data.jobs))
    n_ads = _check_count("n_ads", n_ads, sum(t.weight for t in data.ads))
    # Numbers already given out: only the network numbers are meant to repeat across listings.
    used_phones = {network.phone for network in data.networks.values()}
    return [
        *_generate_board(data, "jobs", data.jobs, n_jobs, seed, used_phones),
        *_generate_board(data, "ads", data.ads, n_ads, seed, used_phones),
    ]


def ground_truth(
    n_jobs: int | None = None,
    n_ads: int | None = None,
    seed: int = 7,
    *,
    listings: Iterable[FixtureListing] | None = None,
) -> dict[str, FixtureListing]:
    """Listings keyed by the URL path of their detail page ("/jobs/job-0007")."""
    if listings is None:
        listings = generate_listings(n_jobs, n_ads, seed)
    return {listing.path: listing for listing in listings}


def _quotas(templates: tuple[Template, ...], n: int) -> list[int]:
    """Split n over the templates in proportion to their weights (largest remainder)."""
    total = sum(t.weight for t in templates)
    quotas = [n * t.weight // total for t in templates]
    remainders = [n * t.weight % total for t in templates]
    by_remainder = sorted(range(len(templates)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[: n - sum(quotas)]:
        quotas[i] += 1
    return quotas


def _generate_board(
    data: SiteData,
    board: str,
    templates: tuple[Template, ...],
    n: int,
    seed: int,
    used_phones: set[str],
) -> Iterator[FixtureListing]:
    rng = random.Random(f"fixture_site:{seed}:{board}")
    order = [t for t, q in zip(templates, _quotas(templates, n), strict=True) for _ in range(q)]
    rng.shuffle(order)
    for number, template in enumerate(order, start=1):
        yield _make_listing(data, template, f"{_ID_PREFIX[board]}-{number:04d}", rng, used_phones)


def _slug(name: str) -> str:
    name = re.sub(r"\s+(ApS|A/S)$", "", name)
    name = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    name = name.replace("&", "og")
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-")


def _random_phone(data: SiteData, lang: str, rng: random.Random, used: set[str]) -> str:
    """A fresh fixture number, unique unless the pattern's number space is nearly used up."""
    country, pattern = data.phone_formats[lang]
    for _ in range(_PHONE_ATTEMPTS):
        digits = "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in pattern)
        phone = f"{country} {digits}"
        if phone not in used:
            break
    used.add(phone)
    return phone


def display_phone(phone: str, style: str, digit_words: tuple[str, ...], rng: random.Random) -> str:
    """Show an international number ("+45 25 00 31 90") in one of the phone styles."""
    if style == "plain":
        return phone
    national = re.sub(r"\D", "", phone.split(" ", 1)[1])
    if style == "compact":
        return national
    if style == "spaced":
        return " ".join(national)
    # spoken: a mix of words and digits, always starting with a word ("two 5 zero 0 ...")
    return " ".join(
        digit_words[int(d)] if i == 0 or rng.random() < 0.5 else d for i, d in enumerate(national)
    )


def _pay(pay: Pay | None, rng: random.Random) -> tuple[str | None, dict[str, Any] | None]:
    if pay is None:
        return None, None
    low = rng.randrange(pay.low[0], pay.low[1] + 1, pay.step)
    spread = rng.randrange(pay.spread[0], pay.spread[1] + 1, pay.step) if pay.spread[1] else 0
    high = low + spread
    salary = {"currency": pay.currency, "unit": pay.unit, "min": low, "max": high}
    return pay.text.format(low=low, high=high), salary


def _make_listing(
    data: SiteData, t: Template, listing_id: str, rng: random.Random, used_phones: set[str]
) -> FixtureListing:
    city = rng.choice(data.cities)
    other_city = rng.choice([c for c in data.cities if c != city])
    company = rng.choice(data.companies[t.sector]) if t.sector else None
    posted = data.reference_date - timedelta(days=rng.randint(0, 28))
    valid_through = posted + timedelta(days=rng.randint(30, 60))
    start_date = posted + timedelta(days=rng.randint(7, 30))
    updated = min(posted + timedelta(days=rng.choice((0, 0, 0, 1, 2))), data.reference_date)
    age = rng.randint(*t.age) if t.age else None
    name = rng.choice(data.names[t.name_gender][t.lang])
    contact_name = rng.choice(data.names[rng.choice(("female", "male"))][t.lang])
    network = data.networks[t.network] if t.network else None
    if t.phone_source == "network" and network is not None:
        phone = network.phone
    else:
        phone = _random_phone(data, t.lang, rng, used_phones)
    style = rng.choice(t.phone_styles)
    shown_phone = display_phone(phone, style, data.digit_words, rng)
    pay_text, base_salary = _pay(t.pay, rng)
    date_format = data.date_formats[t.lang]

    slots: dict[str, Any] = {
        "city": city.name,
        "other_city": other_city.name,
        "name": name,
        "contact_name": contact_name,
        "age": age if age is not None else "",
        "phone": shown_phone,
        "handle": network.handle if network else "",
        "pay": pay_text or "",
        "start_date": start_date.strftime(date_format),
        "valid_through": valid_through.strftime(date_format),
        "company": company.name if company else "",
        "address": f"{company.street}, {city.postcode} {city.name}" if company else "",
        "cvr": company.cvr if company else "",
        "email": f"{'job' if t.board == 'jobs' else 'info'}@{_slug(company.name)}.example"
        if company
        else "",
    }
    slots.update({slot: rng.choice(options) for slot, options in t.choices})
    title = rng.choice(t.titles).format_map(slots)
    text = "\n\n".join(p.strip() for p in t.body.format_map(slots).split("\n\n") if p.strip())

    signals = t.signals
    if style in OBFUSCATED_PHONE_STYLES and "obfuscated_phone" not in signals:
        signals = (*signals, "obfuscated_phone")

    fields: dict[str, Any]
    if t.board == "jobs":
        fields = {}
        if company is not None and t.employer == "named":
            fields["company"] = company.name
        fields["location"] = city.name
        if pay_text:
            fields["salary"] = pay_text
        fields["employment_type"] = t.employment_type
        fields["date_posted"] = posted.isoformat()
        fields["valid_through"] = valid_through.isoformat()
    else:
        fields = {"city": city.name}
        if age is not None:
            fields["age"] = age
        fields["phone"] = shown_phone
        fields["category"] = t.category
        fields["date_posted"] = posted.isoformat()

    return FixtureListing(
        id=listing_id,
        board=t.board,
        lang=t.lang,
        title=title,
        text=text,
        fields=fields,
        expected=t.expected,
        forms=t.forms,
        possible_minor=t.possible_minor,
        signals=signals,
        updated=updated.isoformat(),
        template=t.key,
        base_salary=base_salary,
    )
