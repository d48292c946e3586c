"""Sourcing: choose where each unit ships from (the optimizer) and commit it (the ledger).

The solve may take up to the policy's time limit, so ``allocate_*`` never solve inside a
transaction: they read their inputs in one short read transaction (a ``Snapshot``), close it,
solve, and only a commitment then opens the write transaction that reserves. A quote stops after
the solve: it holds no lock and writes nothing.

A commitment is one transaction: fulfillments, reservations, the order's new status and its
events. When a concurrent commitment took the stock (or a location's capacity) first, the ledger
refuses, the transaction rolls back, and sourcing runs again on what is left (a bounded number
of times). The last attempt does not fail under ``backorder: allow``: it keeps the shipments the
ledger still accepts and backorders the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from copy import deepcopy
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lifecycle import observe, pipelines
from lifecycle.escalations import close_settled
from lifecycle.network import (
    Network,
    load_network,
    order_spec,
    params_for,
    release_time,
    remaining_lines,
    work_starts,
)
from lifecycle.orders import build_order, resent
from lifecycle.rules import save_order
from lifecycle.services import fully_registered
from lifecycle.uow import UnitOfWork, UowFactory
from models import (
    Conflict,
    DeliveryMethod,
    DomainError,
    DuplicateChannelOrder,
    InsufficientStock,
    LocationType,
    NotFound,
    Order,
    OrderStatus,
    ReservationRequest,
    TransitionNotAllowed,
    new_id,
)
from models.commands import CreateOrder
from models.events import PARTNER_NAMES
from models.fulfillments import Fulfillment, FulfillmentLine, FulfillmentStatus, FulfillmentType
from models.order_progress import DEAD, derive_status, uncovered_units
from models.order_status import NEVER_SOURCED
from models.orders import BACKORDERED_UNITS
from models.policy import SourcingPolicy
from optimizer import (
    Alternative,
    LineSpec,
    OrderAssignment,
    Result,
    Shipment,
    Unallocated,
    build_problem,
    solve,
)

log = logging.getLogger("dom.sourcing")

MAX_STOCK_RETRIES = 5
SOURCEABLE = frozenset({OrderStatus.RECEIVED, OrderStatus.PAYMENT_CONFIRMED,
                        OrderStatus.BACKORDERED, OrderStatus.PARTIALLY_ALLOCATED})


@dataclass
class PlannedFulfillment:
    location_id: str | None
    type: FulfillmentType
    lines: list[FulfillmentLine]
    cost: float | None = None
    delivery_days: int | None = None
    promised_date: date | None = None
    fulfillment_id: str | None = None
    status: str | None = None
    location_name: str | None = None


@dataclass
class Unfilled:
    line_id: str
    sku: str
    qty: int
    reason: str


class BackorderRejected(Conflict):
    """The policy says ``backorder: reject`` and the stock cannot fill the whole order."""

    def __init__(self, detail: str, unfilled: list[Unfilled] | None = None) -> None:
        super().__init__(detail)
        self.unfilled = unfilled or []


@dataclass
class Allocation:
    """The answer of ``POST /v1/allocate`` before it is rendered as JSON."""

    order_id: str | None
    status: str
    objective: str
    solver: dict[str, Any]
    fulfillments: list[PlannedFulfillment]
    unallocated: list[Unfilled]
    alternatives: list[Alternative]
    committed: bool
    plain_cost: float = 0.0
    opportunity_cost: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def delivery_days(self) -> int | None:
        days = [f.delivery_days for f in self.fulfillments if f.delivery_days is not None]
        return max(days) if days else None

    @property
    def shipments(self) -> int:
        return sum(1 for f in self.fulfillments if f.type is not FulfillmentType.SERVICE)


def solver_info(result: Result) -> dict[str, Any]:
    return {"name": result.solver, "status": result.status,
            "gap": None if result.gap is None else round(result.gap, 6),
            "bound": None if result.bound is None else round(result.bound, 4),
            "objective": round(result.objective, 4),
            "ms": round(result.build_ms + result.solve_ms, 3)}


def fulfillment_type(order: Order, network: Network, location_id: str) -> FulfillmentType:
    if order.delivery.method is DeliveryMethod.PICKUP:
        return FulfillmentType.PICKUP
    if network.locations[location_id].type is LocationType.SUPPLIER:
        return FulfillmentType.DROPSHIP
    return FulfillmentType.SHIP


def _sku_of(order: Order) -> dict[str, str]:
    return {line.line_id: line.sku for line in order.lines}


def _unfilled(order: Order, assignment: OrderAssignment) -> list[Unfilled]:
    skus = _sku_of(order)
    return [Unfilled(u.line_id, skus.get(u.line_id, ""), u.qty, u.reason)
            for u in assignment.unallocated]


def _planned(order: Order, network: Network, shipment: Shipment,
             today: date) -> PlannedFulfillment:
    location = network.locations[shipment.location_id]
    return PlannedFulfillment(
        location_id=shipment.location_id, type=fulfillment_type(order, network,
                                                                shipment.location_id),
        lines=[FulfillmentLine(line_id, sku, qty) for line_id, sku, qty in shipment.lines],
        cost=round(shipment.cost, 2), delivery_days=shipment.delivery_days,
        promised_date=today + timedelta(days=shipment.delivery_days),
        location_name=location.name)


def check_sourceable(order: Order, subject: str | None = None) -> None:
    """Refuse an order sourcing must not touch; ``subject`` names it in the message (default
    ``order <id>``; a quoted body has no id worth showing)."""
    subject = subject or f"order {order.id}"
    if order.status is OrderStatus.CANCELLED:
        raise TransitionNotAllowed(f"{subject} is cancelled")
    if order.status is OrderStatus.ON_HOLD:
        raise Conflict(f"{subject} is on hold ({order.hold_reason}); release it first")
    if not order.payment_settled:
        raise Conflict(f"{subject} waits for payment ({order.payment_status.value}); "
                       "it is sourced once payment is authorized or confirmed")


@dataclass
class Snapshot:
    """Everything one solve reads, taken in one short transaction and closed before solving."""

    order: Order
    policy: SourcingPolicy
    existing: list[Fulfillment]
    lines: list[LineSpec]
    network: Network | None
    opportunity: dict[tuple[str, str], float] | None
    registered: frozenset[str]


Solved = tuple[Network, Result, OrderAssignment]


def read_snapshot(uow: UnitOfWork, order: Order, policy: SourcingPolicy,
                  existing: list[Fulfillment] | None = None) -> Snapshot:
    """Read what sourcing ``order`` needs: its uncovered lines, the network, the policy."""
    if existing is None:
        existing = uow.fulfillments.for_order(order.id)
    lines = remaining_lines(order, existing)
    # locations the order excluded stay in: the optimizer rules them out by name
    # (ineligible:excluded), so the answer says why their stock was not used
    network = load_network(uow, {line.sku for line in lines}) if lines else None
    opportunity = uow.policy.opportunity_costs() if policy.lookahead and lines else None
    registered = fully_registered(uow, order)
    return Snapshot(order, policy, existing, lines, network, opportunity, registered)


def solve_snapshot(snapshot: Snapshot, objective: str | None) -> Solved | None:
    """The optimizer on a snapshot, outside any transaction; None when nothing is left."""
    if not snapshot.lines or snapshot.network is None:
        return None
    network, order = snapshot.network, snapshot.order
    params = params_for(snapshot.policy, objective, snapshot.opportunity)
    spec = order_spec(order, snapshot.lines,
                      today=work_starts(order, snapshot.policy, datetime.now(UTC)),
                      made=snapshot.existing)
    result = solve(build_problem([spec], network.specs, network.stock, params), params)
    observe.solved(solver_info(result))
    return network, result, result.assignment(order.id)


def plan(uow: UnitOfWork, order: Order, policy: SourcingPolicy, objective: str | None,
         existing: list[Fulfillment]) -> Solved | None:
    """Solve inside the caller's transaction (re-sourcing a rejected fulfillment does)."""
    return solve_snapshot(read_snapshot(uow, order, policy, existing), objective)


