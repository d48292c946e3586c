"""HTTP load on a real ``dom serve``: order intake and allocate-with-commit per second, latency.

    python -m benchmarks.load --quick     # 400 requests or 30 s per scenario and target (~2 min)
    python -m benchmarks.load --full      # 3,000 requests or 120 s each (~11 min)
    python -m benchmarks.load --backends sqlite --workers 1,2 --requests 1000 --seconds 60

For each target (SQLite and PostgreSQL, 1 and N worker processes) a fresh database is created
and migrated, ``dom serve`` is started on a free loopback port (tests/e2e/live_server.py),
the demo network and catalog are loaded with stock enough for every order, and three
scenarios run in turn, each after an unmeasured warm-up, with a fixed number of concurrent
clients (a closed loop) and bounded by a request count AND a wall-clock cap:

* intake:   ``POST /v1/orders`` with a unique channel order id and 1-4 lines, payment
            authorized, so (as the contract says) the order is sourced before the answer;
* allocate: ``POST /v1/allocate`` with ``commit: true`` and an inline order (create and
            source in one transaction); 409 and ``backordered`` are counted apart;
* read:     ``GET /v1/orders/{id}`` over the orders the intake created.

The machine is shared and noisy, so results are ratios against a baseline measured in the same
run (SQLite with 1 worker, the first target); the baseline is measured again at the end, and
the difference between its two runs is the noise to read the ratios against. Any 5xx or
transport error is printed loudly with the server log's errors: under load they are bugs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.load_tool import SKUS, OrderFactory, Phase, Sample, Send, run_bounded
from dom.demo_data import demo_locations, demo_products
from storage import make_engine, upgrade
from tests.e2e.live_server import running_server

ADMIN = {"Authorization": "Bearer admin-key"}  # keys from tests.conftest.TEST_KEYS
CHANNEL = {"Authorization": "Bearer channel-key"}
POSTGRES_URL = os.environ.get("DOM_TEST_POSTGRES_URL",
                              "postgresql+psycopg://root@127.0.0.1:5432/test")
SCENARIOS = ("intake", "allocate", "read")
REQUEST_TIMEOUT_S = 30.0
WAREHOUSE_STOCK = 1_000_000  # per warehouse and SKU: no order of the run can run out
STORE_STOCK = 20


@dataclass(frozen=True)
class Plan:
    concurrency: int
    requests: int
    seconds: float
    warmup: int


@dataclass
class Result:
    target: str
    backend: str
    workers: int
    scenario: str
    phase: Phase


# -- databases and servers ----------------------------------------------------------------

@contextmanager
def database(backend: str, folder: Path, postgres_url: str) -> Iterator[str]:
    """A fresh, migrated database for one target; a PostgreSQL one is dropped afterwards.

    Migrated here rather than by the server so N workers do not race to create the schema.
    """
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    name = f"dom_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(base: str) -> None:
    """The demo network and catalog, with stock enough that every order can be filled.

    The warehouses' daily capacity is lifted: it counts every active reservation, and a run
    reserves ~15,000 units, more than the demo's 13,500 a day, after which allocations would
    measure backordering instead of sourcing. The stores keep theirs (40 units) and fill up.
    """
    with httpx.Client(base_url=base, headers=ADMIN, timeout=REQUEST_TIMEOUT_S) as http:
        locations = demo_locations()
        for location_id, body in locations:
            if body["type"] == "warehouse":
                body.pop("capacity_units_per_day", None)
            http.put(f"/v1/locations/{location_id}", json=body).raise_for_status()
        for sku, body in demo_products():
            http.put(f"/v1/products/{sku}", json=body).raise_for_status()
        for location_id, body in locations:
            if body["type"] == "supplier":
                continue
            on_hand = WAREHOUSE_STOCK if body["type"] == "warehouse" else STORE_STOCK
            for sku in SKUS:
                http.put(f"/v1/inventory/{location_id}/{sku}",
                         json={"on_hand": on_hand}).raise_for_status()


def server_cpu_s() -> float:
    """CPU seconds used so far by every process this one started (the server and workers)."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def log_problems(folder: Path, limit: int = 12) -> list[str]:
    """Lines of the server logs that name an error, for the report."""
    words = ("Traceback", "ERROR", "Error", "database is locked", "deadlock", "Exception")
    found: list[str] = []
    for log in sorted(folder.glob("server-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if any(word in line for word in words):
                found.append(line.strip()[:300])
    return found[:limit] + ([f"... {len(found) - limit} more"] if len(found) > limit else [])


# -- scenarios ----------------------------------------------------------------------------

async def _post(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Sample:
    started = time.perf_counter()
    try:
        response = await http.post(path, json=body)
    except httpx.HTTPError as error:
        return Sample(0, (time.perf_counter() - started) * 1000, type(error).__name__,
                      str(error)[:200])
    ms = (time.perf_counter() - started) * 1000
    return _sample(response, ms)


def _sample(response: httpx.Response, ms: float) -> Sample:
    code = response.status_code
    if code >= 500:
        return Sample(code, ms, str(code), response.text[:300])
    if 200 <= code < 300:
        status = response.json().get("status")
        return Sample(code, ms, str(status) if status else str(code))
    return Sample(code, ms, str(code), response.text[:200])


def _progress(label: str, total: int) -> Any:
    def show(done: int, elapsed: float) -> None:
        rate = done / elapsed if elapsed > 0 else 0.0
        print(f"    {label}: {done}/{total} in {elapsed:.0f} s ({rate:.1f}/s)",
              file=sys.stderr, flush=True)
    return show


async def run_scenarios(base: str, plan: Plan, token: str, seed: int,
                        scenarios: tuple[str, ...]) -> dict[str, Phase]:
    """Each scenario: a warm-up (not recorded), then the measured, bounded run."""
    limits = httpx.Limits(max_connections=plan.concurrency,
                          max_keepalive_connections=plan.concurrency)
    phases: dict[str, Phase] = {}
    created: list[str] = []
    async with httpx.AsyncClient(base_url=base, headers=CHANNEL, limits=limits,
                                 timeout=REQUEST_TIMEOUT_S) as http:

        async def intake(n: int, factory: OrderFactory) -> Sample:
            started = time.perf_counter()
            try:
                response = await http.post("/v1/orders", json=factory.order(n))
            except httpx.HTTPError as error:
                return Sample(0, (time.perf_counter() - started) * 1000, type(error).__name__,
                              str(error)[:200])
            ms = (time.perf_counter() - started) * 1000
            if response.status_code == 201:
                created.append(response.json()["order_id"])
            return _sample(response, ms)

        async def read(n: int) -> Sample:
            order_id = created[n % len(created)]
            started = time.perf_counter()
            try:
                response = await http.get(f"/v1/orders/{order_id}")
            except httpx.HTTPError as error:
                return Sample(0, (time.perf_counter() - started) * 1000, type(error).__name__,
                              str(error)[:200])
            return _sample(response, (time.perf_counter() - started) * 1000)

        def sender(kind: str, factory: OrderFactory) -> Send:
            if kind == "intake":
                return lambda n: intake(n, factory)
            if kind == "allocate":
                return lambda n: _post(http, "/v1/allocate", factory.allocate(n))
            return read

        for scenario in scenarios:
            if scenario == "read" and not created:  # reads need orders: make some first
                await run_bounded(sender("intake", OrderFactory(f"READ-{token}", seed + 2)),
                                  concurrency=plan.concurrency,
                                  max_requests=max(plan.warmup, 50), max_seconds=plan.seconds)
            await run_bounded(sender(scenario, OrderFactory(f"WARM-{token}-{scenario}", seed + 1)),
                              concurrency=plan.concurrency, max_requests=plan.warmup,
                              max_seconds=plan.seconds)
            factory = OrderFactory(f"LOAD-{token}-{scenario}", seed)
            cpu_before = server_cpu_s()
            phase = await run_bounded(sender(scenario, factory), concurrency=plan.concurrency,
                                      max_requests=plan.requests, max_seconds=plan.seconds,
                                      progress=_progress(scenario, plan.requests))
            phase.server_cpu_s = server_cpu_s() - cpu_before
            phases[scenario] = phase
            print(f"    {scenario}: {len(phase.samples)} requests in {phase.elapsed_s:.1f} s "
                  f"(stopped by {phase.stopped_by}), {phase.throughput:.1f}/s ok, "
                  f"p50 {phase.latency(50):.1f} ms, p99 {phase.latency(99):.1f} ms, "
                  f"{dict(phase.codes())}", file=sys.stderr, flush=True)
    return phases


def run_target(backend: str, workers: int, label: str, plan: Plan, rng_seed: int,
               postgres_url: str, scenarios: tuple[str, ...]) -> tuple[list[Result], list[str]]:
    """One target from a fresh database to a stopped server; returns results and log errors."""
    print(f"\n== {label}: starting", file=sys.stderr, flush=True)
    token = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="dom-load-") as tmp:
        folder = Path(tmp)
        with database(backend, folder, postgres_url) as url:
            with running_server(url, folder, workers=workers) as base:
                seed_started = time.perf_counter()
                seed(base)
                print(f"    seeded in {time.perf_counter() - seed_started:.1f} s",
                      file=sys.stderr, flush=True)
                phases = asyncio.run(run_scenarios(base, plan, token, rng_seed, scenarios))
            problems = log_problems(folder)
    return [Result(label, backend, workers, s, p) for s, p in phases.items()], problems


# -- report -------------------------------------------------------------------------------

def fmt(value: float, spec: str) -> str:
    return "-" if math.isnan(value) else format(value, spec)


def table(results: list[Result], scenario: str, baseline: str) -> list[str]:
    """A markdown table for one scenario; ratios against ``baseline``'s row."""
    rows = [r for r in results if r.scenario == scenario]
    base = next((r for r in rows if r.target == baseline), None)
    lines = [
        "| target | requests | s | ok/s | vs base | mean ms | p50 ms | p95 ms | p99 ms | "
        "p50 vs base | 409 | 4xx | 5xx | errors | outcomes | client CPU | server CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p = r.phase
        codes = p.codes()
        ratio = p.throughput / base.phase.throughput if base else math.nan
        p50_ratio = p.latency(50) / base.phase.latency(50) if base else math.nan
        outcomes = ", ".join(f"{k} {v}" for k, v in p.outcomes().most_common(4)
                             if k not in ("200", "201"))
        server = "-" if p.server_cpu_s is None else f"{100 * p.server_cpu_s / p.elapsed_s:.0f}%"
        lines.append(
            f"| {r.target} | {len(p.samples)} | {p.elapsed_s:.1f} | {p.throughput:.1f} | "
            f"{fmt(ratio, '.2f')} | {fmt(p.mean_ms, '.1f')} | {fmt(p.latency(50), '.1f')} | "
            f"{fmt(p.latency(95), '.1f')} | "
            f"{fmt(p.latency(99), '.1f')} | {fmt(p50_ratio, '.2f')} | {codes['409']} | "
            f"{codes['4xx']} | {codes['5xx']} | {codes['error']} | {outcomes or '-'} | "
            f"{100 * p.client_cpu_s / p.elapsed_s:.0f}% | {server} |")
    return lines


def failures(results: list[Result]) -> list[str]:
    """Every 5xx and transport error, grouped: under load these are bugs, not noise."""
    lines: list[str] = []
    for r in results:
        bad = [s for s in r.phase.samples if s.status == 0 or s.status >= 500]
        if bad:
            lines.append(f"!! {r.target} / {r.scenario}: {len(bad)} failed requests")
            seen: set[str] = set()
            for s in bad:
                key = f"{s.status} {s.outcome} {s.detail[:120]}"
                if key not in seen:
                    seen.add(key)
                    lines.append(f"   {key}")
                if len(seen) >= 5:
                    break
    return lines


def to_json(results: list[Result]) -> list[dict[str, Any]]:
    out = []
    for r in results:
        p = r.phase
        out.append({
            "target": r.target, "backend": r.backend, "workers": r.workers,
            "scenario": r.scenario, "requests": len(p.samples), "elapsed_s": p.elapsed_s,
            "stopped_by": p.stopped_by, "ok_per_s": p.throughput,
            "mean_ms": p.mean_ms, "p50_ms": p.latency(50), "p95_ms": p.latency(95),
            "p99_ms": p.latency(99),
            "codes": dict(p.codes()), "outcomes": dict(p.outcomes()),
            "client_cpu_s": p.client_cpu_s, "server_cpu_s": p.server_cpu_s,
        })
    return out


# -- command line -------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true",
                       help="400 requests or 30 s per scenario, 8 clients (default)")
    group.add_argument("--full", action="store_true",
                       help="3,000 requests or 120 s per scenario, 16 clients")
    parser.add_argument("--backends", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres")
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 2}",
                        help="comma-separated worker counts; the first is the baseline's")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--concurrency", type=int, help="concurrent clients")
    parser.add_argument("--requests", type=int, help="measured requests per scenario (cap)")
    parser.add_argument("--seconds", type=float, help="wall-clock cap per scenario")
    parser.add_argument("--warmup", type=int, help="unmeasured requests before each scenario")
    parser.add_argument("--no-repeat-baseline", action="store_true",
                        help="do not measure the baseline again at the end")
    parser.add_argument("--postgres-url", default=POSTGRES_URL,
                        help="admin URL of the PostgreSQL server (a database is created on it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    defaults = Plan(16, 3000, 120.0, 200) if args.full else Plan(8, 400, 30.0, 40)
    plan = Plan(args.concurrency or defaults.concurrency, args.requests or defaults.requests,
                args.seconds or defaults.seconds,
                defaults.warmup if args.warmup is None else args.warmup)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(backends) - {"sqlite", "postgres"}:
        parser.error("--backends takes sqlite and/or postgres")
    workers = [int(w) for w in args.workers.split(",")]
    scenarios = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    if set(scenarios) - set(SCENARIOS):
        parser.error(f"--scenarios takes {', '.join(SCENARIOS)}")
    targets = [(b, w, f"{b} x{w}") for b in backends for w in workers]
    baseline = targets[0][2]
    if not args.no_repeat_baseline and len(targets) > 1:
        targets.append((targets[0][0], targets[0][1], f"{baseline} (again)"))

    command = " ".join(["python -m benchmarks.load", *(argv if argv is not None else
                                                       sys.argv[1:])])
    header = (f"# dom HTTP load benchmark: `{command}`\n"
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"{platform.node()}, {os.cpu_count()} cores, "
              f"{psutil.virtual_memory().total / 2**30:.0f} GiB, "
              f"{platform.processor() or platform.machine()}, "
              f"python {platform.python_version()}, load average "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at start\n"
              f"{plan.concurrency} clients, {plan.requests} requests or {plan.seconds:.0f} s "
              f"per scenario (whichever first), {plan.warmup} warm-up; baseline {baseline}")
    print(header, flush=True)
    started = time.perf_counter()
    results: list[Result] = []
    problems: dict[str, list[str]] = {}
    for backend, n_workers, label in targets:
        found, logged = run_target(backend, n_workers, label, plan, args.seed,
                                   args.postgres_url, scenarios)
        results.extend(found)
        if logged:
            problems[label] = logged

    print(header)
    for scenario in scenarios:
        print(f"\n## {scenario}\n")
        print("\n".join(table(results, scenario, baseline)))
    bad = failures(results)
    if bad or problems:
        print("\n!!!!!!!! FAILURES UNDER LOAD !!!!!!!!")
        print("\n".join(bad))
        for label, lines in problems.items():
            print(f"!! server log, {label}:")
            print("\n".join(f"   {line}" for line in lines))
    print(f"\nload average {', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end; "
          f"wall clock {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"command": command, "header": header,
                                         "results": to_json(results),
                                         "server_log_problems": problems}, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
