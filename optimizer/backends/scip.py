"""SCIP through OR-Tools' pywraplp, on the same matrix model.

pywraplp builds one Python call per coefficient, so this backend is for cross-checking and
medium models; HiGHS is the one fed arrays.
"""

from __future__ import annotations

import numpy as np
from ortools.linear_solver import pywraplp

from optimizer.backends.base import BackendAnswer, SolveContext
from optimizer.result import Status


class ScipBackend:
    """Branch-and-cut in SCIP; ``InterruptSolve`` lets the watchdog stop it."""

    name = "scip"
    engine = "SCIP"

    def solve(self, ctx: SolveContext) -> BackendAnswer:
        m = ctx.model
        solver = pywraplp.Solver.CreateSolver(self.engine)
        if solver is None:
            return BackendAnswer(
                status="infeasible",
                arc_units=None,
                bound=None,
                message=f"{self.engine} not available in this OR-Tools",
            )
        inf = solver.infinity()
        cols = [
            solver.IntVar(0.0, ub, f"v{j}") if integer else solver.NumVar(0.0, ub, f"v{j}")
            for j, (ub, integer) in enumerate(
                zip(m.col_upper.tolist(), m.integrality.tolist(), strict=True)
            )
        ]
        for r in range(m.n_rows):
            if r % 512 == 0:
                ctx.token.check()
            lo, hi = float(m.row_lower[r]), float(m.row_upper[r])
            row = solver.RowConstraint(lo if np.isfinite(lo) else -inf, hi, "")
            idx, val = m.row(r)
            for j, v in zip(idx.tolist(), val.tolist(), strict=True):
                row.SetCoefficient(cols[j], v)
        objective = solver.Objective()
        for j in np.nonzero(m.col_cost)[0].tolist():
            objective.SetCoefficient(cols[j], float(m.col_cost[j]))
        objective.SetMinimization()
        if ctx.start is not None:
            solver.SetHint(cols, m.to_vector(ctx.problem, ctx.start).tolist())
        solver.SetTimeLimit(max(int(ctx.time_limit_s * 1000), 1))
        solver.SetNumThreads(1)
        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(params.RELATIVE_MIP_GAP, ctx.mip_rel_gap)
        ctx.token.on_cancel(solver.InterruptSolve)
        status = solver.Solve(params)
        if status == pywraplp.Solver.INFEASIBLE:
            return BackendAnswer(status="infeasible", arc_units=None, bound=None)
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return BackendAnswer(
                status="time_limit",
                arc_units=None,
                bound=None,
                message=f"{self.engine} status {status}",
            )
        bound = float(objective.BestBound())
        values = np.array([cols[j].solution_value() for j in range(m.n_arcs)], dtype=float)
        units = m.arc_units_of(values)
        label: Status = "optimal" if status == pywraplp.Solver.OPTIMAL else "time_limit"
        return BackendAnswer(
            status=label, arc_units=units, bound=bound if np.isfinite(bound) else None
        )
