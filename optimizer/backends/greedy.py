"""Nearest eligible location with stock, line by line: what Magento MSI's distance rule does.

It is the baseline every benchmark compares against and the floor every solve falls back to, so
it must always return something feasible quickly: no model, one pass over lines.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optimizer.backends.base import BackendAnswer, SolveContext
from optimizer.objective import Weights, evaluate
from optimizer.problem import IntArray, Problem, shipment_limits


def complete(problem: Problem, weights: Weights, units: IntArray) -> IntArray:
    """``units`` with whatever a line could still take filled greedily, if that is cheaper.

    Filling always wins under the default fill-first penalty; with a finite unfilled cost
    (``Params.unfilled_cost_factor``) a unit may have been left unfilled on purpose.
    """
    completed = greedy_units(problem, weights.max_shipments, weights.allow_split, initial=units)
    before = evaluate(problem, weights, units).objective
    return completed if evaluate(problem, weights, completed).objective <= before else units


def greedy_units(
    problem: Problem,
    max_shipments: int,
    allow_split: bool,
    initial: IntArray | None = None,
    only: npt.NDArray[np.bool_] | None = None,
) -> IntArray:
    """Units per arc: higher-priority orders first, each line from its nearest stocked locations.

    ``initial`` (a partial answer, e.g. a rounded LP) is kept and completed; ``only`` restricts
    the pass to some orders (a mask over orders).
    """
    units = np.zeros(problem.n_arcs, dtype=np.int64) if initial is None else initial.copy()
    if problem.n_arcs == 0:
        return units
    stock = problem.stock.copy()
    np.subtract.at(stock, (problem.arc_loc, problem.arc_sku), units)
    capacity = problem.loc_capacity - np.bincount(problem.arc_loc, units, problem.n_locations)
    filled = np.bincount(problem.arc_line, units, problem.n_lines).tolist()
    opened_pairs = np.zeros(problem.n_pairs, dtype=bool)
    opened_pairs[problem.arc_pair[units > 0]] = True
    opened_by_order: dict[int, set[int]] = {}
    for p in np.nonzero(opened_pairs)[0].tolist():
        opened_by_order.setdefault(int(problem.pair_order[p]), set()).add(int(problem.pair_loc[p]))
    km = problem.km[problem.arc_order, problem.arc_loc]
    # arcs grouped by line, nearest first, higher location priority first on equal distance
    order = np.lexsort((-problem.loc_priority[problem.arc_loc], km, problem.arc_line))
    bounds = np.searchsorted(problem.arc_line[order], np.arange(problem.n_lines + 1))
    arc_loc = problem.arc_loc.tolist()
    line_qty = problem.line_qty.tolist()
    line_sku = problem.line_sku.tolist()
    sorted_arcs = order.tolist()
    by_priority = problem.sourcing_sequence.tolist()
    line_start = np.searchsorted(problem.line_order, np.arange(problem.n_orders + 1)).tolist()
    limits = shipment_limits(problem, max_shipments).tolist()
    for o in by_priority:
        if only is not None and not only[o]:
            continue
        opened = opened_by_order.get(o, set())
        limit = limits[o]
        for line in range(line_start[o], line_start[o + 1]):
            need, sku = line_qty[line] - filled[line], line_sku[line]
            if need <= 0:
                continue
            started = filled[line] > 0  # from ``initial``: without splits, only its own arc
            for a in sorted_arcs[bounds[line] : bounds[line + 1]]:
                n = arc_loc[a]
                if n not in opened and len(opened) >= limit:
                    continue
                if started and not allow_split and units[a] == 0:
                    continue
                room = min(int(stock[n, sku]), capacity[n])
                take = int(min(need, room))
                if take <= 0 or (not allow_split and take < need):
                    continue
                units[a] += take  # on top of what ``initial`` put there
                stock[n, sku] -= take
                capacity[n] -= take
                opened.add(n)
                need -= take
                if need == 0:
                    break
    return units


class GreedyBackend:
    """Baseline and floor; it proves nothing, so its status is ``feasible``."""

    name = "greedy"

    def solve(self, ctx: SolveContext) -> BackendAnswer:
        units = greedy_units(ctx.problem, ctx.weights.max_shipments, ctx.weights.allow_split)
        return BackendAnswer(status="feasible", arc_units=units, bound=None)
