"""Benchmarks: figures printed (and written to bench-results/), not asserted."""