def quote(uow: UnitOfWork, order: Order, policy: SourcingPolicy,
          objective: str | None = None) -> Allocation:
    """Where the order would ship from and when it would arrive; writes and reserves nothing."""
    snapshot = read_snapshot(uow, order, policy)
    return quote_snapshot(snapshot, solve_snapshot(snapshot, objective), objective)


NOTHING_TO_SOLVE: dict[str, Any] = {"name": "none", "status": "optimal", "gap": 0.0,
                                    "bound": None, "objective": 0.0, "ms": 0.0}


def quote_snapshot(snapshot: Snapshot, solved: Solved | None, objective: str | None, *,
                   new: bool = False) -> Allocation:
    """The answer a commitment would give, as a quote: the same fulfillments, none reserved.

    ``new``: the order is a body not stored (its id is a placeholder nobody should see)."""
    order, policy, existing = snapshot.order, snapshot.policy, snapshot.existing
    if not snapshot.lines and existing:
        return current_allocation(order, existing, policy, objective, committed=False)
    service = _planned_service(order, existing, snapshot.registered)
    services = [service] if service else []
    if solved is None:
        return Allocation(order_id=order.id, status="allocated",
                          objective=objective or policy.objective,
                          solver=dict(NOTHING_TO_SOLVE), fulfillments=services, unallocated=[],
                          alternatives=[], committed=False)
    network, result, assignment = solved
    today = work_starts(order, policy, datetime.now(UTC))
    planned = [_planned(order, network, s, today) for s in assignment.shipments] + services
    quoted = Allocation(
        order_id=order.id, status=assignment.status, objective=objective or policy.objective,
        solver=solver_info(result), fulfillments=planned,
        unallocated=_unfilled(order, assignment), alternatives=assignment.alternatives,
        committed=False, plain_cost=_cost_of(planned),
        opportunity_cost=_opportunity_of(assignment.shipments))
    # the whole order, as the commit answers: what earlier commitments hold, then the rest
    quoted = _with_earlier(quoted, existing)
    if quoted.status == "backordered" and any(
            f.type is not FulfillmentType.SERVICE and f.status not in DEAD for f in existing):
        quoted.status = "partially_allocated"
    # what a commit of the same answer would be told (409): waiting for payment, on hold,
    # cancelled, or units short under backorder: reject
    subject = "the order" if new else f"order {order.id}"
    try:
        check_sourceable(order, subject)
        refusal = backorder_refusal(subject, policy, quoted.unallocated)
    except DomainError as refused:
        refusal = refused.detail
    if refusal is not None:
        quoted.extra["commit_refusal"] = refusal
    return quoted


