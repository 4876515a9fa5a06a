"""The catalogue's cross-listing indicators (``link.*``), computed on a cluster.

Each signal names the listings that make it fire and says why, so an analyst can check it.
The thresholds are in :class:`SignalConfig`; a signal needs what it reads: relocation needs
``posted_at`` and ``city`` fields, the multi-country signal ``country`` fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

__all__ = ["Signal", "SignalConfig", "cities_per_week", "cluster_signals", "is_bridge"]


@dataclass(frozen=True)
class SignalConfig:
    shared_min_listings: int = 3  # an identifier in this many listings...
    shared_min_varying: int = 2  # ...or in two with this many different cities or ages
    template_min_listings: int = 3
    relocation_cities: int = 3  # distinct cities...
    relocation_days: int = 7  # ...within this many days
    agency_min_listings: int = 5
    agency_countries: int = 2
    recruiter_min_jobs: int = 5
    recruiter_sources: int = 2


@dataclass(frozen=True)
class Signal:
    id: str
    listings: tuple[str, ...]
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "listings": list(self.listings), "why": self.why}


@dataclass(frozen=True)
class Member:
    id: str
    fields: Mapping[str, Any]
    ages: tuple[str, ...] = ()


def cluster_signals(
    members: Sequence[Member],
    shared: Mapping[tuple[str, str], Sequence[str]],
    template_members: Sequence[str],
    config: SignalConfig | None = None,
) -> list[Signal]:
    """The ``link.*`` signals of one cluster: ``members`` with their fields, ``shared`` the
    identifiers (kind, pseudonym or value) that link some of them (to their listing ids),
    ``template_members`` the members in its template group."""
    config = config or SignalConfig()
    by_id = {m.id: m for m in members}
    out: list[Signal] = []
    for (kind, _value), owners in sorted(shared.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
        # one controller behind several persons; an employer's address in its job ads is not
        ids = [i for i in owners if _about_a_person(by_id[i])]
        varying = _varying(by_id[i] for i in ids)
        if len(ids) >= config.shared_min_listings or (
            len(ids) >= 2 and varying >= config.shared_min_varying
        ):
            signal = "link.shared_phone" if kind == "phone" else "link.shared_handle"
            if any(s.id == signal for s in out):
                continue  # one of each, for the largest group
            out.append(
                Signal(
                    signal,
                    tuple(ids),
                    f"one {kind} in {len(ids)} listings"
                    + (f" with {varying} different cities or ages" if varying > 1 else ""),
                )
            )
    # Persons, not jobs or goods: one writer behind ads for several persons (names or ages
    # vary). An employer posting one job in several cities is ordinary (recruiter_many_jobs).
    persons = [i for i in template_members if _about_a_person(by_id[i])]
    if len(persons) >= config.template_min_listings or (
        len(persons) >= 2 and _varying(by_id[i] for i in persons) > 1
    ):
        out.append(
            Signal(
                "link.template_duplicate",
                tuple(persons),
                f"{len(persons)} listings for persons from one template",
            )
        )
    if is_bridge({str(m.fields.get("kind")) for m in members}):
        bridge = tuple(
            m.id for m in members if m.fields.get("kind") in ("job", "escort", "massage")
        )
        out.append(
            Signal("link.job_to_escort_bridge", bridge, "job ads and escort ads in one cluster")
        )
    relocation = _relocation([m for m in members if _about_a_person(m)], config)
    if relocation:
        out.append(relocation)
    countries = {str(m.fields["country"]) for m in members if m.fields.get("country")}
    if len(members) >= config.agency_min_listings and len(countries) >= config.agency_countries:
        out.append(
            Signal(
                "link.multi_country_agency",
                tuple(m.id for m in members),
                f"{len(members)} listings in {len(countries)} countries",
            )
        )
    jobs = [m for m in members if m.fields.get("kind") == "job"]
    places = {str(m.fields.get("source") or "") for m in jobs} | {
        str(m.fields["country"]) for m in jobs if m.fields.get("country")
    }
    if len(jobs) >= config.recruiter_min_jobs and len(places - {""}) >= config.recruiter_sources:
        out.append(
            Signal(
                "link.recruiter_many_jobs",
                tuple(m.id for m in jobs),
                f"{len(jobs)} job ads on {len(places - {''})} sites or in as many countries",
            )
        )
    return out


def is_bridge(kinds: set[str]) -> bool:
    """Job ads and escort or massage ads among the listing kinds of one cluster."""
    return "job" in kinds and bool(kinds & {"escort", "massage"})


def _about_a_person(member: Member) -> bool:
    """Whether a listing may advertise a person: not a job ad nor a classified ad (rooms,
    goods); a listing of unknown kind may."""
    return member.fields.get("kind") not in ("job", "classified")


def _varying(members: Any) -> int:
    """How many different cities or stated ages the members have (the larger)."""
    members = list(members)
    cities = {str(m.fields["city"]).casefold() for m in members if m.fields.get("city")}
    ages = {a for m in members for a in m.ages}
    return max(len(cities), len(ages))


def _relocation(members: Sequence[Member], config: SignalConfig) -> Signal | None:
    """A persona in several cities within a few days (job and classified ads left out: an
    employer posts one job in many cities): a window over the members sorted by date."""
    dated = sorted(
        (
            (d, m)
            for m in members
            if (d := _day(m.fields.get("posted_at"))) and m.fields.get("city")
        ),
        key=lambda dm: dm[0],
    )
    start = 0
    for end in range(len(dated)):
        while (dated[end][0] - dated[start][0]).days > config.relocation_days:
            start += 1
        window = dated[start : end + 1]
        cities = {str(m.fields["city"]).casefold() for _d, m in window}
        if len(cities) >= config.relocation_cities:
            return Signal(
                "link.fast_relocation",
                tuple(m.id for _d, m in window),
                f"{len(cities)} cities within {config.relocation_days} days",
            )
    return None


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value[:10]).date()
    except ValueError:
        return None


def cities_per_week(fields: Sequence[Mapping[str, Any]], days: int = 7) -> int:
    """The most distinct cities among listings posted within ``days`` of each other."""
    dated = sorted(
        (d, str(f["city"]).casefold())
        for f in fields
        if (d := _day(f.get("posted_at"))) is not None and f.get("city")
    )
    best, start = 0, 0
    for end in range(len(dated)):
        while (dated[end][0] - dated[start][0]).days >= days:
            start += 1
        best = max(best, len({city for _d, city in dated[start : end + 1]}))
    return best
