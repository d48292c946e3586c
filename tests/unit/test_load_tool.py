"""The load benchmark's pure parts (benchmarks/load_tool.py): no server, well under a second.

The benchmark's numbers are only as good as these: a wrong percentile, a repeated channel
order id (the server would answer a cheap 200 instead of taking an order) or a runner that
ignores its bounds would all still print plausible tables.
"""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest

from api.schemas.allocation import AllocateIn
from api.schemas.orders import OrderIn
from benchmarks.load_tool import (
    PRICES,
    WARRANTY,
    OrderFactory,
    Phase,
    Sample,
    percentile,
    run_bounded,
)


@pytest.mark.parametrize("values", [[5.0], [1.0, 2.0], [3.0, 1.0, 2.0, 10.0, 7.5],
                                    [float(i * i % 97) for i in range(1, 250)]])
@pytest.mark.parametrize("q", [0, 1, 50, 95, 99, 100])
def test_percentile_matches_numpy_linear_interpolation(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_nothing_is_nan_and_q_outside_0_100_is_refused() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_orders_are_valid_api_bodies_with_unique_ids_and_one_to_four_lines() -> None:
    factory = OrderFactory("LOAD-t-intake", seed=3)
    ids = set()
    for n in range(400):
        body = factory.order(n)
        OrderIn.model_validate(body)
        AllocateIn.model_validate(factory.allocate(n))
        ids.add((body["channel"], body["channel_order_id"]))
        lines = body["lines"]
        assert 1 <= len(lines) <= 4
        assert len({line["line_id"] for line in lines}) == len(lines)
        assert len({line["sku"] for line in lines}) == len(lines)
        for line in lines:
            assert line["sku"] in PRICES or line["sku"] == WARRANTY
            if line["sku"] == WARRANTY:
                covered = [x for x in lines if x["line_id"] == line["covers_line_id"]]
                assert covered and covered[0]["sku"] == "LAPTOP-15"
    assert len({i for _, i in ids}) == 400
    assert factory.allocate(7)["commit"] is True


def test_orders_are_reproducible_and_prefixes_keep_phases_apart() -> None:
    assert OrderFactory("A", 1).order(5) == OrderFactory("A", 1).order(5)
    assert OrderFactory("A", 1).order(5)["channel_order_id"] != \
        OrderFactory("B", 1).order(5)["channel_order_id"]


def test_the_runner_stops_at_the_request_count_and_sends_each_number_once() -> None:
    seen: list[int] = []

    async def send(n: int) -> Sample:
        seen.append(n)
        await asyncio.sleep(0)
        return Sample(201, 1.0, "allocated")

    phase = asyncio.run(run_bounded(send, concurrency=4, max_requests=25, max_seconds=60,
                                    first=100))
    assert phase.stopped_by == "count"
    assert sorted(seen) == list(range(100, 125))
    assert len(phase.samples) == 25 and phase.codes() == {"2xx": 25}


def test_the_runner_stops_at_the_time_cap_with_only_in_flight_requests_over_it() -> None:
    now = [0.0]  # a fake clock: each request takes one "second", so the test takes none

    async def send(n: int) -> Sample:
        await asyncio.sleep(0)
        now[0] += 1.0
        return Sample(200, 1000.0, "200")

    phase = asyncio.run(run_bounded(send, concurrency=3, max_requests=10**9, max_seconds=10,
                                    clock=lambda: now[0]))
    assert phase.stopped_by == "time"
    assert 10 <= len(phase.samples) <= 10 + 3
    assert phase.elapsed_s == now[0]


def test_a_send_that_raises_becomes_an_error_sample_and_the_run_goes_on() -> None:
    async def send(n: int) -> Sample:
        if n % 2:
            raise ConnectionError("refused")
        return Sample(500, 2.0, "500", "Internal Server Error")

    phase = asyncio.run(run_bounded(send, concurrency=2, max_requests=6, max_seconds=60))
    assert phase.codes() == {"error": 3, "5xx": 3}
    assert phase.outcomes()["ConnectionError"] == 3
    assert phase.ok == [] and phase.throughput == 0.0 and math.isnan(phase.latency(50))


def test_phase_classifies_codes_and_measures_only_successes() -> None:
    samples = [Sample(201, 10.0, "allocated"), Sample(201, 30.0, "backordered"),
               Sample(409, 5.0, "409"), Sample(422, 1.0, "422"), Sample(503, 1.0, "503")]
    phase = Phase(samples, elapsed_s=2.0, stopped_by="count")
    assert phase.codes() == {"2xx": 2, "409": 1, "4xx": 1, "5xx": 1}
    assert phase.throughput == 1.0
    assert phase.latency(50) == 20.0
    assert phase.mean_ms == 20.0  # 2xx only: the 409, 422 and 503 do not count


@pytest.mark.parametrize("bad", [{"concurrency": 0}, {"max_seconds": 0}, {"max_requests": -1}])
def test_the_runner_refuses_bounds_that_cannot_work(bad: dict[str, float]) -> None:
    async def send(n: int) -> Sample:
        return Sample(200, 0.0, "200")

    arguments = {"concurrency": 1, "max_requests": 1, "max_seconds": 1.0, **bad}
    with pytest.raises(ValueError):
        asyncio.run(run_bounded(send, **arguments))  # type: ignore[arg-type]