def _planned_service(order: Order, existing: list[Fulfillment],
                     registered: frozenset[str]) -> PlannedFulfillment | None:
    """The service fulfillment a commitment would create (the quote shows it too)."""
    if not order.service_lines or any(f.type is FulfillmentType.SERVICE for f in existing):
        return None
    done = all(line.line_id in registered for line in order.service_lines)
    return PlannedFulfillment(
        location_id=None, type=FulfillmentType.SERVICE,
        lines=[FulfillmentLine(line.line_id, line.sku, line.qty) for line in order.service_lines],
        status=(FulfillmentStatus.REGISTERED if done else FulfillmentStatus.PENDING).value)


def _as_planned(fulfillment: Fulfillment) -> PlannedFulfillment:
    """A stored fulfillment as an answer lists it."""
    f = fulfillment
    return PlannedFulfillment(
        location_id=f.location_id, type=f.type, lines=f.lines, cost=f.cost,
        delivery_days=f.delivery_days, promised_date=f.promised_date, fulfillment_id=f.id,
        status=f.status.value)


RUNNER_UPS = "runner_ups"  # fulfillment attribute: the locations it won against, as chosen
# fulfillment attribute: what lookahead priced its units at when it was made (0 without)
OPPORTUNITY = "opportunity_cost"


def _runner_ups_of(assignment: OrderAssignment, location_id: str) -> list[dict[str, Any]]:
    """The runner-ups a shipment from ``location_id`` won against, stored on its fulfillment
    so that asking for the allocation again explains it as the answer that made it did."""
    return [asdict(alt) for alt in assignment.alternatives if alt.instead_of == location_id]


def _opportunity_of(shipments: Iterable[Shipment]) -> float:
    """An answer's opportunity cost: the sum of its packages' prices, each to the cent as
    stored on its fulfillment, so the commit, the quote and allocating the order again agree
    (as ``_cost_of`` does for money)."""
    return round(sum(round(s.opportunity_cost, 2) for s in shipments), 2)


def _stored_opportunity(fulfillments: list[Fulfillment]) -> float:
    """What lookahead priced the units of these fulfillments at when they were made: the
    answer's ``opportunity_cost`` when the order is allocated again (the prices have moved
    since; the order's cost as decided does not)."""
    total = 0.0
    for fulfillment in fulfillments:
        stored = fulfillment.attributes.get(OPPORTUNITY)
        if isinstance(stored, int | float) and not isinstance(stored, bool):
            total += float(stored)
    return round(total, 2)


def _stored_runner_ups(fulfillments: list[Fulfillment]) -> list[Alternative]:
    """The runner-ups recorded on live fulfillments (none on those made before they were
    recorded, or by a solve that did not explain them)."""
    found: list[Alternative] = []
    for fulfillment in fulfillments:
        stored = fulfillment.attributes.get(RUNNER_UPS)
        for alt in stored if isinstance(stored, list) else []:
            found.append(Alternative(
                line_ids=[str(x) for x in alt["line_ids"]], location_id=str(alt["location_id"]),
                cost=float(alt["cost"]), delivery_days=int(alt["delivery_days"]),
                why_not=str(alt["why_not"]), instead_of=alt.get("instead_of")))
    return found


