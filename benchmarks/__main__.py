"""Run every benchmark: ``python -m benchmarks`` (``make bench``).

Each runs as ``python -m benchmarks.<name>`` in its own process; missing ones are skipped.
Extra arguments (for example ``--quick``) go to bench_score.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

BENCHMARKS = ("bench_score", "bench_crawl")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    failed = []
    for name in BENCHMARKS:
        module = f"benchmarks.{name}"
        if importlib.util.find_spec(module) is None:
            print(f"== {name}: not present, skipped", flush=True)
            continue
        print(f"== {name}", flush=True)
        extra = args if name == "bench_score" else []
        if subprocess.run([sys.executable, "-m", module, *extra], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
