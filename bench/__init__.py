"""Benchmarks: `python -m bench` (or `make bench`). Figures go to stdout and bench/results/."""