def current_allocation(order: Order, fulfillments: list[Fulfillment], policy: SourcingPolicy,
                       objective: str | None = None, *, committed: bool = True) -> Allocation:
    """The allocation already committed for an order (what allocate returns the second time).

    ``committed`` says whether the answer is a commitment: a commit (or a replay of one) of
    an order already allocated answers with what it holds, reserved, as the first commit
    did; a quote of it shows the same allocation but is no commitment, so ``false``.
    """
    live = [f for f in fulfillments if f.status not in DEAD]
    solver: dict[str, Any] = {}
    for fulfillment in live:
        recorded = fulfillment.attributes.get("solver")
        if isinstance(recorded, dict):
            solver = dict(recorded)
            break
    left = remaining_lines(order, live)
    skus = _sku_of(order)
    status = order_allocation_status(order, live)
    planned = [_as_planned(f) for f in live]
    return Allocation(
        order_id=order.id, status=status,
        objective=str(next((f.attributes.get("objective") for f in live
                            if f.attributes.get("objective")), objective or policy.objective)),
        # nothing recorded (made before solvers were recorded, or services only): the same
        # fields as any solver answer, no gap or bound to claim
        solver=solver or {"name": "none",
                          "status": "infeasible" if status == "backordered" else "feasible",
                          "gap": None, "bound": None, "objective": None, "ms": 0.0},
        fulfillments=planned,
        unallocated=[Unfilled(line.line_id, skus.get(line.line_id, line.sku), line.qty,
                              "no_stock") for line in left],
        alternatives=_stored_runner_ups(live), committed=committed,
        plain_cost=_cost_of(planned), opportunity_cost=_stored_opportunity(live))


def commit(uow: UnitOfWork, order: Order, policy: SourcingPolicy,
           objective: str | None = None, now: datetime | None = None, *,
           degrade: bool = False) -> Allocation:
    """Source the order's uncovered units and reserve them, inside the caller's transaction.

    Raises ``InsufficientStock`` when a concurrent commitment took the stock between the
    solve and the reservation (the caller retries on a fresh transaction), unless ``degrade``:
    then the shipments the ledger refuses are backordered instead.
    """
    check_sourceable(order)
    now = now or datetime.now(UTC)
    existing = uow.fulfillments.for_order(order.id)
    planned = plan(uow, order, policy, objective, existing)
    if planned is None:
        _ensure_service_fulfillment(uow, order, existing, now)
        save_order(uow, order)
        return current_allocation(order, uow.fulfillments.for_order(order.id), policy, objective)
    network, result, assignment = planned
    return apply(uow, order, policy, network, result, assignment, existing,
                 objective or policy.objective, now, degrade=degrade)


def apply(uow: UnitOfWork, order: Order, policy: SourcingPolicy, network: Network,
          result: Result, assignment: OrderAssignment, existing: list[Fulfillment],
          chosen_objective: str, now: datetime, *, degrade: bool = False,
          release_by: datetime | None = None) -> Allocation:
    """Turn one order's answer into fulfillments, reservations, status and events.

    ``degrade`` (the last stock attempt): a shipment whose stock or location capacity is gone
    is dropped and its units backordered, instead of raising ``InsufficientStock``.
    ``release_by``: the new allocations replace ones due for release then
    (``network.release_time``).
    """
    _refuse_backorder(policy, _unfilled(order, assignment))
    before, events_before = replace(order, attributes=deepcopy(order.attributes)), \
        len(order.events)
    release_at = release_time(order, policy, now, release_by)
    today = work_starts(order, policy, now, release_by)
    made: list[PlannedFulfillment] = []
    sent: list[Shipment] = []  # the shipments behind ``made`` (a degraded one is dropped)
    unfilled = _unfilled(order, assignment)
    for shipment in assignment.shipments:
        item = _planned(order, network, shipment, today)
        try:
            fulfillment = _create_fulfillment(
                uow, order, item, now, release_at,
                {"solver": solver_info(result), "objective": chosen_objective,
                 "processing_days": network.locations[shipment.location_id].processing_days,
                 RUNNER_UPS: _runner_ups_of(assignment, shipment.location_id),
                 OPPORTUNITY: round(shipment.opportunity_cost, 2)})
        except InsufficientStock:
            if not degrade:
                raise
            unfilled += [Unfilled(line.line_id, line.sku, line.qty, "constrained")
                         for line in item.lines]
            continue
        item.fulfillment_id, item.status = fulfillment.id, fulfillment.status.value
        made.append(item)
        sent.append(shipment)
    _refuse_backorder(policy, unfilled)
    serviced = _ensure_service_fulfillment(uow, order, existing, now)
    # a pickup order told its store could not hand it over was sourced before: its first
    # allocation (the intake's, the common case) has no such escalation to look for
    reallocated_pickup = made and order.delivery.method is DeliveryMethod.PICKUP \
        and order.status not in NEVER_SOURCED
    _record_outcome(order, made, unfilled, network, now)
    if reallocated_pickup:
        close_settled(uow, order, None, ("pickup_unavailable",),
                      "closed by itself: allocated for pickup again", now)
    _record_releases(order, made)
    order.apply_derived_status(derive_status(order, uow.fulfillments.for_order(order.id)))
    # An answer that changes nothing (an order still waiting, told so before) writes nothing:
    # rewriting it would only bump its version, and joint runs, which answer every waiting
    # order, would then collide on orders neither of them touched.
    if made or serviced or len(order.events) != events_before or order != before:
        save_order(uow, order)
    return Allocation(
        order_id=order.id,
        status=order_allocation_status(order, uow.fulfillments.for_order(order.id)),
        objective=chosen_objective, solver=solver_info(result), fulfillments=made,
        unallocated=unfilled, alternatives=assignment.alternatives, committed=True,
        plain_cost=_cost_of(made), opportunity_cost=_opportunity_of(sent))


