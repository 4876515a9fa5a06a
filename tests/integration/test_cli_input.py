"""Bad input to ``check`` and ``ingest``: the error names the line, other lines go on."""

from __future__ import annotations

import json

from cli_helpers import thbscan as run
from sqlalchemy import select

from store import Listing, create_engine_for

GOOD_1 = json.dumps({"title": "Cleaner wanted", "text": "Part-time cleaning job in Aarhus."})
GOOD_2 = json.dumps(
    {
        "id": "x2",
        "title": "Lagerarbejder",
        "text": "Vi søger en lagermedarbejder til fast stilling i Odense.",
    }
)
BAD_JSON = '{"title": "broken", "text": '
BAD_TYPE = json.dumps(["not", "an", "object"])
BAD_FIELD = json.dumps({"title": 5, "text": ["x"]})


def test_check_reports_bad_lines_and_goes_on() -> None:
    stdin = "\n".join([GOOD_1, BAD_JSON, BAD_TYPE, GOOD_2, BAD_FIELD]) + "\n"
    result = run("check", "--json", stdin=stdin)
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5]
    assert "score" in out[0] and "score" in out[3]
    assert out[3]["id"] == "x2"
    assert "line 2" in out[1]["error"] and "not valid JSON" in out[1]["error"]
    assert "line 3" in out[2]["error"] and "JSON object" in out[2]["error"]
    assert "'title' must be a string" in out[4]["error"]
    for key in (
        "score",
        "flagged",
        "band",
        "categories",
        "possible_minor",
        "indicators",
        "language",
        "versions",
    ):
        assert key in out[0]


def test_check_human_output() -> None:
    result = run("check", stdin=GOOD_1 + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("line 1: not flagged")


def test_ingest_reports_bad_lines_and_stores_the_rest(tmp_path, db_url) -> None:
    path = tmp_path / "listings.jsonl"
    no_id = json.dumps({"title": "No id", "text": "A listing without id or url."})
    path.write_text("\n".join([GOOD_2, BAD_JSON, no_id, GOOD_2]) + "\n", encoding="utf-8")
    result = run(
        "ingest",
        "--jsonl",
        str(path),
        "--source",
        "partner-file",
        "--db",
        db_url,
        "--json",
        stdin="",
    )
    assert result.returncode == 1
    counts = json.loads(result.stdout.strip())
    assert counts == {"new": 2, "changed": 0, "unchanged": 1, "denied": 0, "errors": 1}
    assert "line 2: not valid JSON" in result.stderr
    engine = create_engine_for(db_url)
    with engine.connect() as conn:
        keys = conn.execute(select(Listing.source, Listing.natural_key)).all()
    engine.dispose()
    assert sorted(k for _s, k in keys)[1] == "x2"
    assert sorted(k for _s, k in keys)[0].startswith("sha256:")
    assert {s for s, _k in keys} == {"partner-file"}


def test_bad_sample_rates_are_refused_before_any_work(tmp_path, capsys) -> None:
    from thbscan.cli import main

    db = f"sqlite:///{tmp_path / 'none.db'}"
    assert main(["score", "--sample-rate", "1.5", "--db", db]) == 2
    assert (
        "--sample-rate 1.5: give a share of unflagged listings in 0..1" in capsys.readouterr().err
    )
    assert main(["calibration", "fit", "--version", "v1", "--sample-rate", "0", "--db", db]) == 2
    assert (
        "--sample-rate 0.0: give the rate unflagged listings were sampled"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "none.db").exists()  # refused before the database was opened


def test_ingest_refuses_denylisted_hosts(tmp_path) -> None:
    """The denylist applies to every way in, as to crawling (R18)."""
    denylist = tmp_path / "denylist.txt"
    denylist.write_text("# opted out\nblocked.example\n", encoding="utf-8")
    path = tmp_path / "listings.jsonl"
    lines = [
        json.dumps(
            {
                "id": f"b{i}",
                "url": f"https://jobs.blocked.example/{i}",
                "title": "Job",
                "text": "Cleaner wanted.",
            }
        )
        for i in range(3)
    ]
    lines.append(json.dumps({"id": "ok", "title": "Cook", "text": "Kitchen help."}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'archive.db'}"
    result = run(
        "ingest",
        "--jsonl",
        str(path),
        "--source",
        "file",
        "--db",
        db,
        "--json",
        env={"THBSCAN_DENYLIST_FILE": str(denylist)},
    )
    assert result.returncode == 1
    assert json.loads(result.stdout) == {
        "new": 1,
        "changed": 0,
        "unchanged": 0,
        "denied": 3,
        "errors": 0,
    }
    assert "line 1: 'https://jobs.blocked.example/0' is on a denylisted host" in result.stderr
    engine = create_engine_for(db)
    with engine.connect() as conn:
        assert conn.execute(select(Listing.natural_key)).scalars().all() == ["ok"]
    engine.dispose()
