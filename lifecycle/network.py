"""The bridge from the repository to the optimizer's plain inputs.

Translates locations, stock and orders into ``optimizer`` specs; nothing else in the service
layer knows the optimizer's shapes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from lifecycle import pipelines
from lifecycle.uow import UnitOfWork
from models import DeliveryMethod, Location, Order
from models.fulfillments import Fulfillment, FulfillmentType
from models.order_progress import DEAD, HANDED_OVER, uncovered_units
from models.policy import SourcingPolicy
from optimizer import LineSpec, LocationSpec, OrderSpec, Params


@dataclass(frozen=True)
class Network:
    locations: dict[str, Location]
    specs: list[LocationSpec]
    stock: dict[tuple[str, str], int]


def location_spec(location: Location, reserved_units: int = 0) -> LocationSpec:
    capacity = location.capacity_units_per_day
    remaining = None if capacity is None else max(0, capacity - reserved_units)
    return LocationSpec(
        id=location.id, type=location.type.value, lat=location.lat, lon=location.lon,
        capabilities=frozenset(c.value for c in location.capabilities),
        shipment_cost=location.shipment_cost, cost_per_km=location.cost_per_km,
        unit_cost=location.unit_cost, unit_cost_per_km=location.unit_cost_per_km,
        processing_days=location.processing_days, km_per_day=location.km_per_day,
        capacity_units_per_day=remaining, priority=location.priority, active=location.active)


def load_network(uow: UnitOfWork, skus: Iterable[str],
                 released: Iterable[Fulfillment] = ()) -> Network:
    """Every location with its remaining capacity, and available stock of ``skus``.

    ``released``: allocations to count as if cancelled (a re-optimization's candidates): their
    units come off the positions' ``reserved`` and the locations' reserved capacity before
    ``available`` is taken, so a position whose safety stock rose since sits at what freeing
    them really leaves (``available`` is clipped at 0: adding the freed units to it would
    offer units the ledger then refuses).

    Locations an order must not use again (one that rejected it) stay in: ``order_spec``
    names them and the optimizer rules them out, so explanations can say so.
    """
    freed_stock: Counter[tuple[str, str]] = Counter()
    freed_capacity: Counter[str] = Counter()
    for fulfillment in released:
        for line in fulfillment.lines:
            freed_stock[(str(fulfillment.location_id), line.sku)] += line.qty
            freed_capacity[str(fulfillment.location_id)] += line.qty
    locations = {loc.id: loc for loc in uow.locations.all()}
    reserved = uow.ledger.reserved_units_by_location()
    specs = [location_spec(loc, max(0, reserved.get(loc.id, 0) - freed_capacity[loc.id]))
             for loc in locations.values()]
    stock = {}
    for p in uow.ledger.positions(skus=skus):
        held = max(0, p.reserved - freed_stock[(p.location_id, p.sku)])
        units = p.on_hand - held - p.safety_stock
        if units > 0 and p.location_id in locations:
            stock[(p.location_id, p.sku)] = units
    return Network(locations, specs, stock)


def remaining_lines(order: Order, fulfillments: Sequence[Fulfillment]) -> list[LineSpec]:
    """Product lines with the units no live fulfillment covers yet."""
    left = uncovered_units(order, fulfillments)
    return [LineSpec(line_id=line.line_id, sku=line.sku, qty=left[line.line_id])
            for line in order.product_lines if line.line_id in left]


def release_time(order: Order, policy: SourcingPolicy, now: datetime,
                 release_by: datetime | None = None) -> datetime | None:
    """When allocations made ``now`` reach their locations; None when the order's pipeline
    releases nothing. The policy's ``release_delay_minutes`` holds them back from ``now``, but
    no later than ``release_by``, the release time of the allocations they replace
    (:func:`earliest_release`): moving an allocation must not hold the order back again, or
    moving it run after run would keep it from its location for ever."""
    if not pipelines.has_step(order, "release"):
        return None
    due = now + timedelta(minutes=policy.release_delay_minutes)
    return due if release_by is None else max(now, min(due, release_by))


def earliest_release(replaced: Iterable[Fulfillment]) -> datetime | None:
    """The ``release_by`` of allocations made in place of ``replaced`` (taken back before
    their release): the soonest of their release times."""
    return min((f.release_at for f in replaced if f.release_at is not None), default=None)


def work_starts(order: Order, policy: SourcingPolicy, now: datetime,
                release_by: datetime | None = None) -> date:
    """The day (UTC) an allocation made ``now`` reaches its location (:func:`release_time`):
    promises and deadlines count from it, since a parcel cannot leave before its location
    knows of it."""
    return (release_time(order, policy, now, release_by) or now).astimezone(UTC).date()


def deadline_days(order: Order, today: date) -> int | None:
    """Whole days from ``today`` (UTC) to the order's ``deliver_by``; None without a deadline.

    The optimizer's ``delivery_days`` count the same way (``promised_date`` is ``today`` plus
    them, see ``lifecycle.sourcing``), so a location is eligible exactly when its promised date
    would fall on or before ``deliver_by``. A deadline that has passed since intake (an order
    backordered for days, or work that starts after it: a release delay) is negative, so no
    location makes it, not even a pickup ready the same day (clipped to 0, it did, and the
    customer was promised a day after the deadline).
    """
    deadline = order.delivery.deliver_by
    if deadline is None:
        return None
    return (deadline - today).days


def parcels_made(fulfillments: Iterable[Fulfillment]) -> int:
    """Packages earlier decisions made for an order (shipped or not, not cancelled or
    rejected): they count against the policy's ``max_shipments_per_order``."""
    return sum(1 for f in fulfillments if f.location_id is not None
               and f.type is not FulfillmentType.SERVICE and f.status not in DEAD)


