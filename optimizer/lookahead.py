"""Opportunity costs of stock from the joint LP: what a unit at (location, SKU) is worth to the
other live orders.

Sourcing orders one by one hands each the cheapest stock even when a later order has no other
source. The LP relaxation of the joint problem prices that: the dual of each stock row is what
one more unit there would save the batch. Adding it per unit to single-order sourcing leaves
scarce stock where later orders need it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import highspy
import numpy as np

from optimizer.backends.highs import new_highs
from optimizer.model import MipModel
from optimizer.objective import build_weights
from optimizer.params import Params
from optimizer.problem import FloatArray, Problem

MIN_PRICE = 1e-9


def joint_opportunity_costs(
    problem: Problem, params: Params | None = None
) -> dict[tuple[str, str], float]:
    """Shadow price (>= 0, money per unit) of every binding (location_id, sku) stock row."""
    return fresh_opportunity_costs(problem, params) or {}


def fresh_opportunity_costs(
    problem: Problem, params: Params | None = None
) -> dict[tuple[str, str], float] | None:
    """Like :func:`joint_opportunity_costs`, but None when the LP did not finish in
    ``params.time_limit_ms``: "no price could be computed" is not "no stock is scarce", and a
    caller keeping prices should keep the ones it has rather than erase them."""
    params = money_params(params or Params())
    weights = build_weights(problem, params)
    from optimizer.model import build_model

    model = build_model(problem, weights)
    if model.stock_rows.size == 0:
        return {}
    answer = solve_lp(problem, model, params.time_limit_ms / 1000.0)
    return None if answer is None else answer.duals


def money_params(params: Params) -> Params:
    """``params`` whose objective is in money, without opportunity costs of its own.

    Single-order sourcing adds a price per unit to money costs (``arc_unit = plain +
    opportunity``), so a price must be money too. Under ``time`` a day outweighs any order's
    whole cost and the duals would be in those units (143 for a 15.0 shipment), so prices are
    taken under ``cost``; ``balanced`` (cost + cost_per_day x days) is money already.
    """
    objective = "cost" if params.objective == "time" else params.objective
    return replace(params, objective=objective, opportunity_costs=None)


@dataclass(frozen=True)
class LpAnswer:
    """The LP relaxation's value and its stock duals by key.

    ``converged``: the method finished, so ``arc_units`` (units per arc) is an optimal LP
    solution and, by simplex, ``objective`` a lower bound of the MIP; an interior one is
    positive exactly on the arcs some optimal LP solution uses. An interior-point answer
    stopped at its limit is no bound, but its duals are still duals >= 0, which is all a
    Lagrangian bound needs.
    """

    objective: float
    duals: dict[tuple[str, str], float]
    converged: bool
    arc_units: FloatArray


def solve_lp(
    problem: Problem, model: MipModel, time_limit_s: float, interior: bool = False
) -> LpAnswer | None:
    """Solve the LP relaxation with HiGHS; None when there is nothing to read in time.

    ``interior``: HiGHS's interior point method without crossover, read even when stopped at
    the limit. On 2,000 x 30 its duals, being central rather than a vertex, made far better
    Lagrangian repairs than the simplex's (20,929 vs 21,369); on 10,000 x 50 the iterate after
    25 of the 55 s it needs already gave a Lagrangian bound above the LP's (benchmarks/README.md,
    "Lagrangian plan").
    """
    h = new_highs(model, integer=False, time_limit_s=time_limit_s, seed=0)
    if interior:
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
    h.run()
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    solution = h.getSolution()
    if not (optimal or (interior and solution.dual_valid)):
        return None
    row_dual = np.asarray(solution.row_dual, dtype=float)
    objective = float(h.getInfo().objective_function_value)
    values = np.asarray(solution.col_value, dtype=float)[: model.n_arcs]
    arc_units = values * model.arc_units.astype(float)
    return LpAnswer(
        objective,
        duals_by_key(problem, model, row_dual),
        converged=optimal,
        arc_units=arc_units,
    )


def stock_duals(
    problem: Problem, model: MipModel, time_limit_s: float
) -> dict[tuple[str, str], float]:
    """Solve the LP relaxation with HiGHS and read the stock rows' duals."""
    if model.stock_rows.size == 0:
        return {}
    answer = solve_lp(problem, model, time_limit_s)
    return answer.duals if answer is not None else {}


def duals_by_key(
    problem: Problem,
    model: MipModel,
    row_dual: FloatArray,
) -> dict[tuple[str, str], float]:
    """Map stock-row duals to (location_id, sku); a <= row of a minimisation has dual <= 0."""
    prices = -row_dual[model.stock_rows]
    out: dict[tuple[str, str], float] = {}
    for (n, s), price in zip(model.stock_keys.tolist(), prices.tolist(), strict=True):
        if price > MIN_PRICE:
            out[(problem.locations[n].id, problem.skus[s])] = float(price)
    return out
