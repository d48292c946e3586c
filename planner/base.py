"""The starting point of a scenario: orders, locations, stock and policy as plain data.

``current`` reads the live open orders (not yet shipped or cancelled), every location and the
stock; the open orders are re-planned from scratch, so the stock a scenario may use is
``on_hand - safety_stock`` minus only what is reserved for orders outside the scenario.
``replay`` reads the orders that were actually allocated (live fulfillments) with what was
decided for them. ``empty`` starts from nothing. Inline rows or files then replace parts.
Reading goes through a unit of work the caller opened; nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from lifecycle.network import location_spec, order_spec
from lifecycle.uow import UnitOfWork
from models import InvalidInput, Order, OrderStatus, ReservationStatus
from models.fulfillments import Fulfillment, FulfillmentStatus, FulfillmentType
from models.order_progress import DEAD, DEPARTED
from models.policy import SourcingPolicy
from optimizer import LineSpec, LocationSpec, OrderSpec
from planner import data
from planner.definition import POLICY_FIELDS, ScenarioDefinition

# Orders not yet shipped or cancelled: their unshipped units are re-planned.
OPEN_STATUSES = (OrderStatus.RECEIVED, OrderStatus.ON_HOLD, OrderStatus.PAYMENT_CONFIRMED,
                 OrderStatus.ALLOCATED, OrderStatus.PARTIALLY_ALLOCATED,
                 OrderStatus.BACKORDERED, OrderStatus.IN_FULFILLMENT,
                 OrderStatus.PARTIALLY_SHIPPED)


@dataclass(frozen=True)
class Decision:
    """What live sourcing decided for one order: its cost, arrival and units per location."""

    cost: float
    delivery_days: int | None
    units: dict[tuple[str, str], int]  # (line_id, location_id) -> units


@dataclass
class ScenarioBase:
    """Everything a scenario starts from; plain, picklable data."""

    orders: list[OrderSpec] = field(default_factory=list)
    locations: list[LocationSpec] = field(default_factory=list)
    stock: dict[tuple[str, str], int] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    decided: dict[str, Decision] | None = None
    # units a day already reserved at each location by orders the scenario does not re-plan:
    # taken off ``locations``' capacity, and off a capacity the scenario sets instead
    held: dict[str, int] = field(default_factory=dict)


def _policy(policy: SourcingPolicy) -> dict[str, Any]:
    """The policy fields a solve reads: those a scenario may change, and ``backorder``, which
    it may not but which decides whether ``unfilled_cost_factor`` applies (as it does live)."""
    values = policy.as_dict()
    return {k: values[k] for k in (*POLICY_FIELDS, "backorder")}


def _lines_left(order: Order, fulfillments: Sequence[Fulfillment]) -> list[LineSpec]:
    """Product units of ``order`` not yet on their way (shipped, delivered, picked up) and not
    cancelled (a partial cancel, an expired pickup): what live sourcing would still cover."""
    gone: dict[str, int] = defaultdict(int, order.cancelled_units)
    for f in fulfillments:
        if f.status in DEPARTED and f.type is not FulfillmentType.SERVICE:
            for line in f.lines:
                gone[line.line_id] += line.qty
    return [LineSpec(line.line_id, line.sku, line.qty - gone[line.line_id])
            for line in order.product_lines if line.qty > gone[line.line_id]]


@dataclass(frozen=True)
class _Network:
    locations: list[LocationSpec]
    names: dict[str, str]
    stock: dict[tuple[str, str], int]
    held: dict[str, int]


def _network(uow: UnitOfWork, keep: set[str],
             consumed: dict[tuple[str, str], int]) -> _Network:
    """Locations and stock, minus what is reserved for orders outside ``keep``."""
    held_stock: dict[tuple[str, str], int] = defaultdict(int)
    held_at: dict[str, int] = defaultdict(int)
    for r in uow.ledger.reservations(status=ReservationStatus.ACTIVE):
        if r.order_id not in keep:
            held_stock[(r.location_id, r.sku)] += r.qty
            held_at[r.location_id] += r.qty
    locations = uow.locations.all()
    specs = [location_spec(loc, held_at.get(loc.id, 0)) for loc in locations]
    stock: dict[tuple[str, str], int] = {}
    for p in uow.ledger.positions():
        key = (p.location_id, p.sku)
        units = p.on_hand - p.safety_stock - held_stock.get(key, 0) + consumed.get(key, 0)
        if units > 0:
            stock[key] = units
    return _Network(specs, {loc.id: loc.name for loc in locations}, stock, dict(held_at))


def load_current(uow: UnitOfWork) -> ScenarioBase:
    """The live open orders with live stock, locations and policy."""
    orders = uow.orders.with_statuses([s.value for s in OPEN_STATUSES])
    fulfillments = uow.fulfillments.for_orders([o.id for o in orders])
    specs = []
    for order in orders:
        lines = _lines_left(order, fulfillments.get(order.id, []))
        if lines and order.ship_to is not None:
            # deadlines count from today, as live; parcels already on their way count
            # against the shipment limit and the order arrives no sooner than they do, as
            # when live sourcing fills a backorder
            gone = [f for f in fulfillments.get(order.id, []) if f.status in DEPARTED]
            specs.append(order_spec(order, lines, made=gone))
    network = _network(uow, {o.id for o in orders}, {})
    return ScenarioBase(orders=specs, locations=network.locations, stock=network.stock,
                        policy=_policy(uow.policy.get()), names=network.names,
                        held=network.held)


def load_replay(uow: UnitOfWork) -> ScenarioBase:
    """The orders live sourcing allocated, the units it placed where, and what it cost."""
    live = [f for f in uow.fulfillments.with_status([s.value for s in FulfillmentStatus])
            if f.status not in DEAD and f.type is not FulfillmentType.SERVICE and f.location_id]
    by_order: dict[str, list[Fulfillment]] = defaultdict(list)
    for f in live:
        by_order[f.order_id].append(f)
    specs: list[OrderSpec] = []
    decided: dict[str, Decision] = {}
    consumed: dict[tuple[str, str], int] = defaultdict(int)
    for order_id, fulfillments in sorted(by_order.items()):
        order = uow.orders.get(order_id)
        if order is None or order.ship_to is None:
            continue
        units: dict[tuple[str, str], int] = defaultdict(int)
        per_line: dict[str, int] = defaultdict(int)
        skus = {line.line_id: line.sku for line in order.product_lines}
        for f in fulfillments:
            assert f.location_id is not None
            for line in f.lines:
                units[(line.line_id, f.location_id)] += line.qty
                per_line[line.line_id] += line.qty
                if f.status in DEPARTED:
                    consumed[(f.location_id, line.sku)] += line.qty
        lines = [LineSpec(line_id, skus[line_id], qty) for line_id, qty in per_line.items()
                 if line_id in skus]
        if not lines:
            continue
        # as live sourcing saw it: the deadline counted from the day the order came in
        specs.append(order_spec(order, lines, today=order.created_at.astimezone(UTC).date()))
        days = [f.delivery_days for f in fulfillments if f.delivery_days is not None]
        decided[order_id] = Decision(cost=round(sum(f.cost or 0.0 for f in fulfillments), 4),
                                     delivery_days=max(days) if days else None,
                                     units=dict(units))
    network = _network(uow, set(decided), dict(consumed))
    return ScenarioBase(orders=specs, locations=network.locations, stock=network.stock,
                        policy=_policy(uow.policy.get()), names=network.names,
                        decided=decided, held=network.held)


def _service_skus(uow: UnitOfWork | None, bodies: Sequence[dict[str, Any]]) -> frozenset[str]:
    if uow is None:
        return frozenset()
    skus = {str(line.get("sku")) for body in data.flat_order_rows(bodies)
            for line in body.get("lines", []) if isinstance(line, dict)}
    return frozenset(sku for sku, p in uow.products.get_many(skus).items() if p.is_service)


def _rows(inline: list[Any] | None, path: str | None, what: str, base_dir: Path | None
          ) -> list[Any] | None:
    if path is None:
        return inline
    if inline is not None:
        raise InvalidInput(f"give {what} inline or as a file, not both", loc=("files", what))
    resolved = Path(path) if base_dir is None or Path(path).is_absolute() else base_dir / path
    return data.read_table(resolved, what)


def assemble(definition: ScenarioDefinition, uow: UnitOfWork | None,
             base_dir: Path | None = None) -> ScenarioBase:
    """The base the definition names, with its inline rows or files in place of base parts."""
    if definition.base != "empty" and uow is None:
        raise InvalidInput(f"base {definition.base!r} reads live data and needs the database "
                           "(or use base: empty with orders, inventory and locations)",
                           loc=("base",))
    if definition.base == "current":
        assert uow is not None
        base = load_current(uow)
    elif definition.base == "replay":
        assert uow is not None
        base = load_replay(uow)
    else:
        policy = _policy(uow.policy.get()) if uow is not None else _policy(SourcingPolicy())
        base = ScenarioBase(policy=policy)
    files = definition.files
    locations = _rows(definition.locations, files.locations if files else None, "locations",
                      base_dir)
    if locations is not None:  # capacities as given: nothing live is held against them
        base.locations, base.names = data.location_specs(locations)
        base.held = {}
    inventory = _rows(definition.inventory, files.inventory if files else None, "inventory",
                      base_dir)
    if inventory is not None:
        base.stock = data.inventory_stock(inventory)
    orders = _rows(definition.orders, files.orders if files else None, "orders", base_dir)
    if orders is not None:
        if definition.base == "replay":
            raise InvalidInput("a replay re-sources the orders live sourcing decided; it takes "
                               "no orders of its own", loc=("orders",))
        by_id = {loc.id: loc for loc in base.locations}
        base.orders = data.order_specs(orders, by_id, _service_skus(uow, orders))
        if definition.base == "current":
            assert uow is not None
            _hold_for_live_orders_left_out(base, uow, locations is None, inventory is None)
    _check_references(base, uow)
    return base


def _hold_for_live_orders_left_out(base: ScenarioBase, uow: UnitOfWork, live_locations: bool,
                                   live_stock: bool) -> None:
    """Orders given in place of the live open ones: those left out keep their reservations,
    so the live stock and capacity (the parts not given inline) lose what they hold."""
    network = _network(uow, {o.order_id for o in base.orders}, {})
    if live_locations:
        base.locations, base.held = network.locations, network.held
    if live_stock:
        base.stock = network.stock


def _check_references(base: ScenarioBase, uow: UnitOfWork | None) -> None:
    """Stock at unknown locations, or a SKU nobody knows, is a mistake worth a message."""
    ids = {loc.id for loc in base.locations}
    unknown = sorted({loc for loc, _ in base.stock} - ids)
    if unknown:
        raise InvalidInput(f"inventory names locations the scenario does not have: "
                           f"{', '.join(unknown[:10])}; add them to locations",
                           loc=("inventory",))
    stocked = {sku for _, sku in base.stock}
    ordered = {line.sku for o in base.orders for line in o.lines}
    missing = ordered - stocked
    if missing and uow is not None:
        missing -= set(uow.products.get_many(missing))
    if missing:
        raise InvalidInput(f"orders name SKUs that are neither in the catalog nor stocked "
                           f"anywhere in the scenario: {', '.join(sorted(missing)[:10])}",
                           loc=("orders",))
