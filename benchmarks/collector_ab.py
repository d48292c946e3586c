"""What holding off the cyclic collector during decoding does to ``solve()``'s wall clock.

Runs the same batch with the collector held off (as ``solve()`` does, see
``optimizer/collector.py``) and with it left on, in alternation, so both see the same machine::

    python -m benchmarks.collector_ab --instance batch_2000x30 --limit 500 --repeat 8
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import statistics
import time

from benchmarks.instances import NAMED
from optimizer import Params, build_problem, solve

# the module, not the function optimizer/__init__ exports under the same name
_SOLVE = importlib.import_module("optimizer.solve")


def measure(instance: str, limit: int, repeat: int) -> dict[str, list[float]]:
    """Wall clock in ms of each call, per mode ("on": collector left on, "off": held off)."""
    inst = NAMED[instance](0)
    problem = build_problem(inst.orders, inst.locations, inst.stock, Params())
    paused = _SOLVE.collector_paused
    walls: dict[str, list[float]] = {"on": [], "off": []}
    try:
        for _ in range(repeat):
            for mode in ("on", "off"):
                _SOLVE.collector_paused = paused if mode == "off" else contextlib.nullcontext
                started = time.perf_counter()
                solve(problem, Params(time_limit_ms=limit))
                walls[mode].append((time.perf_counter() - started) * 1000.0)
    finally:
        _SOLVE.collector_paused = paused
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default="batch_2000x30", choices=sorted(NAMED))
    parser.add_argument("--limit", type=int, default=500, help="time limit in ms")
    parser.add_argument("--repeat", type=int, default=8)
    args = parser.parse_args()
    if args.limit < 1 or args.repeat < 1:
        parser.error("--limit and --repeat need to be at least 1")
    walls = measure(args.instance, args.limit, args.repeat)
    print(f"{args.instance}, limit {args.limit} ms, {args.repeat} calls each")
    print("| collector | median ms | max ms | calls over the limit |")
    print("|---|---|---|---|")
    for mode, label in (("on", "left on"), ("off", "held off")):
        found = walls[mode]
        print(f"| {label} | {statistics.median(found):,.0f} | {max(found):,.0f} | "
              f"{sum(w > args.limit for w in found)} of {len(found)} |")


if __name__ == "__main__":
    main()
