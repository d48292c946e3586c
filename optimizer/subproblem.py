"""Slices of a :class:`Problem`: some orders, some arcs, a share of the stock.

Pruning (fewer arcs per line) and decomposition (fewer orders per part) both need a smaller
problem whose answers map back to the big one arc by arc. Slicing the arrays keeps every cost,
day and eligibility code identical to the original, so an answer to a slice scored with the
original's weights is scored exactly as the full model would score it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from optimizer.objective import Weights
from optimizer.problem import FloatArray, IntArray, Problem

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Slice:
    """A smaller problem, its weights, and where its orders and arcs sit in the original."""

    problem: Problem
    weights: Weights
    orders: IntArray  # original order index of each slice order
    arcs: IntArray  # original arc index of each slice arc

    def lift(self, arc_units: IntArray, n_arcs: int) -> IntArray:
        """Units per arc of the original problem (zero outside this slice)."""
        out = np.zeros(n_arcs, dtype=np.int64)
        out[self.arcs] = arc_units
        return out


def take(
    problem: Problem,
    weights: Weights,
    orders: IntArray | None = None,
    arc_mask: BoolArray | None = None,
    stock: IntArray | None = None,
    capacity: FloatArray | None = None,
) -> Slice:
    """The slice of ``problem`` with the given orders (all if None) and arcs (all if None).

    ``stock`` / ``capacity`` replace the location x SKU stock and location capacity (a region's
    share). Weights are sliced, not rebuilt: fill penalties and tie-breaks depend on the whole
    batch, and the slices' objectives must add up to the original's.
    """
    order_idx = (
        np.arange(problem.n_orders, dtype=np.int64)
        if orders is None
        else np.sort(np.asarray(orders, dtype=np.int64))
    )
    keep_order = np.zeros(problem.n_orders, dtype=bool)
    keep_order[order_idx] = True
    new_order = np.full(problem.n_orders, -1, dtype=np.int64)
    new_order[order_idx] = np.arange(order_idx.size)

    line_keep = keep_order[problem.line_order]
    line_idx = np.nonzero(line_keep)[0]
    new_line = np.full(problem.n_lines, -1, dtype=np.int64)
    new_line[line_idx] = np.arange(line_idx.size)

    arc_keep = line_keep[problem.arc_line]
    if arc_mask is not None:
        arc_keep &= arc_mask
    arc_idx = np.nonzero(arc_keep)[0]
    pair_used = np.zeros(problem.n_pairs, dtype=bool)
    pair_used[problem.arc_pair[arc_idx]] = True
    pair_idx = np.nonzero(pair_used)[0]
    new_pair = np.full(problem.n_pairs, -1, dtype=np.int64)
    new_pair[pair_idx] = np.arange(pair_idx.size)

    sliced = replace(
        problem,
        orders=tuple(problem.orders[o] for o in order_idx.tolist()),
        line_order=new_order[problem.line_order[line_idx]],
        line_sku=problem.line_sku[line_idx],
        line_qty=problem.line_qty[line_idx],
        order_priority=problem.order_priority[order_idx],
        order_shipments_made=problem.order_shipments_made[order_idx],
        order_days_made=problem.order_days_made[order_idx],
        loc_capacity=problem.loc_capacity if capacity is None else capacity,
        km=problem.km[order_idx],
        package_cost=problem.package_cost[order_idx],
        unit_cost=problem.unit_cost[order_idx],
        days=problem.days[order_idx],
        reason=problem.reason[order_idx],
        stock=problem.stock if stock is None else stock,
        pair_order=new_order[problem.pair_order[pair_idx]],
        pair_loc=problem.pair_loc[pair_idx],
        arc_line=new_line[problem.arc_line[arc_idx]],
        arc_loc=problem.arc_loc[arc_idx],
        arc_pair=new_pair[problem.arc_pair[arc_idx]],
    )
    sliced_weights = replace(
        weights,
        arc_plain=weights.arc_plain[arc_idx],
        arc_opportunity=weights.arc_opportunity[arc_idx],
        arc_unit=weights.arc_unit[arc_idx],
        pair_cost=weights.pair_cost[pair_idx],
        line_penalty=weights.line_penalty[line_idx],
    )
    return Slice(sliced, sliced_weights, order_idx, arc_idx)
