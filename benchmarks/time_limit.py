"""How well ``solve()`` keeps its time limit: wall clock of the whole call against the limit.

The limit is a promise (the answer, its decoding and its runner-ups included), so this measures
what a caller waits, not what the solver reports. Ratios, not absolute times, are what compare
across runs on a shared machine::

    python -m benchmarks.time_limit --instance batch_2000x30 --limits 500,1000,2000,5000
"""

from __future__ import annotations

import argparse
import time

from benchmarks.instances import NAMED
from optimizer import Params, build_problem, solve


def measure(instance: str, limits: list[int], solver: str, repeat: int) -> None:
    """Print one row per limit and repetition: who solved, status, wall clock, wall / limit."""
    inst = NAMED[instance](0)
    problem = build_problem(inst.orders, inst.locations, inst.stock, Params())
    print(f"{instance}: {problem.n_orders} orders, {problem.n_locations} locations, "
          f"{problem.n_arcs} arcs; solver={solver}")
    print("| limit ms | solver | status | wall ms | wall / limit | orders with runner-ups |")
    print("|---|---|---|---|---|---|")
    for limit in limits:
        for _ in range(repeat):
            started = time.perf_counter()
            result = solve(problem, Params(solver=solver, time_limit_ms=limit))
            wall = (time.perf_counter() - started) * 1000.0
            listed = sum(1 for a in result.assignments if a.alternatives)
            print(f"| {limit:,} | {result.solver} | {result.status} | {wall:,.0f} | "
                  f"{wall / limit:.2f} | {listed:,} of {problem.n_orders:,} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default="batch_2000x30", choices=sorted(NAMED))
    parser.add_argument("--limits", default="500,1000,2000,5000",
                        help="comma-separated limits in ms")
    parser.add_argument("--solver", default="auto")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    limits = [int(x) for x in args.limits.split(",") if x.strip()]
    if not limits or min(limits) < 1:
        parser.error("--limits needs one or more limits of at least 1 ms")
    measure(args.instance, limits, args.solver, args.repeat)


if __name__ == "__main__":
    main()
