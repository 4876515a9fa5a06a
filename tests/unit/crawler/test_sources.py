from pathlib import Path

import pytest

from crawler.errors import SourceConfigError
from crawler.sources import SOURCES_DIR, get_source, load_sources, validate_sources


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_bundled_sources_are_valid() -> None:
    assert validate_sources(SOURCES_DIR) == []
    sources = load_sources()
    assert {"fixture-jobs", "fixture-ads"} <= set(sources)


def test_relative_start_urls_resolve_against_base_url() -> None:
    source = get_source("fixture-ads").with_base_url("http://127.0.0.1:9999")
    assert source.resolved_start_urls() == ["http://127.0.0.1:9999/ads/"]
    assert source.resolved_allowed_domains() == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (
            'name = "bad"\nspider = "board"\nstart_urls = ["https://example.org/"]\n'
            'colour = "red"\n[fields]\ntext = "p"\n',
            "colour",
            "unknown key",
        ),
        (
            'name = "bad"\nspider = "octopus"\nstart_urls = ["https://example.org/"]\n',
            "spider",
            "jobposting",
        ),
        (
            'name = "bad"\nspider = "board"\nstart_urls = ["https://example.org/"]\n'
            '[fields]\ntext = "p[["\n',
            "fields",
            "not valid",
        ),
        (
            'name = "bad"\nspider = "board"\nstart_urls = []\n[fields]\ntext = "p"\n',
            "start_urls",
            "at least 1",
        ),
        (
            'name = "bad"\nspider = "board"\nstart_urls = ["https://example.org/"]\n'
            '[schedule]\nevery = "often"\n[fields]\ntext = "p"\n',
            "schedule.every",
            "6h",
        ),
        (
            'name = "bad"\nspider = "board"\nstart_urls = ["https://example.org/"]\n',
            "fields.text",
            "needs a 'text' selector",
        ),
        ('name = "bad"\nspider = "board"\nstart_urls = [\n', "", "not valid TOML"),
    ],
)
def test_validate_names_file_key_and_problem(
    tmp_path: Path, body: str, key: str, message: str
) -> None:
    path = write(tmp_path, "bad", body)
    problems = validate_sources(tmp_path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: {key}")
    assert message in problems[0]


def test_name_must_match_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "other",
        'name = "bad"\nspider = "jobposting"\nstart_urls = ["https://example.org/"]\n',
    )
    assert "must equal the file name" in validate_sources(tmp_path)[0]


def test_unknown_source_lists_known_ones() -> None:
    with pytest.raises(SourceConfigError, match=r"known sources are .*fixture-ads"):
        get_source("nope")
