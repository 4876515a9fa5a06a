"""Real, ordinary listings for measuring false flags, read from where they lie.

A data directory (given by the operator; the project ships none of it) may hold any of:

- ``emscad/*.csv``: EMSCAD job ads; the legitimate rows (``fraudulent`` 0) are used, with
  title, company profile, description, requirements and benefits as the text;
- ``jobtext/<lang>.jsonl``: job ads, one ``{"id", "title", "text"}`` per line;
- ``kompetencer/*.conll``: job-posting sentences in CoNLL (token per line), one per listing;
- ``html/<site>/*.html``: saved job-board pages, their visible text.

Every source found becomes ``{name: [(id, title, text), ...]}``.
"""

from __future__ import annotations

import csv
import json
import sys
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["read_real_text"]

_EMSCAD_TEXT = ("company_profile", "description", "requirements", "benefits")


def _emscad(path: Path) -> list[tuple[str, str, str]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    out: list[tuple[str, str, str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if str(row.get("fraudulent", "")).strip() != "0":
                continue
            text = "\n\n".join(row.get(k) or "" for k in _EMSCAD_TEXT if row.get(k))
            out.append((str(row.get("job_id") or len(out)), row.get("title") or "", text))
    return out


def _jsonl(path: Path) -> list[tuple[str, str, str]]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            item = json.loads(line)
            out.append((str(item.get("id", n)), item.get("title") or "", item.get("text") or ""))
    return out


def _conll(path: Path) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    tokens: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        token = line.split("\t")[0].strip()
        if token:
            tokens.append(token)
        elif tokens:
            out.append((f"{path.stem}:{len(out)}", "", " ".join(tokens)))
            tokens = []
    return out


class _Text(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template", "svg"}
    _BLOCK = {"p", "div", "li", "br", "h1", "h2", "h3", "h4", "tr", "section", "article"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._skip:
            self.parts.append(data)


def _html(path: Path) -> list[tuple[str, str, str]]:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(line for line in lines if line)
    return [(path.stem, " ".join("".join(parser.title).split()), text)]


def read_real_text(directory: str | Path) -> dict[str, list[tuple[str, str, str]]]:
    """The real listings under ``directory`` by source name (see the module docs)."""
    root = Path(directory)
    sources: dict[str, list[tuple[str, str, str]]] = {}
    for path in sorted(root.glob("emscad/*.csv")):
        sources[f"emscad:{path.stem}"] = _emscad(path)
    for path in sorted(root.glob("jobtext/*.jsonl")):
        sources[f"jobtext:{path.stem}"] = _jsonl(path)
    for path in sorted(root.glob("kompetencer/*.conll")):
        sources[f"kompetencer:{path.stem}"] = _conll(path)
    for site in sorted(p for p in root.glob("html/*") if p.is_dir()):
        pages = [item for page in sorted(site.glob("*.html")) for item in _html(page)]
        if pages:
            sources[f"html:{site.name}"] = pages
    return sources
