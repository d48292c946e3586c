"""What a joint run (``POST /v1/allocations/run``) spends around its solve, at N waiting orders.

    python -m benchmarks.joint_run --orders 2000 --repeat 3

A SQLite database in a temporary folder gets the demo network and catalog and N orders from the
load generator (``benchmarks.load_tool``) placed while no stock exists, so all of them wait;
then stock for about 80% of their units, and a 60-minute release delay so that allocations stay
movable. That database is copied once; each measurement starts from a fresh copy and calls
``lifecycle.batch.run_allocations`` in-process (no HTTP): first a plain run that sources every
waiting order, then a ``reoptimize`` run that takes all those allocations back and solves them
again. Each run reports its wall clock, how many joint solves it made (a run solves again after
restoring or refusing orders) and their wall clock; the difference is what the service spends
around the solver (reading, planning, writing).

``--scan`` adds, in alternation with the code as it is, runs whose ``Result.assignment`` scans
the answers as it did before 2026-11-29 (a joint run looks up every order's answer, some of
them once per other order), so both see the same machine. ``--apart`` adds runs whose solves
each get the whole time limit and start from nothing, as before ddee896 (``Rounds``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

import lifecycle.batch as batch
from api import create_app
from benchmarks.load_tool import OrderFactory
from dom.bootstrap import Container
from dom.demo_data import demo_locations, demo_products
from dom.settings import Settings
from lifecycle.batch import run_allocations
from optimizer.result import OrderAssignment, Result
from storage import make_engine, upgrade

ADMIN = {"Authorization": "Bearer bench-admin"}
CHANNEL = {"Authorization": "Bearer bench-channel"}
KEYS = "bench-admin:admin,bench-channel:channel,bench-planner:planner"
STOCK_SHARE = 0.8


def _container(path: Path) -> Container:
    url = f"sqlite:///{path}"
    settings = Settings(database_url=url, api_keys=KEYS, timer_interval_s=0)
    return Container(settings=settings, engine=make_engine(url),
                     api_keys=settings.api_key_map())


def build(folder: Path, n_orders: int, seed: int) -> Path:
    """The database every measurement starts from; prints progress while placing orders."""
    path = folder / "base.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    container = _container(path)
    demand: dict[str, int] = {}
    with TestClient(create_app(container)) as client:
        for location_id, body in demo_locations():
            client.put(f"/v1/locations/{location_id}", json=body, headers=ADMIN)
        for sku, body in demo_products():
            client.put(f"/v1/products/{sku}", json=body, headers=ADMIN)
        client.put("/v1/policy", json={"release_delay_minutes": 60}, headers=ADMIN)
        factory = OrderFactory(prefix="JR", seed=seed)
        started = time.perf_counter()
        for n in range(n_orders):
            body = factory.order(n)
            response = client.post("/v1/orders", json=body, headers=CHANNEL)
            if response.status_code != 201:
                raise SystemExit(f"order {n}: {response.status_code} {response.text}")
            for line in body["lines"]:
                if "covers_line_id" not in line:
                    demand[line["sku"]] = demand.get(line["sku"], 0) + int(line["qty"])
            if (n + 1) % 500 == 0:
                print(f"  placed {n + 1:,} of {n_orders:,} orders "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        stocked = [loc for loc, body in demo_locations()
                   if body.get("type") != "supplier"]
        for sku, units in demand.items():
            share = int(units * STOCK_SHARE)
            for k, location_id in enumerate(stocked):
                on_hand = share // len(stocked) + (1 if k < share % len(stocked) else 0)
                client.put(f"/v1/inventory/{location_id}/{sku}", json={"on_hand": on_hand},
                           headers=ADMIN)
    container.close()
    return path


def _scan(self: Result, order_id: str) -> OrderAssignment:
    """``Result.assignment`` as it was: a scan of every answer."""
    for assignment in self.assignments:
        if assignment.order_id == order_id:
            return assignment
    raise KeyError(order_id)


# wall ms, solves' ms, solves, orders, cost of what the run wrote, units it allocated
Sample = tuple[float, float, int, int, float, int]


def measure(base: Path, folder: Path, modes: list[str],
            repeat: int) -> dict[tuple[str, str], list[Sample]]:
    """Per (mode, run kind): what each measurement took and wrote (``Sample``)."""
    indexed: Callable[[Result, str], OrderAssignment] = Result.assignment
    shared_limit = batch.Rounds.params
    samples: dict[tuple[str, str], list[Sample]] = {}
    solves: list[float] = []
    plain_solve = batch.solve  # type: ignore[attr-defined]
    apart = False

    def timed_solve(*args: Any, **kwargs: Any) -> Result:
        started = time.perf_counter()
        if apart:
            kwargs.pop("start", None)
        try:
            return plain_solve(*args, **kwargs)
        finally:
            solves.append((time.perf_counter() - started) * 1000.0)

    def whole_limit(self: batch.Rounds, params: Any) -> Any:
        return params

    batch.solve = timed_solve  # type: ignore[attr-defined]
    try:
        for round_ in range(repeat):
            for mode in modes:
                apart = mode == "apart"
                batch.Rounds.params = whole_limit if apart else shared_limit  # type: ignore[method-assign]
                Result.assignment = _scan if mode == "scan" else indexed  # type: ignore[method-assign,assignment]
                copy = folder / f"run-{round_}-{mode}.db"
                shutil.copyfile(base, copy)
                container = _container(copy)
                for kind, reoptimize in (("run", False), ("reoptimize", True)):
                    solves.clear()
                    started = time.perf_counter()
                    outcome = run_allocations(container.uow_factory, reoptimize=reoptimize)
                    wall = (time.perf_counter() - started) * 1000.0
                    sample = (wall, sum(solves), len(solves), outcome.orders, outcome.cost,
                              outcome.units_allocated)
                    samples.setdefault((mode, kind), []).append(sample)
                    moved = "" if outcome.reoptimized is None else \
                        f"  saving {outcome.reoptimized['saving']:,.2f}" \
                        f" restored {outcome.reoptimized['orders_restored']}"
                    print(f"  {mode:7} {kind:10} orders {outcome.orders:6,}  wall {wall:9.0f} ms"
                          f"  {len(solves)} solves {sum(solves):8.0f} ms  cost "
                          f"{outcome.cost:,.2f} units {outcome.units_allocated:,}{moved}"
                          f"  ({outcome.solver.get('name')}, {outcome.solver.get('status')})",
                          flush=True)
                container.close()
                copy.unlink()
    finally:
        Result.assignment = indexed  # type: ignore[method-assign,assignment]
        batch.Rounds.params = shared_limit  # type: ignore[method-assign]
        batch.solve = plain_solve  # type: ignore[attr-defined]
    return samples


def report(samples: dict[tuple[str, str], list[Sample]]) -> None:
    print("\n| code | run | orders answered | solves | wall ms (median) | solves ms "
          "| around the solves ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (mode, kind), rows in samples.items():
        wall = statistics.median(r[0] for r in rows)
        solve_ms = statistics.median(r[1] for r in rows)
        print(f"| {mode} | {kind} | {rows[0][3]:,} | {rows[0][2]} | {wall:,.0f} "
              f"| {solve_ms:,.0f} | {wall - solve_ms:,.0f} |")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scan", action="store_true",
                        help="also measure the answer lookup by scanning, in alternation")
    parser.add_argument("--apart", action="store_true",
                        help="also measure solves with the whole limit each and no start")
    args = parser.parse_args(argv)
    if args.orders < 1 or args.repeat < 1:
        parser.error("--orders and --repeat must be at least 1")
    with tempfile.TemporaryDirectory(prefix="dom-joint-run-") as tmp:
        folder = Path(tmp)
        print(f"building {args.orders:,} waiting orders (seed {args.seed})", flush=True)
        base = build(folder, args.orders, args.seed)
        modes = ["indexed"] + (["scan"] if args.scan else []) + (["apart"] if args.apart else [])
        samples = measure(base, folder, modes, args.repeat)
    report(samples)
    return {f"{mode}/{kind}": rows for (mode, kind), rows in samples.items()}


if __name__ == "__main__":
    main()
