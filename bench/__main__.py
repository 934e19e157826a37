"""python -m bench [name ...]: run benchmarks (default: all) and print their figures."""

from __future__ import annotations

import sys

from bench import casework, engine_takes, ingest, insight, notifications, pages, risk_engine

BENCHMARKS = {
    "ingest": lambda: ingest.main([]),
    "risk_engine": lambda: risk_engine.main([]),
    "engine_takes": lambda: engine_takes.main([]),
    "casework": lambda: casework.main([]),
    "pages": lambda: pages.main([]),
    "notifications": lambda: notifications.main([]),
    "insight": lambda: insight.main([]),
}
USAGE = (
    f"usage: python -m bench [{' | '.join(BENCHMARKS)} ...]\n"
    "Runs the named benchmarks (all when none is named), prints their figures and writes them to bench/results/.\n"
    "Options of one benchmark: python -m bench.risk_engine --help"
)


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in BENCHMARKS]
    if unknown:
        print(USAGE, file=sys.stderr if set(unknown) - {"-h", "--help"} else sys.stdout)
        return 0 if set(unknown) <= {"-h", "--help"} else 2
    for name in argv or list(BENCHMARKS):
        BENCHMARKS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