def days_made(fulfillments: Iterable[Fulfillment], today: date) -> int:
    """Days from ``today`` (UTC) until the slowest of an order's packages still on its way is
    promised (0 with none): sourcing the rest, a package that would arrive sooner does not
    bring the order sooner. A package handed over has arrived; one past its promise counts 0."""
    return max((max(0, (f.promised_date - today).days) for f in fulfillments
                if f.location_id is not None and f.type is not FulfillmentType.SERVICE
                and f.status not in DEAD and f.status not in HANDED_OVER
                and f.promised_date is not None), default=0)


def order_spec(order: Order, lines: Sequence[LineSpec], today: date | None = None,
               made: Sequence[Fulfillment] = (),
               moving: Sequence[Fulfillment] = ()) -> OrderSpec:
    """The optimizer's view of ``order``; ``today`` (UTC, default now) dates its deadline;
    ``made``: the packages earlier decisions made for it, live or not (they count against the
    shipment limit, :func:`parcels_made`, and the order arrives no sooner than they do,
    :func:`days_made`); ``moving``: its allocations this decision re-solves (re-optimization),
    which it keeps on an exact tie (``OrderSpec.held``), whose units only an order of higher
    priority takes (``LineSpec.held``) and whose packages it may have again
    (``OrderSpec.shipments_held``: one per location, as the model counts them)."""
    today = today or datetime.now(UTC).date()
    assert order.ship_to is not None, "intake resolves every order's destination"
    pickup = order.delivery.method is DeliveryMethod.PICKUP
    if moving:  # (a first sourcing, a quote: every line as given)
        covered: Counter[str] = Counter()
        for fulfillment in moving:
            for line in fulfillment.lines:
                covered[line.line_id] += line.qty
        lines = [replace(line, held=min(line.qty, covered[line.line_id])) for line in lines]
    return OrderSpec(order_id=order.id, lat=order.ship_to.lat, lon=order.ship_to.lon,
                     lines=tuple(lines), method="pickup" if pickup else "ship",
                     pickup_location_id=order.delivery.location_id if pickup else None,
                     priority=order.priority,
                     deadline_days=deadline_days(order, today),
                     excluded_location_ids=tuple(
                         str(x) for x in order.attributes.get("excluded_locations") or ()),
                     shipments_made=parcels_made(made), days_made=days_made(made, today),
                     held=tuple(sorted({(str(f.location_id), line.sku) for f in moving
                                        for line in f.lines})),
                     shipments_held=len({f.location_id for f in moving}))


def params_for(policy: SourcingPolicy, objective: str | None = None,
               opportunity_costs: dict[tuple[str, str], float] | None = None) -> Params:
    """The optimizer's parameters under ``policy`` (under ``backorder: reject`` the optimizer
    fills first whatever ``unfilled_cost_factor`` says: ``Params.priced_unfilled_factor``)."""
    return Params(objective=objective or policy.objective,  # type: ignore[arg-type]
                  cost_per_day=policy.cost_per_day,
                  max_shipments_per_order=policy.max_shipments_per_order,
                  allow_line_split=policy.allow_line_split, backorder=policy.backorder,
                  max_distance_km=policy.max_distance_km, solver=policy.solver,
                  time_limit_ms=policy.time_limit_ms, opportunity_costs=opportunity_costs,
                  unfilled_cost_factor=policy.unfilled_cost_factor)
