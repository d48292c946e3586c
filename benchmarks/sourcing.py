"""Quality and latency tables for every backend.

    python -m benchmarks.sourcing --quick      # ~2-3 minutes on 2 cores
    python -m benchmarks.sourcing --full       # adds 2,000 x 30 and 10,000 x 50 (~10 minutes)

Costs are compared against HiGHS's joint answer in the same run (the machine is shared and
noisy: ratios travel, absolute times less so).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import dataclass

import highspy
import numpy as np

from benchmarks.instances import NAMED, Instance, single_orders
from optimizer import Params, Problem, build_problem, solve
from optimizer.backends.highs import new_highs
from optimizer.lookahead import duals_by_key
from optimizer.model import build_model
from optimizer.objective import build_weights


@dataclass
class Row:
    backend: str
    status: str
    build_ms: float
    model_ms: float
    solve_ms: float
    cost: float
    objective: float
    bound: float | None
    gap: float | None
    unfilled: int
    shipments: int
    split: int


def lp_relaxation(
    problem: Problem, limit_s: float
) -> tuple[float | None, dict[tuple[str, str], float], float]:
    """(LP objective, stock duals, ms) of the joint problem under the cost objective."""
    started = time.perf_counter()
    model = build_model(problem, build_weights(problem, Params()))
    h = new_highs(model, integer=False, time_limit_s=limit_s, seed=0)
    h.run()
    ms = (time.perf_counter() - started) * 1000
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, {}, ms
    duals = duals_by_key(problem, model, np.asarray(h.getSolution().row_dual, dtype=float))
    return float(h.getInfo().objective_function_value), duals, ms


def run_backend(
    problem: Problem, name: str, limit_ms: int, duals: dict[tuple[str, str], float]
) -> Row:
    solver = "sequential" if name == "sequential+lookahead" else name
    params = Params(
        solver=solver,
        time_limit_ms=limit_ms,
        opportunity_costs=duals if name == "sequential+lookahead" else None,
    )
    result = solve(problem, params)
    if name == "sequential+lookahead":  # score it by the plain objective, like the others
        plain = solve(problem, Params(solver="sequential", time_limit_ms=limit_ms))
        objective = result.cost() + (plain.objective - plain.cost())
    else:
        objective = result.objective
    return Row(
        name,
        result.status,
        problem.build_ms,
        result.timings.get("model_ms", 0.0),
        result.solve_ms,
        result.cost(),
        objective,
        result.bound,
        result.gap,
        result.unfilled_units(),
        result.shipments(),
        result.split_orders(),
    )


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def batch_table(instance: Instance, backends: list[str], limit_ms: int) -> None:
    problem = build_problem(instance.orders, instance.locations, instance.stock)
    lp, duals, lp_ms = lp_relaxation(problem, limit_ms / 1000)
    print(
        f"\n## {instance.name}: {problem.n_orders} orders, {problem.n_locations} locations, "
        f"{len(problem.skus)} SKUs, {problem.n_lines} lines, {problem.n_arcs} arcs; "
        f"time limit {limit_ms} ms; LP relaxation {fmt(lp, '.2f')} in {lp_ms:.0f} ms"
    )
    rows = [run_backend(problem, b, limit_ms, duals) for b in backends]
    base = next((r for r in rows if r.backend == "highs"), rows[0])
    head = (
        f"| {'backend':22} | {'status':10} | build ms | model ms | solve ms | {'cost':>10} | "
        f"vs highs | gap | gap to LP | unfilled | shipments | split |"
    )
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for r in rows:
        gap_lp = None if lp is None else max(0.0, r.objective - lp) / max(abs(r.objective), 1e-9)
        print(
            f"| {r.backend:22} | {r.status:10} | {r.build_ms:8.0f} | {r.model_ms:8.0f} | "
            f"{r.solve_ms:8.0f} | {r.cost:10.2f} | {r.cost / base.cost:8.4f} | "
            f"{fmt(None if r.gap is None else 100 * r.gap, '.3f') + '%':>6} | "
            f"{fmt(None if gap_lp is None else 100 * gap_lp, '.3f') + '%':>9} | "
            f"{r.unfilled:8d} | {r.shipments:9d} | {r.split:5d} |"
        )


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def latency_table(n: int, n_locations: int, n_lines: int, backends: list[str]) -> None:
    instances = single_orders(n, n_locations, n_lines)
    problems = [build_problem(i.orders, i.locations, i.stock) for i in instances]
    build = [p.build_ms for p in problems]
    print(
        f"\n## single order, {n_lines} lines x {n_locations} locations, {n} orders "
        f"(build p50 {statistics.median(build):.2f} ms)"
    )
    print("| backend | p50 ms | p95 ms | p99 ms | max ms | optimal |")
    print("|---|---|---|---|---|---|")
    for backend in backends:
        times, optimal = [], 0
        for problem in problems:
            started = time.perf_counter()
            result = solve(problem, Params(solver=backend, time_limit_ms=2000))
            times.append((time.perf_counter() - started) * 1000)
            optimal += result.status == "optimal"
        print(
            f"| {backend} | {percentile(times, 50):.2f} | {percentile(times, 95):.2f} | "
            f"{percentile(times, 99):.2f} | {max(times):.2f} | {optimal}/{n} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="small batches and latency (default)")
    group.add_argument("--full", action="store_true", help="also 2,000 x 30 and 10,000 x 50")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        f"# dom sourcing benchmark ({'full' if args.full else 'quick'}), seed {args.seed}, "
        f"{platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    started = time.perf_counter()
    solve(build_problem(*_warm()), Params(solver="cpsat"))  # load the solver libraries once

    latency_table(300, 50, 3, ["exact", "highs", "greedy"])
    latency_table(100, 50, 5, ["exact", "highs", "cpsat"])
    latency_table(50, 200, 20, ["auto", "highs"])
    everything = [
        "highs",
        "cpsat",
        "scip",
        "cbc",
        "lp_fix",
        "greedy",
        "sequential",
        "sequential+lookahead",
    ]
    batch_table(NAMED["batch_200x20"](args.seed), everything, 5000)
    batch_table(
        NAMED["jasin_sinha_1000x25"](args.seed),
        ["highs", "cpsat", "lp_fix", "greedy", "sequential", "sequential+lookahead"],
        10_000,
    )
    batch_table(
        NAMED["scarce_1000x25"](args.seed),
        ["highs", "cpsat", "lp_fix", "greedy", "sequential", "sequential+lookahead"],
        10_000,
    )
    if args.full:
        batch_table(
            NAMED["batch_2000x30"](args.seed),
            ["highs", "cpsat", "lp_fix", "greedy", "sequential", "sequential+lookahead"],
            10_000,
        )
        batch_table(
            NAMED["batch_10000x50"](args.seed),
            ["highs", "lp_fix", "greedy", "sequential", "sequential+lookahead"],
            60_000,
        )
    print(f"\nwall clock {time.perf_counter() - started:.0f} s")


def _warm() -> tuple[list, list, dict]:  # type: ignore[type-arg]
    instance = single_orders(1, 5, 1)[0]
    return instance.orders, instance.locations, dict(instance.stock)


if __name__ == "__main__":
    main()