def _cost_of(planned: list[PlannedFulfillment]) -> float:
    """The answer's cost: the sum of its fulfillments' costs as shown (each rounded to the
    cent), so the total adds up, and stays what allocating the order again answers (three
    parcels of 1.004 each showed 1.00 and a total of 3.01 that became 3.00 the second time)."""
    return round(sum(item.cost or 0.0 for item in planned), 2)


def take_back(uow: UnitOfWork, order: Order, fulfillment: Fulfillment, cause: str,
              message: str) -> None:
    """Cancel an allocation not yet released and give its stock back, on the order's timeline
    (``fulfillment.cancelled`` with ``reason`` = ``cause``): re-optimization moving it, a count
    or a closed location taking it away. Re-sourcing the order is the caller's decision."""
    uow.ledger.release_fulfillment(fulfillment.id)
    fulfillment.status = FulfillmentStatus.CANCELLED
    fulfillment.attributes = {**fulfillment.attributes, "cancelled_by": cause}
    uow.fulfillments.save(fulfillment)
    order.record("fulfillment.cancelled", message, fulfillment_id=fulfillment.id,
                 location_id=fulfillment.location_id, reason=cause, units=fulfillment.units)


def units_by_line(short: Iterable[Unfilled | Unallocated]) -> dict[str, int]:
    """Units short per line id (a split line can be short in more than one piece)."""
    units: dict[str, int] = {}
    for u in short:
        units[u.line_id] = units.get(u.line_id, 0) + u.qty
    return units


def _refuse_backorder(policy: SourcingPolicy, unfilled: list[Unfilled]) -> None:
    """Under ``backorder: reject`` a short order is refused whole (the transaction rolls back)."""
    # "the order": a new order refused here is never stored, its id would lead nowhere
    refusal = backorder_refusal("the order", policy, unfilled)
    if refusal is not None:
        raise BackorderRejected(refusal, unfilled)


# why a line is short, in words, where the cause is not the stock (the line's reason code)
_NOT_STOCK = {
    "deadline": "no location can deliver it by the deadline",
    "max_shipments": "the order has all the parcels it may",
    "dearer_than_unfilled": "sending it costs more than leaving it short",
    "over_capacity": "no room where it is held",
}


def backorder_refusal(subject: str, policy: SourcingPolicy,
                      unfilled: list[Unfilled]) -> str | None:
    """Why committing ``subject`` with these lines short is refused; None when it is not.

    Names each line's cause when stock is not what it lacks (a channel told "not enough
    stock" of an order the deadline or the shipment limit stopped looks for stock that is
    there)."""
    if policy.backorder != "reject" or not unfilled:
        return None
    if not any(u.reason in _NOT_STOCK for u in unfilled):
        short = ", ".join(f"{u.qty} x line {u.line_id}" for u in unfilled)
        return (f"not enough stock to fill {subject} ({short} short) and the policy rejects "
                "backorders")
    causes = "; ".join(f"{u.qty} x line {u.line_id} short: "
                       f"{_NOT_STOCK.get(u.reason, 'not enough stock')}" for u in unfilled)
    return f"cannot fill {subject} ({causes}) and the policy rejects backorders"


def order_allocation_status(order: Order, fulfillments: list[Fulfillment]) -> str:
    """allocated | partially_allocated | backordered, whatever the fulfillments did since."""
    if not uncovered_units(order, fulfillments):
        return "allocated"
    live = [f for f in fulfillments if f.type is not FulfillmentType.SERVICE
            and f.status not in (FulfillmentStatus.CANCELLED, FulfillmentStatus.REJECTED)]
    return "partially_allocated" if live else "backordered"


