"""The sourcing problem as numpy arrays: what every backend reads.

Dense order x location matrices keep the costs and days of *every* pair (explanations need the
losers too); the sparse ``pair``/``arc`` arrays list only what is eligible, so a model never sees
a variable that eligibility already fixed to zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from optimizer.specs import LocationSpec, OrderSpec

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]
AnyArray = npt.NDArray[Any]

# Order x location eligibility codes; 0 means eligible. The text follows ``ineligible:``.
ELIGIBLE = 0
REASONS: dict[int, str] = {
    1: "inactive",
    2: "no_ship_capability",
    3: "not_pickup_location",
    4: "no_pickup_capability",
    5: "max_distance",
    6: "deadline",
    7: "excluded",  # the order's own exclusions (a location that rejected or short-picked it)
}
REASON_CODES = {text: code for code, text in REASONS.items()}


def shipment_limits(problem: Problem, max_shipments: int) -> IntArray:
    """Packages each order may get in this decision: the policy's limit less those earlier
    decisions made for it, at least one (so a backordered rest can always be filled), and
    never fewer than the allocations this decision re-solves make (``OrderSpec.shipments_held``)."""
    return np.maximum(np.maximum(1, max_shipments - problem.order_shipments_made),
                      problem.order_shipments_held)


def _kept(array: AnyArray) -> AnyArray:
    """A derived array computed once per problem (a Problem never changes: backends, the
    per-order search and the explanations read these thousands of times) and read-only, so
    no caller can change what the next one reads."""
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Problem:
    """Orders, lines and locations flattened to index arrays.

    Indices: o over orders, l over lines, n over locations, s over SKUs, p over eligible
    (order, location) pairs, a over eligible (line, location) arcs, i.e. pairs with stock.
    """

    orders: tuple[OrderSpec, ...]
    locations: tuple[LocationSpec, ...]
    skus: tuple[str, ...]
    # per line
    line_order: IntArray
    line_sku: IntArray
    line_qty: IntArray
    # per order / per location
    order_priority: IntArray
    order_shipments_made: IntArray  # packages earlier decisions made (see shipment_limits)
    order_days_made: IntArray  # days until the slowest of those arrives (see arrival_days)
    loc_priority: IntArray
    loc_capacity: FloatArray  # inf = unlimited
    # dense order x location
    km: FloatArray
    package_cost: FloatArray
    unit_cost: FloatArray
    days: IntArray
    reason: Int8Array
    # location x sku availability
    stock: IntArray
    # eligible pairs and arcs
    pair_order: IntArray
    pair_loc: IntArray
    arc_line: IntArray
    arc_loc: IntArray
    arc_pair: IntArray
    build_ms: float = 0.0

    @property
    def n_orders(self) -> int:
        return len(self.orders)

    @property
    def n_lines(self) -> int:
        return int(self.line_qty.shape[0])

    @property
    def n_locations(self) -> int:
        return len(self.locations)

    @property
    def n_pairs(self) -> int:
        return int(self.pair_order.shape[0])

    @property
    def n_arcs(self) -> int:
        return int(self.arc_line.shape[0])

    @cached_property
    def location_index(self) -> dict[str, int]:
        """Location id -> its index n: callers translating keyed data (prices, holdings,
        answers) look ids up here rather than each building the same dictionary."""
        return {loc.id: n for n, loc in enumerate(self.locations)}

    @cached_property
    def sku_index(self) -> dict[str, int]:
        """SKU -> its index s."""
        return {sku: s for s, sku in enumerate(self.skus)}

    @cached_property
    def line_index(self) -> dict[tuple[str, str], int]:
        """(order id, line id) -> its line index l."""
        return {(order.order_id, line.line_id): self.order_lines(o).start + k
                for o, order in enumerate(self.orders) for k, line in enumerate(order.lines)}

    def by_location_sku(self, values: Mapping[tuple[str, str], float]) -> FloatArray:
        """Location x SKU matrix of ``values`` keyed by (location id, SKU); keys this
        problem does not know (a closed location, a SKU no line needs) are left out, 0 elsewhere."""
        matrix = np.zeros(self.stock.shape, dtype=float)
        for (loc_id, sku), value in values.items():
            n, s = self.location_index.get(loc_id), self.sku_index.get(sku)
            if n is not None and s is not None:
                matrix[n, s] = float(value)
        return matrix

    @cached_property
    def order_shipments_held(self) -> IntArray:
        """Per order, :attr:`OrderSpec.shipments_held` (read from the specs, so a slice of
        the problem carries its own)."""
        return _kept(np.array([o.shipments_held for o in self.orders], dtype=np.int64))

    @cached_property
    def line_held(self) -> IntArray:
        """Per line, :attr:`LineSpec.held`: units the allocations this decision re-solves cover."""
        return _kept(np.array([line.held for o in self.orders for line in o.lines],
                              dtype=np.int64))

    @cached_property
    def line_held_whole(self) -> npt.NDArray[np.bool_]:
        """Per line, whether the allocations this decision re-solves cover all of it: such a
        line ranks half a priority step higher (``objective.HELD_RANK``)."""
        return _kept(self.line_held == self.line_qty)

    @cached_property
    def sourcing_sequence(self) -> IntArray:
        """Orders in the order one-at-a-time backends (greedy, order by order) source them:
        higher priority first, among equals an order holding a line whole
        (:attr:`line_held_whole`), then as given."""
        whole = np.bincount(self.line_order, self.line_held_whole,
                            minlength=self.n_orders) > 0
        return _kept(np.lexsort((~whole, -self.order_priority)).astype(np.int64))

    @cached_property
    def arc_order(self) -> IntArray:
        return _kept(self.line_order[self.arc_line])

    @cached_property
    def arc_sku(self) -> IntArray:
        return _kept(self.line_sku[self.arc_line])

    @cached_property
    def arc_stock(self) -> IntArray:
        """Units the arc could carry at most: the line's quantity capped by the location's stock."""
        stock = self.stock[self.arc_loc, self.arc_sku]
        return _kept(np.minimum(self.line_qty[self.arc_line], stock))

    @cached_property
    def arrival_days(self) -> IntArray:
        """Dense order x location: the days until the order would arrive with a package from
        the location, what the time objective weighs. An order's packages made earlier may
        arrive later than a new one (``order_days_made``), and an order arrives with its
        slowest package. ``days`` stays what the package itself takes (its promise)."""
        return _kept(np.maximum(self.days, self.order_days_made[:, None]))

    @cached_property
    def pair_days(self) -> IntArray:
        """Each eligible pair's arrival days (:attr:`arrival_days`): the objective's days."""
        return _kept(self.arrival_days[self.pair_order, self.pair_loc])

    @cached_property
    def pair_package_cost(self) -> FloatArray:
        return _kept(self.package_cost[self.pair_order, self.pair_loc])

    @cached_property
    def arc_unit_cost(self) -> FloatArray:
        return _kept(self.unit_cost[self.arc_order, self.arc_loc])

    def line_ref(self, line: int) -> tuple[str, str]:
        """(line_id, sku) of a line index."""
        order = self.orders[int(self.line_order[line])]
        start = int(np.searchsorted(self.line_order, self.line_order[line]))
        spec = order.lines[line - start]
        return spec.line_id, spec.sku

    def order_lines(self, order: int) -> range:
        """Line indices of one order (lines are stored order by order)."""
        start = int(np.searchsorted(self.line_order, order, side="left"))
        stop = int(np.searchsorted(self.line_order, order, side="right"))
        return range(start, stop)
