"""The fixture site's networks, linked: each network's listings form one cluster, and the
recruiter network that also posts escort ads is a job-to-escort bridge."""

from __future__ import annotations

from collections import defaultdict

from fixture_site.generate import generate_listings
from fixture_site.site_data import load_site_data
from nlp.linking import Linker, LinkInput


def test_fixture_networks_form_one_cluster_each() -> None:
    data = load_site_data()
    templates = {t.key: t for t in (*data.jobs, *data.ads)}
    listings = generate_listings()
    linker = Linker()
    linker.add_many(
        LinkInput(x.id, x.title, x.text, {"kind": "job" if x.board == "jobs" else "escort"})
        for x in listings
    )
    cluster_of = {m: c for c in linker.clusters() for m in c.members}
    by_network: dict[str, list[str]] = defaultdict(list)
    for x in listings:
        t = templates[x.template]
        if t.network and t.phone_source == "network":
            by_network[t.network].append(x.id)
    assert set(by_network) == set(data.networks)
    for network, members in by_network.items():
        clusters = {cluster_of[m].id for m in members if m in cluster_of}
        assert len(clusters) == 1 and len(cluster_of) > 0, (network, clusters)
        cluster = cluster_of[members[0]]
        assert set(members) <= set(cluster.members)
        assert {"phone", "handle"} & set(cluster.kinds), cluster.kinds
    recruiter = cluster_of[by_network["recruiter_a"][0]]
    assert recruiter.bridge and recruiter.listing_kinds == ["escort", "job"]
