"""Linking: template groups with their slots, identifier links, the hub cap, and quality
on generated campaigns (fixture_site.campaigns gives the ground truth)."""

from __future__ import annotations

import pytest

from fixture_site.campaigns import SWITCHBOARD, generate_campaigns, pairwise_scores
from nlp.linking import Linker, LinkInput, TemplateConfig, slots_of
from nlp.linking.templates import listing_words

WORK = (
    "Work in {city} fast – we arrange everything. Travel, housing and papers are arranged by "
    "us. You start next week in the warehouse, no experience needed. Write to {name} today "
    "and tell us your age."
)


def clusters_of(listings: list[LinkInput], **kwargs) -> list:
    linker = Linker(**kwargs)
    linker.add_many(listings)
    return linker.clusters()


def test_template_with_other_names_and_cities_is_one_group_with_its_slots() -> None:
    listings = [
        LinkInput("a", "", WORK.format(city="Kolding", name="Anna"), {"kind": "job"}),
        LinkInput("b", "", WORK.format(city="Aarhus", name="Maria"), {"kind": "job"}),
        LinkInput("c", "", WORK.format(city="Silkeborg", name="Olga"), {"kind": "job"}),
        LinkInput("d", "", "Bakery in Vejle seeks an apprentice baker for early mornings."),
    ]
    [cluster] = clusters_of(listings)
    assert cluster.members == ["a", "b", "c"]
    assert cluster.kinds == ["template"]
    assert "{1}" in cluster.template and "we arrange everything" in cluster.template
    assert ["Kolding", "Aarhus", "Silkeborg"] in cluster.slots.values()
    assert ["Anna", "Maria", "Olga"] in cluster.slots.values()


def test_different_texts_are_not_a_template() -> None:
    texts = [
        "Bakery in Vejle seeks an apprentice baker with a driving licence for early mornings.",
        "Our dental clinic in Odense needs a receptionist who speaks Danish and English well.",
        "Warehouse in Kolding hires forklift drivers for the night shift, good pay and canteen.",
    ]
    assert clusters_of([LinkInput(str(i), "", t) for i, t in enumerate(texts)]) == []


def test_a_shared_phone_links_a_job_ad_and_an_escort_ad_as_a_bridge() -> None:
    listings = [
        LinkInput("job", "Cleaners", "Hotel cleaners wanted, call 20 55 12 34.", {"kind": "job"}),
        LinkInput(
            "ad", "Lily", "Lily, 19 years old, new in town: +45 20551234", {"kind": "escort"}
        ),
        LinkInput("other", "Cook", "Cook wanted in Vejle, ring 31 22 33 44.", {"kind": "job"}),
    ]
    [cluster] = clusters_of(listings)
    assert cluster.members == ["job", "ad"]
    assert cluster.kinds == ["phone"]
    assert cluster.bridge and cluster.listing_kinds == ["escort", "job"]
    assert cluster.ages == ["19"]


def test_an_identifier_in_too_many_listings_links_none_of_them() -> None:
    goods = ["a red sofa", "two bicycles", "a piano", "garden chairs", "a fridge", "old books"]
    listings = [
        LinkInput(str(i), "", f"For sale: {good}. Call our desk {SWITCHBOARD}.")
        for i, good in enumerate(goods)
    ]
    linker = Linker(max_degree=5)
    for listing in listings[:5]:
        linker.add(listing)
    assert [c.members for c in linker.clusters()] == [[str(i) for i in range(5)]]
    linker.add(listings[5])  # the sixth makes it a hub: the earlier links go too
    assert linker.clusters() == []
    assert linker.hubs() == [("phone", 6)]


def test_masking_hides_numbers_and_names_but_keeps_words() -> None:
    words = listing_words("Sweet Anna, 21 years, in Odense for 1500 kr. call now")
    keys = [k for _w, k in words]
    assert keys == [
        "sweet",
        "<name>",
        "<num>",
        "years",
        "in",
        "<name>",
        "for",
        "<num>",
        "kr",
        "call",
        "now",
    ]


def test_slots_of_members() -> None:
    template, slots = slots_of([["hi", "Anna", "here"], ["hi", "Maria", "here"]])
    assert template == "hi {1} here"
    assert slots == {"1": ["Anna", "Maria"]}
    assert slots_of([]) == ("", {})


def test_adding_later_listings_joins_existing_groups() -> None:
    linker = Linker()
    linker.add(LinkInput("a", "", WORK.format(city="Kolding", name="Anna")))
    assert linker.clusters() == []
    linker.add(LinkInput("b", "", WORK.format(city="Aarhus", name="Maria")))
    assert [c.members for c in linker.clusters()] == [["a", "b"]]
    linker.add(LinkInput("a", "", "a second listing with a known id is ignored"))
    assert len(linker.ids) == 2


@pytest.mark.parametrize("workers", [1, 2])
def test_generated_campaigns_are_found(workers: int) -> None:
    listings = generate_campaigns(3_000, seed=11, hub_listings=60)
    linker = Linker(max_degree=50, templates=TemplateConfig())
    linker.add_many((LinkInput(x.id, x.title, x.text, x.fields) for x in listings), workers=workers)
    clusters = linker.clusters(details=False)
    scores = pairwise_scores({x.id: x.campaign for x in listings}, [c.members for c in clusters])
    assert scores["precision"] >= 0.95 and scores["recall"] >= 0.90, scores
    assert linker.hubs() == [("phone", 60)]
    bridges = {x.campaign for x in listings if x.fields.get("kind") == "escort"}
    assert bridges and all(
        c.bridge
        for c in clusters
        if {m for m in c.members} & {x.id for x in listings if x.campaign in bridges}
    )


