"""Quality and latency tables for every backend.

    python -m benchmarks.sourcing --quick      # ~4 minutes on 2 cores
    python -m benchmarks.sourcing --full       # adds 2,000 x 30 and 10,000 x 50 (~10 minutes)
    python -m benchmarks.sourcing --latency-only   # the single-order tables (~2 minutes)
    python -m benchmarks.sourcing --only batch_2000x30,batch_10000x50   # just those batches
    python -m benchmarks.sourcing --only batch_2000x30 --dask local     # regions on a Dask
                                                                        # LocalCluster

Costs are compared against HiGHS's joint answer in the same run (the machine is shared and
noisy: ratios travel, absolute times less so).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.instances import NAMED, Instance, single_orders
from optimizer import Params, Problem, Result, build_problem, solve
from optimizer.lookahead import solve_lp
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
    bound_from: str  # where the result's bound came from (its message says)
    note: str  # the result's message
    unfilled_lines: int
    unfilled: int  # units
    shipments: int
    split: int


def lp_relaxation(
    problem: Problem, limit_s: float, unfilled_cost_factor: float | None = None
) -> tuple[float | None, dict[tuple[str, str], float], float]:
    """(LP objective, stock duals, ms) of the joint problem under the cost objective."""
    started = time.perf_counter()
    params = Params(unfilled_cost_factor=unfilled_cost_factor)
    lp = solve_lp(problem, build_model(problem, build_weights(problem, params)), limit_s)
    ms = (time.perf_counter() - started) * 1000
    return (None, {}, ms) if lp is None else (lp.objective, lp.duals, ms)


@dataclass
class Parts:
    """Where ``split`` runs its regions (None: the optimizer's local process pool)."""

    executor: Executor | None = None
    workers: int | None = None


PARTS = Parts()


def run_backend(
    problem: Problem,
    name: str,
    limit_ms: int,
    duals: dict[tuple[str, str], float],
    unfilled_cost_factor: float | None = None,
) -> Row:
    solver = "sequential" if name == "sequential+lookahead" else name
    params = Params(
        solver=solver,
        time_limit_ms=limit_ms,
        opportunity_costs=duals if name == "sequential+lookahead" else None,
        unfilled_cost_factor=unfilled_cost_factor,
    )
    result = solve(problem, params, executor=PARTS.executor, workers=PARTS.workers)
    if name == "sequential+lookahead":  # score it by the plain objective, like the others
        objective = plain_objective(problem, result, unfilled_cost_factor)
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
        bound_source(result.message, name) if result.bound is not None else "-",
        result.message,
        result.unfilled_lines(),
        result.unfilled_units(),
        result.shipments(),
        result.split_orders(),
    )


def plain_objective(problem: Problem, result: Result,
                    unfilled_cost_factor: float | None = None) -> float:
    """An answer's objective without lookahead prices: its money plus the penalty of the units
    it leaves short, each at its own line's price under the plain cost objective (an answer
    found with opportunity costs reports an objective that includes them)."""
    weights = build_weights(problem, Params(unfilled_cost_factor=unfilled_cost_factor))
    penalty = 0.0
    for o, assignment in enumerate(result.assignments):
        line_of = {spec.line_id: line for spec, line
                   in zip(problem.orders[o].lines, problem.order_lines(o), strict=True)}
        penalty += sum(float(weights.line_penalty[line_of[u.line_id]]) * u.qty
                       for u in assignment.unallocated)
    return result.cost() + penalty


def bound_source(message: str, backend: str) -> str:
    """Where a bound came from: the last ``bound = ...`` the result's message names, else the
    backend's own (lp_fix: its LP; a MIP: its dual bound; split's independent parts: theirs)."""
    notes = [m.strip() for m in message.split(";") if m.strip().startswith("bound = ")]
    if not notes:
        return "LP" if backend == "lp_fix" else "own"
    text = notes[-1].removeprefix("bound = ")
    if text.startswith("Lagrangian"):
        steps = text.split("(", 1)[1].split(" ", 1)[0] if "(" in text else "?"
        return f"Lagrangian ({steps} steps)"
    return "LP" if "LP" in text else text


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def percent(value: float | None) -> str:
    """A share as a percentage with three decimals; ``-`` when there is none."""
    return "-" if value is None else f"{100 * value:.3f}%"


