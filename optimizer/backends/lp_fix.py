"""LP relax-and-fix for batches too big to prove optimal in time.

1. Solve the LP relaxation (HiGHS): its objective is a valid lower bound, its stock duals are
   the lookahead's opportunity costs (returned for free).
2. Round it down and repair (drop packages beyond the shipment limit, greedy-fill the rest):
   a feasible answer in milliseconds.
3. Fix every package variable the LP settled (y = 0 or y = 1) and solve the much smaller MIP
   that is left, warm-started from step 2, in the remaining time.
The best of (3), (2) and greedy is returned, with the LP bound and its gap.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from optimizer.backends.base import BackendAnswer, SolveContext
from optimizer.backends.greedy import complete, greedy_units
from optimizer.backends.highs import column_values, new_highs, run_highs
from optimizer.fill_first import settles
from optimizer.lookahead import duals_by_key
from optimizer.objective import better, evaluate
from optimizer.problem import FloatArray, IntArray, Problem, shipment_limits

LP_SHARE = 0.6  # at most this share of the time limit goes to the LP
TOL = 1e-6


def round_and_repair(
    problem: Problem, lp_arcs: FloatArray, arc_units: IntArray, max_shipments: int, split: bool
) -> IntArray:
    """Floor the LP, keep each order's largest packages up to the limit, greedy-fill the rest."""
    units = np.floor(lp_arcs + TOL).astype(np.int64) * arc_units
    if not split:
        units = np.where(lp_arcs > 1 - TOL, arc_units, 0)
    per_pair = np.bincount(problem.arc_pair, units, minlength=problem.n_pairs)
    used = np.nonzero(per_pair > 0)[0]
    # rank used pairs within their order by units, largest first; drop those beyond the limit
    order = np.lexsort((-per_pair[used], problem.pair_order[used]))
    ranked = used[order]
    owner = problem.pair_order[ranked]
    first = np.searchsorted(owner, owner)
    keep = np.zeros(problem.n_pairs, dtype=bool)
    limit = shipment_limits(problem, max_shipments)[owner]
    keep[ranked[(np.arange(ranked.size) - first) < limit]] = True
    units = np.where(keep[problem.arc_pair], units, 0)
    return greedy_units(problem, max_shipments, split, initial=units)


class LpFixBackend:
    """Relax, round, fix, re-solve; the bound always comes from the LP."""

    name = "lp_fix"

    def solve(self, ctx: SolveContext) -> BackendAnswer:
        started = time.perf_counter()
        m, p, w = ctx.model, ctx.problem, ctx.weights
        h = new_highs(m, False, ctx.time_limit_s * LP_SHARE, ctx.params.seed)
        status, has_solution = run_highs(h, ctx)
        if status != highspy.HighsModelStatus.kOptimal or not has_solution:
            return BackendAnswer(
                status="time_limit",
                arc_units=ctx.start,
                bound=None,
                message="lp_fix: LP not solved in time",
            )
        bound = float(h.getInfo().objective_function_value)
        values = column_values(h)
        duals = duals_by_key(p, m, np.asarray(h.getSolution().row_dual, dtype=float))
        repaired = round_and_repair(
            p, values[: m.n_arcs], m.arc_units, w.max_shipments, w.allow_split
        )
        candidates = [repaired] + ([ctx.start] if ctx.start is not None else [])
        integral = np.all(np.abs(values[: m.u_offset] - np.rint(values[: m.u_offset])) < TOL)
        if integral:
            candidates.insert(0, m.arc_units_of(values))
        elif not ctx.token.cancelled:
            fixed = self._fixed_mip(ctx, h, values, repaired, started)
            if fixed is not None:
                candidates.insert(0, fixed)
        # complete each candidate greedily: fixing packages may have stranded a fillable unit
        candidates = [complete(p, w, u) for u in candidates]
        scored = [(evaluate(p, w, u), u) for u in candidates]
        score, best = scored[0]
        for other, units in scored[1:]:  # ranked as every answer is: fill first, then cost
            if better(w, other, score):
                score, best = other, units
        objective = score.objective
        # the bound is on the weighted objective: it proves the ranking above it only when
        # nothing reachable is left short (fill_first.settles)
        proven = objective - bound <= ctx.mip_rel_gap * max(abs(objective), 1.0) \
            and settles(p, w, best)
        return BackendAnswer(
            status="optimal" if proven else "feasible",
            arc_units=best,
            bound=bound,
            opportunity_costs=duals,
        )

    def _fixed_mip(
        self,
        ctx: SolveContext,
        h: highspy.Highs,
        values: FloatArray,
        start: IntArray,
        started: float,
    ) -> IntArray | None:
        """Fix settled packages, restore integrality, solve what is left."""
        m = ctx.model
        remaining = ctx.time_limit_s - (time.perf_counter() - started)
        if remaining <= 0.05:
            return None
        y = values[m.y_offset : m.u_offset]
        settled = np.nonzero((y < TOL) | (y > 1 - TOL))[0]
        idx = (m.y_offset + settled).astype(np.int32)
        level = np.rint(y[settled])
        h.changeColsBounds(idx.size, idx, level, level)
        cols = np.arange(m.n_cols, dtype=np.int32)
        h.changeColsIntegrality(m.n_cols, cols, m.integrality)
        h.setOptionValue("time_limit", remaining)
        h.setOptionValue("mip_rel_gap", ctx.mip_rel_gap)
        h.setSolution(m.n_cols, cols, m.to_vector(ctx.problem, start))
        _, has_solution = run_highs(h, ctx)
        if not has_solution:
            return None
        return m.arc_units_of(column_values(h))
