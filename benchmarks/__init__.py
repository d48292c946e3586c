"""Solver benchmarks: seeded instances at real US geography and the quality/latency tables.

Run with ``python -m benchmarks.sourcing --quick`` (see README.md); pytest never collects this.
"""
