"""Run the reference matcher on JSON lines: ``python -m <package> --compiled FILE``.

Reads ``{"title": ..., "text": ..., "id": ..., "lang": ...}`` per line on stdin (``lang``
optional: it overrides language identification) and writes one JSON object per line, in
order: ``score``, ``flagged``, ``band``, ``categories``, ``possible_minor``,
``indicators`` (id, category, weight, grade, title, spans), ``language``, ``kind``,
``rules``, ``line`` and the input's ``id``. These are the results of
``thbscan check --no-model --lists <export>`` (the language of a listing thbscan cannot
identify is ``und`` here; thbscan may name it). A bad line gives ``{"line": N, "error":
...}`` and the others go on; the exit status is then 1.

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .engine import Engine, score_of
from .jsonl import read_jsonl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m thbscan_matcher", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--compiled",
        required=True,
        metavar="FILE",
        help="the compiled catalogue (compiled.json of a partner export)",
    )
    args = parser.parse_args(argv)
    try:
        engine = Engine(json.loads(Path(args.compiled).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot load the compiled catalogue {args.compiled}: {exc}", file=sys.stderr)
        return 2
    status = 0
    out = sys.stdout
    for line in read_jsonl(sys.stdin, required=("title", "text")):
        if line.value is None:
            result = {"line": line.number, "error": line.error}
            status = 1
        else:
            value = line.value
            try:
                analysis = engine.analyse(
                    str(value.get("title") or ""),
                    str(value.get("text") or ""),
                    lang=value.get("lang") or None,
                )
                result = {
                    **({"id": value["id"]} if "id" in value else {}),
                    **score_of(engine, analysis),
                    "line": line.number,
                }
            except Exception as exc:
                result = {
                    "line": line.number,
                    "error": f"line {line.number}: matching failed ({exc!r})",
                }
                status = 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
