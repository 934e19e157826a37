"""python -m bench [name ...]: run benchmarks (default: all) and print their figures."""

from __future__ import annotations

import sys

from bench import ingest, risk_engine

BENCHMARKS = {"ingest": ingest.main, "risk_engine": lambda: risk_engine.main([])}


def main() -> None:
    for name in sys.argv[1:] or list(BENCHMARKS):
        BENCHMARKS[name]()


if __name__ == "__main__":
    main()
