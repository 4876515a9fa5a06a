"""``python -m indicator_lists validate [PATH]``, ``... lock [PATH]`` and
``... forms LANGUAGE TERM`` (the word forms a lexicon term matches)."""

from __future__ import annotations

import sys

from .validate import lock, validate

USAGE = (
    "usage: python -m indicator_lists {validate,lock} [PATH]\n"
    "       python -m indicator_lists forms LANGUAGE TERM"
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "forms":
        from .compile import _Inflector, _term_words, expand_term

        entry = expand_term(args[2], _Inflector(args[1], _term_words([args[2]])))
        if entry["kind"] == "word":
            print(" ".join(sorted(entry["keys"])))
        elif entry["kind"] == "phrase":
            print(" + ".join("{" + " ".join(sorted(p)) + "}" for p in entry["parts"]))
        else:
            print(f"{entry['kind']}: {entry['key']}")
        return 0
    if not args or args[0] not in {"validate", "lock"} or len(args) > 2:
        print(USAGE, file=sys.stderr)
        return 2
    path = args[1] if len(args) == 2 else None
    if args[0] == "lock":
        for key in lock(path):
            print(f"locked {key}")
        return 0
    problems = validate(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("catalogue is valid")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
