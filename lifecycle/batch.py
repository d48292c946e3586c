"""Joint sourcing: every order waiting for stock in one optimization.

Sourcing orders one at a time hands each the cheapest stock even when a later order needs it
more; the joint model decides them together. A run can also re-solve allocations not yet
released to their locations (``reoptimize``) when stock arrived or a location closed, and it
refreshes the opportunity costs that lookahead sourcing uses.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lifecycle import observe, pipelines
from lifecycle.network import load_network, order_spec, params_for, remaining_lines
from lifecycle.sourcing import SOURCEABLE, apply, solver_info
from lifecycle.uow import UnitOfWork, UowFactory
from models import Conflict, InsufficientStock, Order, OrderStatus
from models.fulfillments import Fulfillment, FulfillmentStatus
from optimizer import Params, Problem, build_problem, choose_backend, joint_opportunity_costs, solve

log = logging.getLogger("dom.batch")

MAX_STOCK_RETRIES = 3
WAITING = sorted(s.value for s in SOURCEABLE)


@dataclass
class RunOutcome:
    orders: int = 0
    allocated: int = 0
    partially_allocated: int = 0
    backordered: int = 0
    rejected: int = 0
    units_allocated: int = 0
    cost: float = 0.0
    shipments: int = 0
    solver: dict[str, Any] = field(default_factory=dict)
    reoptimized: dict[str, Any] | None = None


def _release_unreleased(uow: UnitOfWork) -> tuple[list[Fulfillment], set[str]]:
    """Take back allocations still waiting for release, so the joint model may move them."""
    taken = uow.fulfillments.with_status([FulfillmentStatus.ALLOCATED.value])
    for fulfillment in taken:
        uow.ledger.release_fulfillment(fulfillment.id)
        fulfillment.status = FulfillmentStatus.CANCELLED
        fulfillment.attributes = {**fulfillment.attributes, "cancelled_by": "reoptimize"}
        uow.fulfillments.save(fulfillment)
    return taken, {f.order_id for f in taken}


def _waiting_orders(uow: UnitOfWork, also: set[str]) -> list[Order]:
    found = {o.id: o for o in uow.orders.with_statuses(WAITING)}
    for order_id in also - found.keys():
        order = uow.orders.get(order_id)
        if order is not None:
            found[order_id] = order
    return [o for o in found.values()
            if o.payment_settled and not o.hold_reason and o.status is not OrderStatus.CANCELLED
            and pipelines.has_step(o, "source")]


@contextmanager
def _parts_executor(problem: Problem, params: Params) -> Iterator[tuple[Any, int | None]]:
    """Where a split batch's regions run: the Dask cluster at DOM_DASK_SCHEDULER when set (and
    the batch is big enough for ``solve`` to split it), else local processes (None)."""
    scheduler = os.environ.get("DOM_DASK_SCHEDULER")
    if not scheduler or choose_backend(problem, params) != "split":
        yield None, None
        return
    try:
        from distributed import Client

        client = Client(scheduler, timeout=10)  # type: ignore[no-untyped-call]
    except Exception:  # an unreachable cluster must not stop sourcing
        log.warning("Dask scheduler %s unreachable; regions run in local processes", scheduler)
        yield None, None
        return
    try:
        workers = sum(client.nthreads().values()) or None  # type: ignore[no-untyped-call]
        yield client.get_executor(), workers  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]


def _run_once(uow: UnitOfWork, reoptimize: bool, now: datetime) -> RunOutcome:
    policy = uow.policy.get()
    outcome = RunOutcome()
    taken, moved_orders = _release_unreleased(uow) if reoptimize else ([], set())
    orders = _waiting_orders(uow, moved_orders)
    existing = uow.fulfillments.for_orders([o.id for o in orders])
    work = [(o, remaining_lines(o, existing[o.id])) for o in orders]
    work = [(o, lines) for o, lines in work if lines]
    outcome.orders = len(work)
    if not work:
        return outcome
    network = load_network(uow, {line.sku for _, lines in work for line in lines})
    params = params_for(policy)
    problem = build_problem([order_spec(o, lines) for o, lines in work], network.specs,
                            network.stock, params)
    with _parts_executor(problem, params) as (executor, workers):
        result = solve(problem, params, executor=executor, workers=workers)
    outcome.solver = solver_info(result)
    observe.solved(outcome.solver)
    for order, _ in work:
        assignment = result.assignment(order.id)
        if policy.backorder == "reject" and assignment.unallocated:
            outcome.rejected += 1
            continue
        allocation = apply(uow, order, policy, network, result, assignment, existing[order.id],
                           policy.objective, now)
        setattr(outcome, allocation.status, getattr(outcome, allocation.status) + 1)
        outcome.units_allocated += sum(line.qty for f in allocation.fulfillments
                                       for line in f.lines)
        outcome.cost += allocation.plain_cost
        outcome.shipments += allocation.shipments
    outcome.cost = round(outcome.cost, 2)
    uow.policy.replace_opportunity_costs(joint_opportunity_costs(problem, params))
    if reoptimize:
        before = round(sum(f.cost or 0.0 for f in taken), 2)
        after = round(sum(f.cost or 0.0 for f in uow.fulfillments.with_status(
            [FulfillmentStatus.ALLOCATED.value]) if f.order_id in moved_orders), 2)
        outcome.reoptimized = {"fulfillments_reconsidered": len(taken), "cost_before": before,
                               "cost_after": after, "saving": round(before - after, 2)}
    return outcome


def run_allocations(uow_factory: UowFactory, *, reoptimize: bool = False,
                    now: datetime | None = None) -> RunOutcome:
    """Source every order waiting for stock jointly, in one transaction."""
    for attempt in range(1, MAX_STOCK_RETRIES + 1):
        try:
            with uow_factory() as uow:
                outcome = _run_once(uow, reoptimize, now or datetime.now(UTC))
                uow.commit()
                return outcome
        except InsufficientStock:
            log.info("stock changed during a joint run (attempt %d); re-solving", attempt)
    raise Conflict("stock kept changing during the joint run; retry")
