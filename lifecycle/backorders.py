"""Backorders are sourced by themselves once the stock they wait for comes in.

The customer's backorder notice promises the units "as soon as they arrive". A receipt, a
supplier's feed or a count that finds more stock changes only the ledger; this sweep, run by
the background timer, notices that orders waiting for stock (``backordered``,
``partially_allocated``, under way with units a rejection or short pick left without a
location, or refused whole at intake under ``backorder: reject``) could now get some of what
they wait for, and sources them all in one joint run
(:func:`lifecycle.batch.run_allocations`), so scarce arrivals go where the optimizer says, not
to whichever order asked first.

A sweep costs a solve, so it is skipped when nothing could come of it: no order waits, or no
active location has any of the SKUs they wait for available. A run that added no unit is
remembered by what it saw (the units each order waits for, the available units of those SKUs,
the locations holding them and the units reserved there, which their capacity counts, the
policy); while all that is unchanged (stock that is there but out of reach: a distance limit,
a deadline, a shipment limit, a full location) the next ticks do not solve again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lifecycle.batch import WAITING, RunOutcome, run_allocations
from lifecycle.uow import UowFactory
from models import Location
from models.order_progress import uncovered_units
from models.policy import SourcingPolicy

log = logging.getLogger("dom.backorders")

@dataclass(frozen=True)
class Seen:
    """What a sweep looked at; equal states give equal answers."""

    waiting: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # order -> (line, units)
    available: tuple[tuple[str, str, int], ...]  # (location, SKU, units)
    locations: tuple[Location, ...]  # those holding the units, as configured
    reserved: tuple[tuple[str, int], ...]  # units reserved there: what their capacity has used
    policy: SourcingPolicy


@dataclass
class BackorderSweep:
    """One process's sweeper: it remembers the last state a run found nothing to source in."""

    fruitless: Seen | None = None

    def __call__(self, uow_factory: UowFactory, reader: UowFactory) -> RunOutcome | None:
        """Source the orders left short when stock they wait for is available; None when
        there was nothing to try (or nothing changed since a run that sourced nothing)."""
        seen = _what_could_be_sourced(reader)
        if seen is None or seen == self.fruitless:
            return None
        outcome = run_allocations(uow_factory)
        # counted by units the run added: an order still partially allocated after a run
        # that gave it nothing was not sourced
        self.fruitless = None if outcome.units_allocated else seen
        if outcome.units_allocated:
            log.info("backorders: %d unit(s) sourced from stock that came in",
                     outcome.units_allocated)
        return outcome


def _what_could_be_sourced(reader: UowFactory) -> Seen | None:
    """The waiting orders and the available stock of what they wait for; None when no order
    waits, the policy turned the sweep off, or none of their SKUs is available anywhere."""
    with reader() as uow:
        policy = uow.policy.get()
        if not policy.source_backorders:
            return None
        waiting = uow.orders.with_statuses(WAITING)
        if not waiting:
            return None
        fulfillments = uow.fulfillments.for_orders([order.id for order in waiting])
        shorts = {order.id: uncovered_units(order, fulfillments.get(order.id, []))
                  for order in waiting}
        skus = {order.line(line_id).sku for order in waiting for line_id in shorts[order.id]}
        if not skus:
            return None
        stocked = [p for p in uow.ledger.positions(skus=skus) if p.available > 0]
        locations = {location_id: location for location_id, location in uow.locations.get_many(
            sorted({p.location_id for p in stocked})).items() if location.active}
        reserved = uow.ledger.reserved_units_by_location()
    available = tuple(sorted((p.location_id, p.sku, p.available) for p in stocked
                             if p.location_id in locations))
    if not available:
        return None
    return Seen(waiting=tuple(sorted((order_id, tuple(sorted(short.items())))
                                     for order_id, short in shorts.items())),
                available=available,
                locations=tuple(locations[key] for key in sorted(locations)),
                reserved=tuple((key, reserved.get(key, 0)) for key in sorted(locations)),
                policy=policy)
