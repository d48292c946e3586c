"""Joint sourcing: every order waiting for stock in one optimization.

Sourcing orders one at a time hands each the cheapest stock even when a later order needs it
more; the joint model decides them together. A run can also re-solve allocations not yet
released to their locations (``reoptimize``) when stock arrived or a location closed, and it
refreshes the opportunity costs that lookahead sourcing uses.

Re-optimization plans before it writes: the joint model sees the stock of the unreleased
allocations it may move as available again, and only once the answer is final are those it
replaces cancelled and the new ones reserved, in the run's one transaction. Only orders the run
sources may lose an allocation (one on hold or waiting for payment keeps its own), an order
the answer would leave short under ``backorder: reject`` keeps the allocation it had, and an
allocation moves only for a saving (the model keeps it on a tie, and ``unpaid_moves`` puts back
what an unproven answer moved for nothing).
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from lifecycle import observe, pipelines
from lifecycle.network import (
    Network,
    earliest_release,
    load_network,
    order_spec,
    params_for,
    remaining_lines,
    work_starts,
)
from lifecycle.sourcing import (
    SOURCEABLE,
    Allocation,
    apply,
    policy_for_order,
    solver_info,
    take_back,
    units_by_line,
)
from lifecycle.unpaid_moves import keep_unpaid_moves
from lifecycle.uow import UnitOfWork, UowFactory
from models import Conflict, InsufficientStock, Order, OrderStatus
from models.fulfillments import Fulfillment, FulfillmentStatus, FulfillmentType
from models.order_progress import uncovered_units
from models.policy import SourcingPolicy
from optimizer import (
    LineSpec,
    OrderAssignment,
    OrderSpec,
    Params,
    Problem,
    Result,
    Shipment,
    build_problem,
    choose_backend,
    solve,
)
from optimizer.explain import explain_result
from optimizer.lookahead import fresh_opportunity_costs

log = logging.getLogger("dom.batch")

MAX_STOCK_RETRIES = 3
# A run's solves share the policy's time limit; one that finds it spent still gets this share
# of it (it starts from the previous answer, so a short limit costs it little: Rounds)
MIN_ROUND_SHARE = 0.1
# Orders that may wait for stock: not yet sourced, left short, or under way with units short
# (a rejection or short pick after part of the order was accepted or shipped).
WAITING = sorted({s.value for s in SOURCEABLE}
                 | {OrderStatus.IN_FULFILLMENT.value, OrderStatus.PARTIALLY_SHIPPED.value})
Taken = dict[str, list[Fulfillment]]  # order id -> its unreleased allocations the run may move


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


@dataclass
class Moves:
    """What re-optimization reconsidered, replaced and made of it: the run's ``reoptimized``.

    ``cost_before`` is what the reconsidered allocations cost; ``cost_after`` what their orders'
    allocations cost afterwards: the reconsidered ones the run kept, plus every fulfillment it
    created in place of the others, whatever its status (released at once when the release
    delay is 0). Units those orders had covered and no longer have are counted in
    ``units_unfilled``, never as money saved: an unfilled unit costs nothing to ship, yet
    leaving it is no saving, so ``saving`` leaves out their share of what the replaced
    allocations cost (``before_unfilled``, pro rata by units of the allocation they were in).
    The other way round, units a replacement also fills that waited before the run
    (``units_filled``) are no loss either: ``saving`` leaves out their share of what the
    replacements cost (``after_filled``, pro rata by units of the replacements).
    """

    reconsidered: int = 0
    cost_reconsidered: float = 0.0
    cost_replaced: float = 0.0
    cost_replacements: float = 0.0
    before_unfilled: float = 0.0
    after_filled: float = 0.0
    units_unfilled: int = 0
    units_filled: int = 0
    restored: int = 0

    def report(self) -> dict[str, Any]:
        kept = self.cost_reconsidered - self.cost_replaced
        saving = (self.cost_replaced - self.before_unfilled) \
            - (self.cost_replacements - self.after_filled)
        return {"fulfillments_reconsidered": self.reconsidered,
                "cost_before": round(self.cost_reconsidered, 2),
                "cost_after": round(kept + self.cost_replacements, 2),
                "saving": round(saving, 2),
                "units_unfilled": self.units_unfilled, "units_filled": self.units_filled,
                "orders_restored": self.restored}


@dataclass
class Rounds:
    """The joint solves of one run, which share the policy's time limit.

    A run solves again after restoring orders a move would have cost units, or refusing orders
    under ``backorder: reject``; each of those solves used to get the whole limit, so a run
    could take several times it. Now each gets what the solves before it left of the limit
    (at least ``MIN_ROUND_SHARE`` of it) and starts from the answer before it
    (``solve(start=...)``): the first from the allocations a re-optimization may move, the
    next ones from the last answer, which nearly fits what changed. So a round that finds the
    limit spent answers at least as well as the round before it, in milliseconds, and the
    run's solving takes about the limit. The limit counts solving only (building the problem
    and solving it), not reading the orders or writing the answer, as for one order; a retry
    after a concurrent stock change shares it too. Rounds that take the last answer as it is
    (``_plan``'s walk) are counted like the others.
    """

    limit_ms: int = 0
    count: int = 0
    ms: float = 0.0
    start: dict[tuple[str, str, str], int] | None = None

    def attempt(self, limit_ms: int, taken: Taken) -> None:
        """A (new) attempt at the run under the policy's limit: it plans from scratch, the
        first solve starting from the allocations it may move (``taken``), if any."""
        self.limit_ms, self.start = limit_ms, held_placements(taken) or None

    def params(self, params: Params) -> Params:
        """``params`` with the limit this round gets."""
        left = max(self.limit_ms - self.ms, MIN_ROUND_SHARE * self.limit_ms)
        return replace(params, time_limit_ms=max(1, round(left)))

    def record(self, result: Result, ms: float) -> None:
        """Count a solve; its answer is where the next one starts."""
        self.spent(ms)
        self.start = result.placements()

    def spent(self, ms: float) -> None:
        """Count a solve that is no round of its own (a refused order checked alone against
        the idle stock, ``_fits_what_is_left``): its time shares the limit too."""
        self.count += 1
        self.ms += ms

    def info(self, result: Result) -> dict[str, Any]:
        """The last answer's solver info, with how many solves the run made and their time."""
        return {**solver_info(result), "solves": self.count, "solves_ms": round(self.ms, 3)}


def held_placements(taken: Taken) -> dict[tuple[str, str, str], int]:
    """Units per (order, line, location) of the allocations a re-optimization may move."""
    placements: dict[tuple[str, str, str], int] = {}
    for fulfillments in taken.values():
        for f in fulfillments:
            for line in f.lines:
                key = (f.order_id, line.line_id, str(f.location_id))
                placements[key] = placements.get(key, 0) + line.qty
    return placements


@dataclass
class Plan:
    """The joint answer a run commits, with the allocations it was free to move."""

    work: list[tuple[Order, list[LineSpec]]]
    taken: Taken
    network: Network
    problem: Problem
    params: Params
    result: Result


@dataclass
class Step:
    """One order's share of the answer: what to write, and which allocations it replaces."""

    order: Order
    assignment: OrderAssignment
    replaced: list[Fulfillment]


def sourceable(order: Order) -> bool:
    """Whether this run sources the order: payment settled, no hold, open, a sourcing step."""
    return (order.payment_settled and not order.hold_reason
            and order.status not in (OrderStatus.CANCELLED, OrderStatus.ON_HOLD)
            and pipelines.has_step(order, "source"))


def _waiting_orders(uow: UnitOfWork) -> dict[str, Order]:
    return {o.id: o for o in uow.orders.with_statuses(WAITING) if sourceable(o)}


def _unreleased(uow: UnitOfWork, orders: dict[str, Order]) -> Taken:
    """Unreleased allocations of orders this run sources (added to ``orders``).

    An order on hold or waiting for payment keeps its allocation: the run could not source it
    again, so taking its stock back would lose the reservation.
    """
    taken: Taken = {}
    refused: set[str] = set()
    for fulfillment in uow.fulfillments.with_status([FulfillmentStatus.ALLOCATED.value]):
        if fulfillment.type is FulfillmentType.SERVICE or fulfillment.location_id is None \
                or fulfillment.order_id in refused:
            continue
        order = orders.get(fulfillment.order_id) or uow.orders.get(fulfillment.order_id)
        if order is None or not sourceable(order):
            refused.add(fulfillment.order_id)
            continue
        orders[order.id] = order
        taken.setdefault(order.id, []).append(fulfillment)
    return taken


def _work(orders: dict[str, Order], existing: dict[str, list[Fulfillment]],
          taken: Taken) -> list[tuple[Order, list[LineSpec]]]:
    """Each order with the units left to source once its taken allocations are gone."""
    work = []
    for order in orders.values():
        gone = {f.id for f in taken.get(order.id, ())}
        lines = remaining_lines(order, [f for f in existing.get(order.id, [])
                                        if f.id not in gone])
        if lines:
            work.append((order, lines))
    return work


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


def _network(uow: UnitOfWork, work: list[tuple[Order, list[LineSpec]]],
             taken: Taken) -> Network:
    """The network for ``work``'s SKUs, the stock and room of the allocations taken back free."""
    return load_network(uow, {line.sku for _, lines in work for line in lines},
                        released=[f for fulfillments in taken.values() for f in fulfillments])


def _order_specs(policy: SourcingPolicy, work: list[tuple[Order, list[LineSpec]]],
                 taken: Taken, existing: dict[str, list[Fulfillment]],
                 now: datetime) -> list[OrderSpec]:
    """The optimizer's view of each order of ``work``; its taken allocations are re-solved,
    so they count as made by no earlier decision."""
    specs = []
    for o, lines in work:
        gone = {f.id for f in taken.get(o.id, ())}
        made = [f for f in existing.get(o.id, []) if f.id not in gone]
        specs.append(order_spec(o, lines, today=work_starts(o, policy, now), made=made,
                                moving=taken.get(o.id, ())))
    return specs


def _solve(uow: UnitOfWork, policy: SourcingPolicy, work: list[tuple[Order, list[LineSpec]]],
           taken: Taken, existing: dict[str, list[Fulfillment]], now: datetime,
           rounds: Rounds | None = None, walk: bool = False) -> Plan:
    """One joint solve; under ``rounds``, with the run's time left and from its last answer
    (the first from the allocations it may move). ``walk``: that answer made feasible, no
    backend asked (``solve(keep_start=True)``), and not explained (``_plan`` explains the one
    it keeps)."""
    network = _network(uow, work, taken)
    params = params_for(policy)
    start = None
    if rounds is not None:
        params, start = rounds.params(params), rounds.start
    specs = _order_specs(policy, work, taken, existing, now)
    began = time.perf_counter()
    problem = build_problem(specs, network.specs, network.stock, params)
    with _parts_executor(problem, params) as (executor, workers):
        result = solve(problem, params, executor=executor, workers=workers, start=start,
                       keep_start=walk, explain=not walk)
    if rounds is not None:
        rounds.record(result, (time.perf_counter() - began) * 1000.0)
    return Plan(work, taken, network, problem, params, result)


def _plan(uow: UnitOfWork, policy: SourcingPolicy, orders: dict[str, Order],
          existing: dict[str, list[Fulfillment]], taken: Taken, moves: Moves,
          now: datetime, rounds: Rounds) -> Plan | None:
    """Solve jointly; None when no order has units to source.

    An order whose allocation was taken back keeps it instead (``moves.restored``), and the
    rest is solved again without moving it, when the answer would leave short units it had
    covered and either ``backorder: reject`` would refuse it or no order of higher priority
    took that SKU where its allocation held it (an equal-priority swap saves nothing). Each
    round keeps at least one more order, so this ends.

    Restoring an order takes its units back from the orders the answer gave them to, which may
    then lose units they held and be restored in turn, one link of the chain per round (at
    1,500 orders six rounds of 0.2 s each). Once a solve finds nothing better than the answer
    it started from, the rounds after it take that answer made feasible without asking a
    backend (``walk``), until one restores nobody.
    """
    walk = False
    while True:
        work = _work(orders, existing, taken)
        if not work:
            return None
        plan = _solve(uow, policy, work, taken, existing, now, rounds, walk)
        walked, walk = walk, walk or plan.result.start_kept
        if taken:
            unmoved = keep_unpaid_moves(plan.problem, plan.params, plan.result, taken)
            if unmoved:
                log.info("re-optimization left %d orders where they were: moving them "
                         "would not pay", len(unmoved))
        kept = [order_id for order_id in taken
                if _keeps_allocation(plan, policy, orders[order_id], existing)]
        if not kept:
            if walked:  # its runner-ups, as a solve lists them
                explain_result(plan.problem, plan.params, plan.result,
                               deadline=time.perf_counter() + plan.params.time_limit_ms / 1000)
            return plan
        moves.restored += len(kept)
        for order_id in kept:
            del taken[order_id]


def _keeps_allocation(plan: Plan, policy: SourcingPolicy, order: Order,
                      existing: dict[str, list[Fulfillment]]) -> bool:
    """Whether ``order`` must keep its taken allocation rather than take this answer.

    Judged line by line: an order that gains a unit on one line and loses one on another has
    lost units (netted over the order it looked like no change, and an equal-priority order
    took its laptop while it got a cable).
    """
    unallocated = plan.result.assignment(order.id).unallocated
    if not unallocated:
        return False
    waiting = uncovered_units(order, existing.get(order.id, []))
    lost = {line_id for line_id, qty in units_by_line(unallocated).items()
            if qty > waiting.get(line_id, 0)}
    if not lost:
        return False  # no line shorter than it already was: the move costs it nothing
    if policy.backorder == "reject":
        return True
    # It may lose units only to orders of higher priority that take more of that SKU where
    # this order's allocation had it than they held there before the run: any higher-priority
    # order anywhere shipping the SKU let an equal-priority order take the units, and so did
    # one merely keeping its own units at that location (the next run moved them back).
    skus = {order.line(line_id).sku for line_id in lost}
    held = {(f.location_id, line.sku) for f in plan.taken.get(order.id, [])
            for line in f.lines if line.sku in skus}
    return not any(units > 0 for units in _taken_by_higher_priority(plan, order, held).values())


def _taken_by_higher_priority(plan: Plan, order: Order,
                              places: set[tuple[str | None, str]]) -> dict[tuple[str, str], int]:
    """Per (location, SKU) of ``places``: units the orders of higher priority than ``order``
    ship there in the answer, less what their own taken allocations held there."""
    gained: dict[tuple[str, str], int] = {}
    for other, _ in plan.work:
        if other.priority <= order.priority:
            continue
        for shipment in plan.result.assignment(other.id).shipments:
            for _, sku, qty in shipment.lines:
                if (shipment.location_id, sku) in places:
                    key = (shipment.location_id, sku)
                    gained[key] = gained.get(key, 0) + qty
        for fulfillment in plan.taken.get(other.id, []):
            for line in fulfillment.lines:
                if (fulfillment.location_id, line.sku) in places:
                    key = (str(fulfillment.location_id), line.sku)
                    gained[key] = gained.get(key, 0) - line.qty
    return gained


def _same(fulfillment: Fulfillment, shipment: Shipment) -> bool:
    return fulfillment.location_id == shipment.location_id and \
        sorted((x.line_id, x.sku, x.qty) for x in fulfillment.lines) == sorted(shipment.lines)


def _step(order: Order, assignment: OrderAssignment, taken: list[Fulfillment]) -> Step | None:
    """What to write for one order; None when the answer reproduces its taken allocations.

    A taken allocation the answer sends out again unchanged stays as it is (same id, same
    release time) rather than being cancelled and made again.
    """
    left, new = list(taken), []
    for shipment in assignment.shipments:
        match = next((f for f in left if _same(f, shipment)), None)
        if match is None:
            new.append(shipment)
        else:
            left.remove(match)
    if len(left) == len(taken):
        return Step(order, assignment, left)
    if not left and not new and not assignment.unallocated:
        return None
    plain = sum(s.cost for s in new)
    opportunity = sum(s.opportunity_cost for s in new)
    return Step(order, replace(assignment, shipments=new, plain_cost=plain,
                               opportunity_cost=opportunity, cost=plain + opportunity), left)


def _take_back(uow: UnitOfWork, step: Step, network: Network) -> None:
    """Cancel the allocations the answer replaces and give back their stock."""
    for fulfillment in step.replaced:
        location = network.locations.get(str(fulfillment.location_id))
        take_back(uow, step.order, fulfillment, "reoptimize",
                  f"Re-optimized: allocation at "
                  f"{location.name if location else fulfillment.location_id} "
                  "taken back before release")


def _refresh_prices(uow: UnitOfWork, plan: Plan) -> None:
    """Store the stock prices lookahead sourcing adds, in money per unit.

    The joint solve's own duals are reused when it computed them (lp_fix) under a money
    objective; otherwise the LP relaxation is solved under one (``time`` is priced under
    ``cost``). When it does not finish in time the previous prices are kept, as they are when
    a run has no order to source: prices are refreshed only by a run that solves something.
    """
    prices: dict[tuple[str, str], float] | None = None
    if plan.params.objective != "time" and plan.result.opportunity_costs:
        prices = plan.result.duals()
    if prices is None:
        prices = fresh_opportunity_costs(plan.problem, plan.params)
    if prices is not None:
        uow.policy.replace_opportunity_costs(prices)


def _record(outcome: RunOutcome, moves: Moves, step: Step, allocation: Allocation,
            waiting_before: dict[str, int]) -> None:
    """Count one committed order in the report; ``waiting_before``: per line, its units no
    allocation covered before the run, so only units the run uncovered count as
    ``units_unfilled``. Counted line by line: a plan that leaves one line short to fill
    another has lost units and filled others, which netted over the order would look like
    neither and charge the newly filled line's cost against the saving."""
    setattr(outcome, allocation.status, getattr(outcome, allocation.status) + 1)
    outcome.units_allocated += sum(line.qty for f in allocation.fulfillments
                                   for line in f.lines)
    outcome.cost += allocation.plain_cost
    outcome.shipments += allocation.shipments
    if step.replaced:
        before = sum(f.cost or 0.0 for f in step.replaced)
        replaced_units = sum(f.units for f in step.replaced)
        after = sum(f.cost or 0.0 for f in allocation.fulfillments)
        new_units = sum(line.qty for f in allocation.fulfillments for line in f.lines)
        unfilled = units_by_line(allocation.unallocated)
        lines = set(unfilled) | set(waiting_before)
        lost = sum(max(0, unfilled.get(line, 0) - waiting_before.get(line, 0))
                   for line in lines)
        gained = sum(max(0, waiting_before.get(line, 0) - unfilled.get(line, 0))
                     for line in lines)
        moves.cost_replaced += before
        moves.cost_replacements += after
        moves.before_unfilled += before * min(lost, replaced_units) / max(replaced_units, 1)
        moves.after_filled += after * min(gained, new_units) / max(new_units, 1)
        moves.units_unfilled += lost
        moves.units_filled += gained


def _settle(uow: UnitOfWork, policy: SourcingPolicy, orders: dict[str, Order],
            existing: dict[str, list[Fulfillment]], taken: Taken, moves: Moves,
            now: datetime, rounds: Rounds) -> tuple[Plan | None, list[Step], list[Order]]:
    """The plan to write, its steps, and the orders ``backorder: reject`` refuses.

    ``reject`` refuses an order the stock cannot fill whole only before it was accepted: an
    order already sourced (in part) takes what comes, like any re-sourcing. The units the
    answer gave a refused order must not sit idle while another order waits for them, so the
    rest is solved again without it (and without it taking a share of any SKU) until no order
    is refused. Nor may units two refused orders wanted sit idle when one of them alone fits
    in what is left: those are readmitted (``_fits_what_is_left``) and solved again with the
    rest. Each round refuses at least one order or readmits one never readmitted before, so
    this ends.
    """
    refused: list[Order] = []
    readmitted: set[str] = set()
    while True:
        plan = _plan(uow, policy, orders, existing, taken, moves, now, rounds)
        steps = [] if plan is None else [
            step for order, _ in plan.work
            if (step := _step(order, plan.result.assignment(order.id),
                              plan.taken.get(order.id, []))) is not None]
        short = [s.order.id for s in steps if s.assignment.unallocated
                 and policy_for_order(policy, s.order).backorder == "reject"]
        if short:
            refused += [orders.pop(order_id) for order_id in short]
            continue
        fits = _fits_what_is_left(uow, policy, plan, [o for o in refused
                                                      if o.id not in readmitted],
                                  existing, now, rounds)
        if not fits:
            return plan, steps, refused
        for order in fits:
            orders[order.id] = order
            readmitted.add(order.id)
        refused = [o for o in refused if o.id not in orders]


def _fits_what_is_left(uow: UnitOfWork, policy: SourcingPolicy, plan: Plan | None,
                       candidates: list[Order], existing: dict[str, list[Fulfillment]],
                       now: datetime, rounds: Rounds) -> list[Order]:
    """The refused orders that the stock and room ``plan`` (None: no order left) leaves idle
    fill whole, each solved alone against what the ones before it left (higher priority
    first); the next round starts from ``plan`` with their placements added, which fills
    every order.

    Refusing every short order of a round at once can refuse one that another refusal would
    have left room for: both wanted the same units, and once neither has them they sit idle
    (the next run then sourced the order). Each order is readmitted once at most, so
    ``_settle`` ends."""
    if not candidates:
        return []
    work = _work({o.id: o for o in candidates}, existing, {})
    network = _network(uow, work, {} if plan is None else plan.taken)
    stock = Counter(network.stock)  # of the candidates' SKUs only
    idle: Counter[str] = Counter()  # per SKU, over all locations
    for (_, sku), units in stock.items():
        idle[sku] += units
    room = {spec.id: spec.capacity_units_per_day for spec in network.specs}
    placed: dict[tuple[str, str, str], int] = {}
    sku_of: dict[tuple[str, str], str] = {}

    def take(placements: dict[tuple[str, str, str], int],
             source: list[tuple[Order, list[LineSpec]]]) -> None:
        sku_of.update({(order.id, line.line_id): line.sku for order, lines in source
                       for line in lines})
        for (order_id, line_id, location_id), units in placements.items():
            key = (location_id, sku_of[(order_id, line_id)])
            if key in stock:
                stock[key] -= units
                idle[key[1]] -= units
            if room.get(location_id) is not None:
                room[location_id] = max(0, (room[location_id] or 0) - units)
        placed.update(placements)

    if plan is not None:
        take(plan.result.placements(), plan.work)
    params = rounds.params(params_for(policy))
    deadline = time.perf_counter() + params.time_limit_ms / 1000.0
    fits: list[Order] = []
    for order, lines in sorted(work, key=lambda item: -item[0].priority):
        if any(idle[line.sku] < line.qty for line in lines):
            continue  # not enough of a SKU left anywhere: no solve needed to say so
        if time.perf_counter() > deadline:
            break  # the rest wait for the next run, as they did before
        began = time.perf_counter()
        problem = build_problem(
            _order_specs(policy, [(order, lines)], {}, existing, now),
            [replace(spec, capacity_units_per_day=room[spec.id]) for spec in network.specs],
            {key: units for key, units in stock.items() if units > 0}, params)
        answer = solve(problem, params, explain=False)
        rounds.spent((time.perf_counter() - began) * 1000.0)
        if not answer.assignment(order.id).unallocated:
            fits.append(order)
            take(answer.placements(), [(order, lines)])
    if fits:
        rounds.start = placed
    return fits


def _run_once(uow: UnitOfWork, reoptimize: bool, now: datetime,
              rounds: Rounds) -> RunOutcome:
    """Plan first, then write: take back what the answer replaces, then reserve the new.
    ``rounds``: the run's solves so far (a retry after a concurrent change shares the limit)."""
    policy = uow.policy.get()
    outcome, moves = RunOutcome(), Moves()
    orders = _waiting_orders(uow)
    taken = _unreleased(uow, orders) if reoptimize else {}
    rounds.attempt(policy.time_limit_ms, taken)
    moves.reconsidered = sum(len(fulfillments) for fulfillments in taken.values())
    moves.cost_reconsidered = sum(f.cost or 0.0 for fs in taken.values() for f in fs)
    existing = uow.fulfillments.for_orders(list(orders))
    plan, steps, refused = _settle(uow, policy, orders, existing, taken, moves, now, rounds)
    outcome.rejected = len(refused)
    outcome.orders = len(steps) + len(refused)
    if reoptimize:
        outcome.reoptimized = moves.report()
    if plan is None:
        return outcome
    outcome.solver = rounds.info(plan.result)
    observe.solved(outcome.solver)
    waiting_before = {s.order.id: uncovered_units(s.order, existing.get(s.order.id, []))
                      for s in steps}
    for step in steps:  # all stock given back before any is reserved again
        _take_back(uow, step, plan.network)
    for step in steps:
        allocation = apply(uow, step.order, policy_for_order(policy, step.order), plan.network,
                           plan.result, step.assignment, existing.get(step.order.id, []),
                           policy.objective, now, release_by=earliest_release(step.replaced))
        _record(outcome, moves, step, allocation, waiting_before[step.order.id])
    outcome.cost = round(outcome.cost, 2)
    _refresh_prices(uow, plan)
    if reoptimize:
        outcome.reoptimized = moves.report()
    return outcome


def source_together(uow: UnitOfWork, orders: list[Order], now: datetime,
                    release_by: Mapping[str, datetime | None] | None = None) -> None:
    """Source these accepted orders' uncovered units in one joint solve, inside the caller's
    transaction (a count or a closure that took their allocations back): scarce stock goes
    where the model says, the most urgent first, instead of to whichever is sourced first.
    They take what comes (``backorder: reject`` refuses only orders never sourced), and a
    shipment the ledger refuses (a concurrent commitment) is backordered, not retried.
    ``release_by``: per order, when the allocations taken back from it were due for release
    (its new ones are released no later: ``network.release_time``)."""
    policy = uow.policy.get().for_accepted_order()
    existing = uow.fulfillments.for_orders([o.id for o in orders])
    work = _work({o.id: o for o in orders}, existing, {})
    if not work:
        return
    plan = _solve(uow, policy, work, {}, existing, now)
    for order, _ in work:
        apply(uow, order, policy, plan.network, plan.result, plan.result.assignment(order.id),
              existing.get(order.id, []), policy.objective, now, degrade=True,
              release_by=(release_by or {}).get(order.id))


def run_allocations(uow_factory: UowFactory, *, reoptimize: bool = False,
                    now: datetime | None = None) -> RunOutcome:
    """Source every order waiting for stock jointly, in one transaction.

    With ``reoptimize`` the orders' unreleased allocations are solved again with them; the
    report's ``reoptimized`` says what that reconsidered, moved and saved, even when nothing.
    The run's solves share the policy's time limit (``Rounds``).
    """
    rounds = Rounds()
    for attempt in range(1, MAX_STOCK_RETRIES + 1):
        try:
            with uow_factory() as uow:
                outcome = _run_once(uow, reoptimize, now or datetime.now(UTC), rounds)
                uow.commit()
                return outcome
        except InsufficientStock:
            log.info("stock changed during a joint run (attempt %d); re-solving", attempt)
    raise Conflict("stock kept changing during the joint run; retry")