def test_pairwise_scores() -> None:
    truth = {"a": "x", "b": "x", "c": "y", "d": None}
    assert pairwise_scores(truth, [["a", "b"]]) == {
        "precision": 1.0,
        "recall": 1.0,
        "predicted_pairs": 1,
        "true_pairs": 1,
    }
    assert pairwise_scores(truth, [["a", "b", "c", "d"]])["precision"] == 1 / 6


ESCORT = (
    "Just turned {age} - sweet {name} new in {city} for a few days only. Discreet apartment, "
    "incall and outcall, available day and night. Book now, ask for the full service menu."
)


def test_signals_name_the_listings_that_make_them_fire() -> None:
    persons = [("Lily", 19, "Odense"), ("Grace", 18, "Vejle"), ("Mia", 20, "Aarhus")]
    listings = [
        LinkInput(
            f"e{i}",
            "",
            ESCORT.format(name=name, age=age, city=city),
            {"kind": "escort", "city": city, "posted_at": f"2026-11-0{i + 1}"},
        )
        for i, (name, age, city) in enumerate(persons)
    ]
    listings.append(
        LinkInput(
            "j1",
            "Hostesses",
            "Hostess jobs abroad, travel paid. Call +45 20 55 12 34.",
            {"kind": "job"},
        )
    )
    listings[0] = LinkInput("e0", "", listings[0].text + " Call +45 20551234.", listings[0].fields)
    [cluster] = clusters_of(listings)
    fired = {s.id: s for s in cluster.signals}
    assert set(fired) == {
        "link.template_duplicate",
        "link.job_to_escort_bridge",
        "link.fast_relocation",
    }
    assert fired["link.template_duplicate"].listings == ("e0", "e1", "e2")
    assert fired["link.fast_relocation"].why == "3 cities within 7 days"
    assert "j1" in fired["link.job_to_escort_bridge"].listings


def test_one_job_text_in_many_cities_is_no_signal() -> None:
    listings = [
        LinkInput(
            f"w{i}",
            "",
            WORK.format(city=city, name="Anna"),
            {"kind": "job", "city": city, "posted_at": f"2026-11-0{i + 1}"},
        )
        for i, city in enumerate(["Kolding", "Aarhus", "Silkeborg", "Vejle"])
    ]
    [cluster] = clusters_of(listings)
    assert cluster.kinds == ["template"]
    assert cluster.signals == []


def test_a_phone_in_three_listings_is_a_shared_phone_signal() -> None:
    goods = [
        "a red sofa for the living room",
        "two bicycles, one with a child seat",
        "a piano in good condition",
    ]
    listings = [
        LinkInput(str(i), "", f"For sale: {good}. Call +45 20 55 12 34.", {"city": c})
        for i, (good, c) in enumerate(zip(goods, ["Vejle", "Odense", "Aarhus"], strict=True))
    ]
    [cluster] = clusters_of(listings)
    [signal] = cluster.signals
    assert signal.id == "link.shared_phone" and signal.listings == ("0", "1", "2")
    assert signal.why == "one phone in 3 listings with 3 different cities or ages"


def test_every_signal_is_an_indicator_of_the_catalogue() -> None:
    import re
    from pathlib import Path

    import nlp.linking.signals as signals_module
    from indicator_lists import load_catalogue

    source = Path(signals_module.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'"(link\.[a-z_]+)"', source))
    catalogue = {i.id for i in load_catalogue().indicators() if i.id.startswith("link.")}
    assert used == catalogue


def test_a_persona_has_its_dates_languages_and_cities_per_week() -> None:
    persons = [
        ("Lily", 19, "Odense", "2026-11-01"),
        ("Grace", 18, "Vejle", "2026-11-03"),
        ("Mia", 20, "Aarhus", "2026-11-05"),
        ("Eva", 21, "Odense", "2026-11-20"),
    ]
    listings = [
        LinkInput(
            f"e{i}",
            "",
            ESCORT.format(name=name, age=age, city=city),
            {"kind": "escort", "city": city, "posted_at": day, "language": "en"},
        )
        for i, (name, age, city, day) in enumerate(persons)
    ]
    [cluster] = clusters_of(listings)
    assert (cluster.first_seen, cluster.last_seen) == ("2026-11-01", "2026-11-20")
    assert cluster.languages == ["en"] and cluster.cities_per_week == 3
    assert cluster.to_dict()["cities_per_week"] == 3


def test_analysts_corrections_detach_and_merge_and_survive_new_listings() -> None:
    listings = [
        LinkInput("a", "", WORK.format(city="Kolding", name="Anna")),
        LinkInput("b", "", WORK.format(city="Aarhus", name="Maria")),
        LinkInput("c", "", WORK.format(city="Vejle", name="Olga")),
        LinkInput("x", "", "Bakery in Vejle seeks an apprentice baker for early mornings."),
    ]
    linker = Linker()
    linker.add_many(listings)
    linker.override(detached=["b"], merged=[("a", "x")])
    [cluster] = linker.clusters()
    assert cluster.members == ["a", "c", "x"]
    assert cluster.kinds == ["analyst", "template"]
    linker.add(LinkInput("d", "", WORK.format(city="Odense", name="Eva")))
    [cluster] = linker.clusters()
    assert cluster.members == ["a", "c", "x", "d"]  # b stays detached; in adding order
