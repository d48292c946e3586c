"""Sweeps: one scenario per value of a day of delivery, in parallel local processes (and on a
Dask cluster, marked slow: it starts worker processes), and the cost/time frontier."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from planner import frontier, parse_definition, prepare, run_many, sweep_inputs
from planner.scenario import evaluate
from tests.unit.planner.network import definition

VALUES = [0.0, 2.0, 5.0, 10.0, 20.0, 40.0]


def points() -> list[Any]:
    raw = definition(sweep={"field": "cost_per_day", "values": VALUES})
    parsed = parse_definition(raw)
    return sweep_inputs(prepare(parsed, None).base, parsed)


def comparable(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """KPIs without the wall-clock fields."""
    return [{**{k: v for k, v in a["kpis"].items() if k != "run_ms"}, "label": a["label"],
             "solver": (a["solver"]["name"], a["solver"]["status"])} for a in answers]


def test_a_cost_per_day_sweep_is_balanced_and_its_frontier_is_monotone() -> None:
    inputs = points()
    assert [i.params.objective for i in inputs] == ["balanced"] * len(VALUES)
    answers = run_many(inputs)  # two local processes
    assert [a["label"]["cost_per_day"] for a in answers] == VALUES
    front = frontier(answers)
    assert len(front) == 4  # LA, DAL, CHI, NJ: each value of a day picks another warehouse
    days = [p["kpis"]["mean_delivery_days"] for p in front]
    costs = [p["kpis"]["total_cost"] for p in front]
    assert days == sorted(days)
    # As delivery time falls, cost never falls.
    assert all(earlier >= later for earlier, later in pairwise(costs))
    assert comparable(answers) == comparable([evaluate(i) for i in inputs])


@pytest.mark.slow
def test_a_dask_cluster_of_two_worker_processes_gets_the_same_kpis_as_local_processes(
) -> None:
    distributed = pytest.importorskip("distributed")
    inputs = points()
    local = run_many(inputs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = run_many(inputs, client=client)
        assert len(client.scheduler_info()["workers"]) == 2
        by_address = run_many(inputs, scheduler=cluster.scheduler_address)  # DOM_DASK_SCHEDULER
    assert comparable(on_dask) == comparable(local) == comparable(by_address)