def _create_fulfillment(uow: UnitOfWork, order: Order, item: PlannedFulfillment,
                        now: datetime, release_at: datetime | None,
                        attributes: dict[str, Any]) -> Fulfillment:
    """Reserve first, then add the fulfillment: a refused reservation leaves nothing behind."""
    released = release_at is not None and release_at <= now
    days = item.delivery_days or 0
    transit = max(0, days - int(attributes.get("processing_days") or 0))
    promised = item.promised_date
    ship_by = (promised - timedelta(days=transit)) if promised else None
    fulfillment = Fulfillment(
        id=new_id("ful"), order_id=order.id, type=item.type, location_id=item.location_id,
        status=FulfillmentStatus.RELEASED if released else FulfillmentStatus.ALLOCATED,
        lines=item.lines, created_at=now, promised_date=promised, delivery_days=days,
        cost=item.cost,
        release_at=release_at,
        released_at=now if released else None,
        attributes={**attributes, "ship_by": ship_by.isoformat() if ship_by else None})
    uow.ledger.reserve([ReservationRequest(order_id=order.id, line_id=line.line_id,
                                           location_id=str(item.location_id), sku=line.sku,
                                           qty=line.qty, fulfillment_id=fulfillment.id,
                                           kind=item.type.value)
                        for line in item.lines])
    uow.fulfillments.add(fulfillment)
    return fulfillment


def _record_releases(order: Order, made: list[PlannedFulfillment]) -> None:
    for item in made:
        if item.status != FulfillmentStatus.RELEASED.value:
            continue
        order.record("fulfillment.released", f"Released to {item.location_name}",
                     fulfillment_id=item.fulfillment_id, location_id=item.location_id,
                     type=item.type.value, units=sum(line.qty for line in item.lines),
                     promised_date=item.promised_date.isoformat() if item.promised_date
                     else None)


def _ensure_service_fulfillment(uow: UnitOfWork, order: Order, existing: list[Fulfillment],
                                now: datetime) -> bool:
    """Services never touch stock; they wait in one fulfillment of their own. True when this
    call made it."""
    planned = _planned_service(order, existing, fully_registered(uow, order))
    if planned is None:
        return False
    uow.fulfillments.add(Fulfillment(
        id=new_id("ful"), order_id=order.id, type=FulfillmentType.SERVICE, location_id=None,
        status=FulfillmentStatus(str(planned.status)), lines=planned.lines, created_at=now,
        attributes={"covers": {line.line_id: line.covers_line_id
                               for line in order.service_lines}}))
    return True


def _record_outcome(order: Order, made: list[PlannedFulfillment], unfilled: list[Unfilled],
                    network: Network, now: datetime) -> None:
    if made:
        at = [network.locations[str(f.location_id)] for f in made]
        names = ", ".join(location.name for location in at)
        # counted from today to the promise, which a release delay pushes back
        promised = [f.promised_date for f in made if f.promised_date is not None]
        days = max((d - now.astimezone(UTC).date()).days for d in promised) if promised \
            else max(f.delivery_days or 0 for f in made)
        plural = "s" if len(made) > 1 else ""
        when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        text = (f"Allocated: for pickup at {names}, ready {when}"
                if order.delivery.method is DeliveryMethod.PICKUP else
                f"Allocated: {len(made)} shipment{plural} from {names}, arriving {when}")
        partners = sorted({loc.name for loc in at if loc.type is LocationType.SUPPLIER})
        named: dict[str, Any] = {PARTNER_NAMES: partners or None}  # None: not recorded
        order.record("order.allocated", text,
                     fulfillments=[f.fulfillment_id for f in made],
                     **named,
                     units=sum(line.qty for f in made for line in f.lines))
    short = units_by_line(unfilled)
    announced = order.attributes.get(BACKORDERED_UNITS) or {}
    if short != announced:
        rest = {k: v for k, v in order.attributes.items() if k != BACKORDERED_UNITS}
        order.attributes = {**rest, BACKORDERED_UNITS: short} if short else rest
    # Announced again only when some line waits for more than the timeline last said (a
    # rejection, a count): a run that found no stock, or part of it, tells nothing new, and
    # what arrived is announced as allocated.
    if any(qty > int(announced.get(line_id, 0)) for line_id, qty in short.items()):
        units = sum(u.qty for u in unfilled)
        due = order.delivery.deliver_by
        waiting = (f"no location can deliver by {due:%B} {due.day}"
                   if due is not None and all(u.reason == "deadline" for u in unfilled)
                   else "waiting for stock")
        order.record("order.backordered",
                     f"Backordered: {units} unit(s) {waiting}", units=units,
                     lines=[{"line_id": u.line_id, "sku": u.sku, "qty": u.qty,
                             "reason": u.reason} for u in unfilled])
    if order.status is OrderStatus.RECEIVED and order.payment_status.value == "confirmed":
        order.set_status(OrderStatus.PAYMENT_CONFIRMED)


