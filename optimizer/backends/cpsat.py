"""OR-Tools CP-SAT on the same matrix model, costs scaled to integers.

CP-SAT needs integer coefficients: the objective is scaled to 1/10,000 of a money unit (finer
when its smallest coefficient, the location priority tie-break, needs it: ``objective_scale``)
and rounded; the answer is re-scored by the shared objective. It runs 8 workers even on 2
cores: with fewer it stalled 3-12% above the bound.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from optimizer.backends.base import BackendAnswer, SolveContext

SCALE = 10_000.0
WORKERS = 8
# The smallest cost coefficient keeps at least this many integer steps (the location priority
# tie-break is far below a cent per unit on large orders), as long as the objective's largest
# possible value stays within a double's exact integers.
TIE_STEPS = 10.0
EXACT_LIMIT = 2.0 ** 52


def objective_scale(cost: np.ndarray, upper: np.ndarray) -> float:
    """Money to CP-SAT's integers: 1/10,000 of a unit, finer when the smallest coefficient
    would round to a few steps (or to nothing, losing the tie-break it carries), but never so
    fine that the objective leaves the exact integer range."""
    magnitude = np.abs(cost)
    nonzero = magnitude[magnitude > 0]
    if nonzero.size == 0:
        return SCALE
    wanted = TIE_STEPS / float(nonzero.min())
    room = EXACT_LIMIT / max(float((magnitude * upper).sum()), 1.0)
    return max(SCALE, min(wanted, room))


class CpSatBackend:
    """Portfolio search; the watchdog stops it with ``stop_search``."""

    name = "cpsat"

    def solve(self, ctx: SolveContext) -> BackendAnswer:
        m = ctx.model
        model = cp_model.CpModel()
        scaling = objective_scale(m.col_cost, m.col_upper)
        upper = np.ceil(m.col_upper).astype(np.int64).tolist()
        cols = [model.new_int_var(0, ub, f"v{j}") for j, ub in enumerate(upper)]
        for r in range(m.n_rows):
            if r % 512 == 0:
                ctx.token.check()
            idx, val = m.row(r)
            lo, hi = m.row_lower[r], m.row_upper[r]
            scale = 1.0
            if np.any(np.abs(val - np.rint(val)) > 1e-9):
                # a row of prices (fill_first's held shortfall): scaled like the objective,
                # its bound rounded inwards (the caller's bound leaves room for it)
                scale = scaling
            coeffs = np.rint(val * scale).astype(np.int64).tolist()
            expr = cp_model.LinearExpr.weighted_sum([cols[j] for j in idx.tolist()], coeffs)
            low = int(np.ceil(lo * scale - 1e-9)) if np.isfinite(lo) else cp_model.INT_MIN
            high = int(np.floor(hi * scale + 1e-9)) if np.isfinite(hi) else cp_model.INT_MAX
            model.add_linear_constraint(expr, low, high)
        cost = np.rint(m.col_cost * scaling).astype(np.int64)
        nz = np.nonzero(cost)[0].tolist()
        model.minimize(cp_model.LinearExpr.weighted_sum([cols[j] for j in nz], cost[nz].tolist()))
        if ctx.start is not None:
            for j, value in enumerate(np.rint(m.to_vector(ctx.problem, ctx.start)).tolist()):
                model.add_hint(cols[j], int(value))

        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(ctx.time_limit_s, 0.001)
        solver.parameters.num_workers = WORKERS
        solver.parameters.random_seed = int(ctx.params.seed)
        solver.parameters.relative_gap_limit = ctx.mip_rel_gap
        ctx.token.on_cancel(solver.stop_search)
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return BackendAnswer(status="infeasible", arc_units=None, bound=None)
        bound = float(solver.best_objective_bound) / scaling
        if status == cp_model.MODEL_INVALID:  # e.g. quantities past CP-SAT's integer range
            return BackendAnswer(status="feasible", arc_units=None, bound=None,
                                 message="CP-SAT refused the model (MODEL_INVALID)")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return BackendAnswer(
                status="time_limit", arc_units=None, bound=None, message=solver.status_name(status)
            )
        values = np.array([solver.value(cols[j]) for j in range(m.n_arcs)], dtype=float)
        units = m.arc_units_of(values)
        # The integer objective rounds each coefficient; widen the bound by that rounding.
        slack = 0.5 / scaling * float(np.abs(m.col_upper[nz]).sum())
        if status == cp_model.OPTIMAL:
            return BackendAnswer(status="optimal", arc_units=units, bound=bound - slack)
        return BackendAnswer(
            status="time_limit",
            arc_units=units,
            bound=bound - slack,
            message="stopped before proving optimality",
        )
