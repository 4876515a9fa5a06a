"""Record approved versions in ``releases.lock.json``.

Usage: ``python -m indicator_lists.release [PATH]``.
"""

from __future__ import annotations

import sys

from .validate import lock


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    added = lock(args[0] if args else None)
    for key in added:
        print(f"locked {key}")
    if not added:
        print("nothing to lock: every approved version is already recorded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