# -- the entry points: read, solve outside any transaction, then (for a commit) write ---------
def _with_earlier(allocation: Allocation, before: list[Fulfillment]) -> Allocation:
    """The whole order's allocation: what earlier commitments hold (still live) first, then
    what this one made. Allocating an order partly allocated before answers with all of it,
    as allocating an allocated one does; the totals count every fulfillment listed."""
    live = [f for f in before if f.status not in DEAD]
    if not live:
        return allocation
    every = [_as_planned(f) for f in live] + allocation.fulfillments
    return replace(allocation, fulfillments=every,
                   alternatives=_stored_runner_ups(live) + allocation.alternatives,
                   plain_cost=_cost_of(every),
                   opportunity_cost=round(_stored_opportunity(live)
                                          + allocation.opportunity_cost, 2))


def _with_new_services(uow: UnitOfWork, allocation: Allocation,
                       before: list[Fulfillment]) -> Allocation:
    """Add the service fulfillment this commitment created, so the answer shows all it made."""
    known = {f.id for f in before} | {f.fulfillment_id for f in allocation.fulfillments}
    for made in uow.fulfillments.for_order(str(allocation.order_id)):
        if made.type is FulfillmentType.SERVICE and made.id not in known:
            allocation.fulfillments.append(PlannedFulfillment(
                location_id=None, type=made.type, lines=made.lines, fulfillment_id=made.id,
                status=made.status.value))
    return allocation


def _commit_solved(uow: UnitOfWork, order: Order, snapshot: Snapshot, solved: Solved | None,
                   objective: str | None, *, last: bool) -> Allocation:
    """Reserve what was solved outside the transaction, if it still answers the question.

    When the order's uncovered lines or the policy changed since the snapshot (a concurrent
    request sourced part of it), the solve is stale: solve again here, on what is current.
    The ``last`` attempt (after repeated stock conflicts) also solves here, on what is left
    now, and drops whatever the ledger still refuses (PostgreSQL readers do not wait).
    """
    check_sourceable(order)
    policy = policy_for(uow, order)
    existing = uow.fulfillments.for_order(order.id)
    current = remaining_lines(order, existing)
    if last or solved is None or current != snapshot.lines or policy != snapshot.policy:
        allocation = commit(uow, order, policy, objective, degrade=last)
    else:
        network, result, assignment = solved
        allocation = apply(uow, order, policy, network, result, assignment, existing,
                           objective or policy.objective, datetime.now(UTC), degrade=last)
    return _with_new_services(uow, allocation, existing)


def _stock_conflict(subject: str, attempt: int) -> None:
    observe.stock_conflict()
    log.info("stock taken concurrently while sourcing %s (attempt %d); re-solving",
             subject, attempt)


def policy_for_order(policy: SourcingPolicy, order: Order) -> SourcingPolicy:
    """The policy ``order`` is sourced under, here and in a joint run: an order already
    sourced (in part, or short) is past the point where ``backorder: reject`` may refuse it."""
    return policy if order.status in NEVER_SOURCED else policy.for_accepted_order()


def policy_for(uow: UnitOfWork, order: Order) -> SourcingPolicy:
    """The live policy for a stored order (:func:`policy_for_order`)."""
    return policy_for_order(uow.policy.get(), order)


def _read_stored(reader: UowFactory, order_id: str) -> Snapshot:
    with reader() as uow:
        order = uow.orders.get(order_id)
        if order is None:
            raise NotFound(f"order {order_id!r} does not exist")
        return read_snapshot(uow, order, policy_for(uow, order))


def allocate_existing(uow_factory: UowFactory, order_id: str, *, commit_it: bool = True,
                      objective: str | None = None,
                      reader: UowFactory | None = None) -> Allocation:
    """Source one stored order (or quote it); re-solves when a concurrent commit took stock.

    ``reader`` opens read-only transactions (the container's ``reader``); without one, reads
    use ``uow_factory`` but still end before the solve starts.
    """
    read = reader or uow_factory
    for attempt in range(1, MAX_STOCK_RETRIES + 1):
        snapshot = _read_stored(read, order_id)
        if not commit_it:
            return quote_snapshot(snapshot, solve_snapshot(snapshot, objective), objective)
        if snapshot.lines or not snapshot.existing:
            check_sourceable(snapshot.order)  # refused before a solve, as the write would
        solved = solve_snapshot(snapshot, objective)
        try:
            with uow_factory() as uow:
                order = uow.orders.get(order_id)
                if order is None:
                    raise NotFound(f"order {order_id!r} does not exist")
                existing = uow.fulfillments.for_order(order_id)
                if not remaining_lines(order, existing) and existing:
                    return current_allocation(order, existing, uow.policy.get(), objective)
                allocation = _commit_solved(uow, order, snapshot, solved, objective,
                                            last=attempt == MAX_STOCK_RETRIES)
                uow.commit()
                return _with_earlier(allocation, existing)
        except InsufficientStock:
            _stock_conflict(order_id, attempt)
    raise Conflict(f"stock for order {order_id} kept changing while sourcing; retry")


