"""The pure parts of the HTTP load benchmark: percentiles, request bodies, the bounded runner.

Kept apart from ``benchmarks.load`` (which starts servers and databases) so they can be tested
in a fraction of a second without a server: a load tool whose percentiles or stop conditions
are wrong would produce confident numbers about nothing.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Body = dict[str, Any]

# Physical SKUs of the demo catalog (dom.demo_data) with a realistic price, most popular first:
# orders pick them Zipf-like, so phones and laptops dominate the way they would in a shop.
PRICES: dict[str, float] = {
    "PHONE-X": 799.0, "LAPTOP-15": 999.0, "HEADPHONES-NC": 279.0, "CAM-SD-128": 24.5,
    "TABLET-11": 549.0, "CAMERA-Z": 1199.0, "CAM-BAG": 59.0, "CAM-LENS-50": 149.0,
    "WASHER-8KG": 649.0,
}
SKUS = tuple(PRICES)
WARRANTY = "WARRANTY-3Y"
CHANNELS = ("web", "web", "web", "marketplace", "store", "call_center")  # web most common
# Ship-to points: real US city centres, so sourcing compares real distances.
CITIES: tuple[tuple[float, float], ...] = (
    (40.7128, -74.0060), (34.0522, -118.2437), (41.8781, -87.6298), (29.7604, -95.3698),
    (33.4484, -112.0740), (39.9526, -75.1652), (32.7767, -96.7970), (37.7749, -122.4194),
    (47.6062, -122.3321), (39.7392, -104.9903), (42.3601, -71.0589), (33.7490, -84.3880),
    (25.7617, -80.1918), (44.9778, -93.2650), (45.5152, -122.6784), (36.1627, -86.7816),
)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between ranks (numpy's default).

    Written out rather than imported so the definition the README's p99 refers to is here to
    read; NaN for no values, because "no p99" must not print as 0 ms.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class OrderFactory:
    """Order bodies for ``POST /v1/orders`` that are unique per (prefix, n) and reproducible.

    Body ``n`` depends only on the seed and ``n``, not on which coroutine asked first, so two
    runs with the same seed send the same orders whatever the interleaving. ``prefix`` must be
    unique per run and phase: ``(channel, channel_order_id)`` is an idempotency key on the
    server, and a repeated id would measure a cheap 200 lookup instead of an intake.
    """

    prefix: str
    seed: int = 0

    def order(self, n: int) -> Body:
        rng = random.Random(self.seed * 1_000_003 + n)
        n_lines = rng.choices((1, 2, 3, 4), weights=(45, 30, 15, 10))[0]
        weights = [1 / (rank + 1) for rank in range(len(SKUS))]
        skus: list[str] = []
        while len(skus) < n_lines:
            sku = rng.choices(SKUS, weights=weights)[0]
            if sku not in skus:
                skus.append(sku)
        lines: list[Body] = [
            {"line_id": str(i + 1), "sku": sku, "qty": rng.choices((1, 2, 3), (80, 15, 5))[0],
             "unit_price": PRICES[sku]}
            for i, sku in enumerate(skus)
        ]
        laptop = next((line for line in lines if line["sku"] == "LAPTOP-15"), None)
        if laptop is not None and len(lines) < 4 and rng.random() < 0.3:
            lines.append({"line_id": str(len(lines) + 1), "sku": WARRANTY, "qty": 1,
                          "unit_price": 99.0, "covers_line_id": laptop["line_id"]})
        lat, lon = rng.choice(CITIES)
        customer = rng.randrange(20_000)
        return {
            "channel": rng.choice(CHANNELS),
            "channel_order_id": f"{self.prefix}-{n:07d}",
            "customer": {"id": f"C-{customer}", "name": f"Customer {customer}",
                         "email": f"c{customer}@example.com"},
            "ship_to": {"lat": round(lat + rng.uniform(-0.1, 0.1), 4),
                        "lon": round(lon + rng.uniform(-0.1, 0.1), 4)},
            "delivery": {"method": "ship"},
            "payment": {"status": "authorized"},
            "lines": lines,
        }

    def allocate(self, n: int) -> Body:
        """``POST /v1/allocate`` body: create order ``n`` and source it in one transaction."""
        return {"commit": True, "order": self.order(n)}


@dataclass(frozen=True)
class Sample:
    """One measured request. ``status`` 0 is a transport error or timeout (no HTTP answer)."""

    status: int
    ms: float
    outcome: str  # what the answer said, e.g. "allocated", "backordered", "409", "ReadTimeout"
    detail: str = ""  # the start of the body of a 5xx or the error text, for the report


@dataclass
class Phase:
    """What a bounded run did: its samples, how long it took and which bound stopped it."""

    samples: list[Sample]
    elapsed_s: float
    stopped_by: str  # "count" or "time"
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if 200 <= s.status < 300]

    @property
    def throughput(self) -> float:
        """Successful (2xx) requests per second of wall clock."""
        return len(self.ok) / self.elapsed_s if self.elapsed_s > 0 else math.nan

    def latency(self, q: float) -> float:
        return percentile([s.ms for s in self.ok], q)

    @property
    def mean_ms(self) -> float:
        """Mean latency of the successes. With a fixed number of clients it is about clients /
        throughput (Little's law) whatever the backend, so it compares fairly where p50 does
        not: a lock that lets most requests through at once and makes a few wait seconds has
        a low p50 and a high p99."""
        ok = [s.ms for s in self.ok]
        return sum(ok) / len(ok) if ok else math.nan

    def codes(self) -> Counter[str]:
        """Counts by class: 2xx, 409, other 4xx, 5xx, and "error" for no HTTP answer."""
        counts: Counter[str] = Counter()
        for s in self.samples:
            key = ("error" if s.status == 0 else "5xx" if s.status >= 500 else
                   "409" if s.status == 409 else "4xx" if s.status >= 400 else "2xx")
            counts[key] += 1
        return counts

    def outcomes(self) -> Counter[str]:
        return Counter(s.outcome for s in self.samples)


Send = Callable[[int], Awaitable[Sample]]
Progress = Callable[[int, float], None]


async def run_bounded(send: Send, *, concurrency: int, max_requests: int, max_seconds: float,
                      first: int = 0, progress: Progress | None = None,
                      progress_every_s: float = 5.0,
                      clock: Callable[[], float] = time.perf_counter) -> Phase:
    """Keep ``concurrency`` requests in flight until ``max_requests`` were issued or
    ``max_seconds`` passed, whichever comes first; then wait for those in flight.

    A closed loop with a fixed number of clients: each sends its next request when its previous
    one is answered, so the server is never asked for more than it can take (no queue builds up
    in the tool). ``send(n)`` gets request numbers ``first, first + 1, ...``, each exactly once.
    It should turn failures into samples itself; anything it raises becomes a status-0 sample
    so one bad request cannot end the run. In-flight requests are bounded by the caller's
    HTTP timeout, so the run ends within ``max_seconds`` plus one timeout.
    """
    if concurrency < 1 or max_requests < 0 or max_seconds <= 0:
        raise ValueError("concurrency >= 1, max_requests >= 0 and max_seconds > 0 are needed")
    samples: list[Sample] = []
    issued = 0
    started = clock()
    deadline = started + max_seconds
    cpu_started = time.process_time()
    timed_out = False

    async def client() -> None:
        nonlocal issued, timed_out
        while issued < max_requests:
            if clock() >= deadline:
                timed_out = True
                return
            n = first + issued
            issued += 1
            sent = clock()
            try:
                sample = await send(n)
            except Exception as error:  # the run goes on; the report shows the error
                sample = Sample(0, (clock() - sent) * 1000, type(error).__name__, str(error))
            samples.append(sample)

    async def report() -> None:
        while True:
            await asyncio.sleep(progress_every_s)
            if progress is not None:
                progress(len(samples), clock() - started)

    reporter = asyncio.create_task(report())
    try:
        await asyncio.gather(*(client() for _ in range(concurrency)))
    finally:
        reporter.cancel()
    elapsed = clock() - started
    return Phase(samples, elapsed, "time" if timed_out else "count",
                 client_cpu_s=time.process_time() - cpu_started)