def batch_table(
    instance: Instance,
    backends: list[str],
    limit_ms: int,
    lp_limit_ms: int | None = None,
    lp_known: float | None = None,
) -> None:
    problem = build_problem(instance.orders, instance.locations, instance.stock)
    factor = instance.unfilled_cost_factor
    lp, duals, lp_ms = lp_relaxation(problem, (lp_limit_ms or limit_ms) / 1000, factor)
    given = lp is None and lp_known is not None
    lp = lp_known if given else lp
    print(
        f"\n## {instance.name}: {problem.n_orders} orders, {problem.n_locations} locations, "
        f"{len(problem.skus)} SKUs, {problem.n_lines} lines, {problem.n_arcs} arcs; "
        f"time limit {limit_ms} ms; "
        + ("" if factor is None else f"unfilled unit = {factor:g} x dearest shipment; ")
        + f"LP relaxation {fmt(lp, '.2f')} "
        + ("(given: --lp-known, measured separately)" if given else f"in {lp_ms:.0f} ms")
    )
    rows = [run_backend(problem, b, limit_ms, duals, factor) for b in backends]
    base = next((r for r in rows if r.backend == "highs"), rows[0])
    head = (
        f"| {'backend':22} | {'status':10} | build ms | model ms | solve ms | {'cost':>10} | "
        f"vs highs | {'bound':>10} | {'bound from':22} | gap | gap to LP | unfilled lines | "
        f"unfilled units | shipments | split |"
    )
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for r in rows:
        gap_lp = None if lp is None else max(0.0, r.objective - lp) / max(abs(r.objective), 1e-9)
        print(
            f"| {r.backend:22} | {r.status:10} | {r.build_ms:8.0f} | {r.model_ms:8.0f} | "
            f"{r.solve_ms:8.0f} | {r.cost:10.2f} | {r.cost / base.cost:8.4f} | "
            f"{fmt(r.bound, '10.2f'):>10} | {r.bound_from:22} | "
            f"{percent(r.gap):>6} | {percent(gap_lp):>9} | "
            f"{r.unfilled_lines:14d} | {r.unfilled:14d} | {r.shipments:9d} | {r.split:5d} |"
        )
    for r in rows:  # how each answer and its bound came about
        if r.note:
            print(f"\n{r.backend} message: {r.note}")


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
    # The whole call (wall and CPU: this process, all threads; on a shared machine the wall
    # clock also counts the time other processes held the core) and the solver's own part,
    # Result.solve_ms: weights, greedy floor, the backend and scoring, without decoding the
    # answer into shipments and explaining every runner-up.
    print(
        "| backend | p50 ms | p95 ms | p99 ms | max ms | CPU p50 | CPU p99 "
        "| solver p50 | solver p95 | solver p99 | optimal | chose |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for backend in backends:
        times, cpu, solver, optimal, chose = [], [], [], 0, set()
        for problem in problems:
            started, cpu_started = time.perf_counter(), time.process_time()
            result = solve(problem, Params(solver=backend, time_limit_ms=2000))
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            solver.append(result.solve_ms)
            optimal += result.status == "optimal"
            chose.add(result.solver)
        print(
            f"| {backend} | {percentile(times, 50):.2f} | {percentile(times, 95):.2f} | "
            f"{percentile(times, 99):.2f} | {max(times):.2f} | {percentile(cpu, 50):.2f} | "
            f"{percentile(cpu, 99):.2f} | {percentile(solver, 50):.2f} | "
            f"{percentile(solver, 95):.2f} | {percentile(solver, 99):.2f} | {optimal}/{n} | "
            f"{'+'.join(sorted(chose))} |"
        )


BATCHES: dict[str, tuple[list[str], int]] = {
    "batch_200x20": (
        ["highs", "cpsat", "scip", "cbc", "lp_fix", "greedy", "sequential",
         "sequential+lookahead"],
        5000,
    ),
    "jasin_sinha_1000x25": (
        ["highs", "cpsat", "lp_fix", "greedy", "sequential", "sequential+lookahead"], 10_000
    ),
    "scarce_1000x25": (
        ["highs", "cpsat", "lp_fix", "greedy", "sequential", "sequential+lookahead"], 10_000
    ),
    "batch_2000x30": (
        ["highs", "lp_fix", "split", "greedy", "sequential", "sequential+lookahead"],
        10_000,
    ),
    # no highs / lookahead: the joint LP does not finish in 60 s, so both are order-by-order
    "batch_10000x50": (["lp_fix", "split", "greedy", "sequential"], 60_000),
}
QUICK = ["batch_200x20", "jasin_sinha_1000x25", "scarce_1000x25"]


def _parts(dask: str | None, workers: int | None) -> tuple[Parts, Any]:
    """A Dask client's executor (``local``: a LocalCluster of ``workers``), or the local pool."""
    if not dask:
        if workers:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            pool = ProcessPoolExecutor(workers, mp_context=get_context("forkserver"))
            return Parts(pool, workers), pool
        return Parts(), None
    from distributed import Client, LocalCluster

    if dask == "local":
        n = workers or 2
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n, threads_per_worker=1, dashboard_address=None
        )
        client = Client(cluster)  # type: ignore[no-untyped-call]
    else:
        client = Client(dask)  # type: ignore[no-untyped-call]
    n = sum(client.nthreads().values())  # type: ignore[no-untyped-call]
    return Parts(client.get_executor(), n), client  # type: ignore[no-untyped-call]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="small batches and latency (default)")
    group.add_argument("--full", action="store_true", help="also 2,000 x 30 and 10,000 x 50")
    group.add_argument("--only", help="comma-separated batch names (no latency tables)")
    group.add_argument("--latency-only", action="store_true", help="single-order tables only")
    parser.add_argument("--backends", help="comma-separated backends (default: per instance)")
    parser.add_argument("--workers", type=int, help="processes (or Dask workers) for split")
    parser.add_argument("--dask", help="run split's regions on Dask: a scheduler or 'local'")
    parser.add_argument("--lp-limit", type=int, help="ms for the LP reference (default: limit)")
    parser.add_argument(
        "--lp-known", type=float, help="LP value to use when the LP does not finish in time"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    mode = "full" if args.full else f"only {args.only}" if args.only else "quick"
    mode = "latency only" if args.latency_only else mode
    print(
        f"# dom sourcing benchmark ({mode}), seed {args.seed}, "
        f"{platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    started = time.perf_counter()
    solve(build_problem(*_warm()), Params(solver="cpsat"))  # load the solver libraries once
    parts, handle = _parts(args.dask, args.workers)
    PARTS.executor, PARTS.workers = parts.executor, parts.workers
    if parts.executor is not None:
        print(f"split runs on {args.dask or 'local processes'}, {parts.workers} workers")
    if args.only:
        names = args.only.split(",")
    else:
        latency_table(300, 50, 3, ["exact", "highs", "greedy"])
        latency_table(100, 50, 5, ["exact", "highs", "cpsat"])
        latency_table(50, 200, 20, ["auto", "highs"])
        names = QUICK + (["batch_2000x30", "batch_10000x50"] if args.full else [])
        names = [] if args.latency_only else names
    for name in names:
        backends, limit_ms = BATCHES.get(name, (BATCHES["batch_2000x30"][0], 10_000))
        if args.backends:
            backends = args.backends.split(",")
        batch_table(NAMED[name](args.seed), backends, limit_ms, args.lp_limit, args.lp_known)
    if isinstance(handle, Executor):
        handle.shutdown()
    elif handle is not None:
        handle.close()
    print(f"\nwall clock {time.perf_counter() - started:.0f} s")


def _warm() -> tuple[list, list, dict]:  # type: ignore[type-arg]
    instance = single_orders(1, 5, 1)[0]
    return instance.orders, instance.locations, dict(instance.stock)


if __name__ == "__main__":
    main()
