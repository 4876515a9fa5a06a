"""``python -m indicator_lists validate [PATH]`` and ``python -m indicator_lists lock [PATH]``."""

from __future__ import annotations

import sys

from .validate import lock, validate

USAGE = "usage: python -m indicator_lists {validate,lock} [PATH]"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
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