def source_if_ready(uow_factory: UowFactory, order_id: str,
                    reader: UowFactory | None = None) -> Allocation | None:
    """Automatic sourcing after intake or payment: only for settled, unheld, open orders.

    A failure here never loses the order: it stays waiting for ``POST /v1/allocations/run``.
    A ``backorder: reject`` refusal is recorded on the order's timeline, so ops and the
    customer see why it waits. ``reader`` (the container's) keeps the reads out of the write
    lock, as :func:`allocate_existing` does.
    """
    with (reader or uow_factory)() as uow:
        order = uow.orders.get(order_id)
        if order is None or order.status not in SOURCEABLE or not order.payment_settled \
                or order.hold_reason or not pipelines.has_step(order, "source"):
            return None
        if not order.product_lines and not order.service_lines:
            return None
    try:
        return allocate_existing(uow_factory, order_id, reader=reader)
    except BackorderRejected as refused:
        log.info("order %s not sourced automatically: %s", order_id, refused)
        note_refusal(uow_factory, order_id, refused)
        return None
    except Conflict as refused:
        log.info("order %s not sourced automatically: %s", order_id, refused)
        return None


REFUSED = "backorder_rejected"


def note_refusal(uow_factory: UowFactory, order_id: str, refused: BackorderRejected) -> None:
    """Record why an order was not allocated, once: a retried intake does not repeat it."""
    with uow_factory() as uow:
        order = uow.orders.get(order_id)
        if order is None or _last_event_is_refusal(uow, order_id):
            return
        # refused whole: every unit waits, not only the ones the stock could not cover
        waiting = uncovered_units(order, uow.fulfillments.for_order(order_id))
        short = sum(u.qty for u in refused.unfilled)
        units = sum(waiting.values()) or short
        order.record("order.backordered",
                     f"Not allocated: {short} unit(s) short and the policy rejects "
                     f"backorders; {units} unit(s) wait for stock", units=units, reason=REFUSED,
                     short_units=short,
                     lines=[{"line_id": u.line_id, "sku": u.sku, "qty": u.qty,
                             "reason": u.reason} for u in refused.unfilled])
        if waiting:  # announced: a later run that still finds too little tells nothing new
            order.attributes = {**order.attributes, BACKORDERED_UNITS: waiting}
        save_order(uow, order)
        uow.commit()


def _last_event_is_refusal(uow: UnitOfWork, order_id: str) -> bool:
    sourcing_events = [e for e in uow.events.for_order(order_id)
                       if e.type in ("order.allocated", "order.backordered")]
    return bool(sourcing_events) and sourcing_events[-1].data.get("reason") == REFUSED


def _check_new_sourceable(order: Order, command: CreateOrder) -> None:
    """A body that cannot be sourced yet (payment pending, held for review) is refused with
    nothing stored; the message names it by its channel reference, since the id it would have
    had was never stored, and says where such an order goes instead."""
    try:
        check_sourceable(order, subject=f"{command.channel} order "
                                        f"{command.channel_order_id!r}")
    except Conflict as refused:
        raise Conflict(f"{refused}. Nothing was stored: POST /v1/orders takes the order as it "
                       "is and sources it when it can be") from None


def allocate_new(uow_factory: UowFactory, command: CreateOrder, *, commit_it: bool,
                 objective: str | None = None,
                 reader: UowFactory | None = None) -> Allocation:
    """Quote an order body (nothing written), or create and source it in one transaction."""
    read = reader or uow_factory
    for attempt in range(1, MAX_STOCK_RETRIES + 1):
        with read() as uow:
            if commit_it and uow.orders.get_by_channel_ref(command.channel,
                                                           command.channel_order_id):
                break
            snapshot = read_snapshot(uow, build_order(uow, command), uow.policy.get())
        solved = solve_snapshot(snapshot, objective)
        if not commit_it:
            quoted = quote_snapshot(snapshot, solved, objective, new=True)
            quoted.order_id = None
            return quoted
        try:
            with uow_factory() as uow:
                if uow.orders.get_by_channel_ref(command.channel, command.channel_order_id):
                    break
                order = build_order(uow, command)
                _check_new_sourceable(order, command)
                save_order(uow, order, new=True)
                snapshot.order = order
                allocation = _commit_solved(uow, order, snapshot, solved, objective,
                                            last=attempt == MAX_STOCK_RETRIES)
                allocation.extra["created"] = True
                uow.commit()
                return allocation
        except InsufficientStock:
            _stock_conflict("a new order", attempt)
        except DuplicateChannelOrder:
            break
    else:
        raise Conflict("stock kept changing while sourcing this order; retry")
    with read() as uow:
        existing = uow.orders.get_by_channel_ref(command.channel, command.channel_order_id)
        assert existing is not None
    return allocate_existing(uow_factory, resent(existing, command).id, objective=objective,
                             reader=reader)

