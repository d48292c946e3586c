"""HiGHS fed the CSR arrays directly: the main exact backend.

``passModel`` takes the numpy arrays as they are, so a 10,000-order model reaches the solver
without a Python object per variable. The solve listens for a user interrupt so the watchdog can
stop it; the greedy answer goes in as a MIP start so a stopped solve still has an incumbent.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from typing import Any

import highspy
import numpy as np

from optimizer.backends.base import BackendAnswer, SolveContext
from optimizer.model import MipModel
from optimizer.problem import FloatArray
from optimizer.result import Status

_STOPPED = {
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kInterrupt,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
}
_INTERRUPT_FROM_COLS = 2000  # below this a solve ends long before any deadline


_BANNER_LOCK = threading.Lock()


def _banner_swallowed() -> bool:
    """Once per process, under a lock: two first solves at once must not save each other's
    /dev/null as the descriptor to restore."""
    with _BANNER_LOCK:
        return _swallow_banner()


@functools.cache
def _swallow_banner() -> bool:
    """HiGHS prints its copyright banner on the process's standard output the first time an
    instance is made, before any option can silence it; it then lands in a CLI's piped output
    and among a server's JSON log lines. That first instance is made here, with file
    descriptor 1 pointed at /dev/null for the moment it takes. Returns whether it could be."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no standard output at all: nothing to keep clean
        return False
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return True


def new_highs(model: MipModel, integer: bool, time_limit_s: float, seed: int) -> Any:
    """A silent HiGHS instance holding the model (the MIP, or its LP relaxation)."""
    _banner_swallowed()
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(time_limit_s, 0.001))
    h.setOptionValue("random_seed", int(seed))
    integrality = model.integrality if integer else np.zeros(model.n_cols, np.uint8)
    h.passModel(
        model.n_cols,
        model.n_rows,
        int(model.col_index.shape[0]),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        model.col_cost,
        model.col_lower,
        model.col_upper,
        model.row_lower,
        model.row_upper,
        model.row_start[:-1].astype(np.int32),
        model.col_index.astype(np.int32),
        model.value,
        integrality.astype(np.int32),
    )
    return h


def run_highs(h: Any, ctx: SolveContext) -> tuple[Any, bool]:
    """Run with the watchdog able to interrupt; return (model status, has a primal solution)."""
    if ctx.model.n_cols >= _INTERRUPT_FROM_COLS:
        h.HandleUserInterrupt = True
        ctx.token.on_cancel(h.cancelSolve)
    h.run()
    status = h.getModelStatus()
    has_solution = int(h.getInfo().primal_solution_status) == 2
    return status, has_solution


def column_values(h: Any) -> FloatArray:
    return np.asarray(h.getSolution().col_value, dtype=float)


def _consistent(h: Any, model: MipModel) -> bool:
    """Whether the objective HiGHS reports is the value of the columns it returns."""
    reported = float(h.getInfo().objective_function_value)
    actual = float(column_values(h) @ model.col_cost)
    # tighter than the smallest tie-break (objective.TIE_BUDGET spread over units and ranks):
    # at 1e-6 an answer a priority tie-break below the optimum passed as the optimum
    return abs(reported - actual) <= 1e-9 * max(abs(actual), 1.0)


def untrusted_answer(h: Any, model: MipModel) -> BackendAnswer:
    """The columns HiGHS returned and its bound, when its objective is not theirs.

    The columns are a feasible answer whatever HiGHS claims for them; its dual bound is still
    a valid lower bound (every node it pruned had an LP bound at or above the value it
    believed its incumbent had, and the bound it reports is never above that value). Only the
    claim that the incumbent is optimal cannot be trusted, so the answer is at most stopped.
    """
    columns = column_values(h)
    info = h.getInfo()
    bound = float(info.mip_dual_bound)
    label: Status = "time_limit" if h.getModelStatus() in _STOPPED else "feasible"
    message = (
        f"HiGHS reported {float(info.objective_function_value):.6f} for columns worth "
        f"{float(columns @ model.col_cost):.6f}: kept the columns, not the claim"
    )
    return BackendAnswer(label, model.arc_units_of(columns),
                         bound if np.isfinite(bound) else None, message)


class HighsBackend:
    """Branch-and-cut on the full MIP."""

    name = "highs"

    def solve(self, ctx: SolveContext) -> BackendAnswer:
        model = ctx.model
        started = time.perf_counter()
        h = new_highs(model, True, ctx.time_limit_s, ctx.params.seed)
        h.setOptionValue("mip_rel_gap", ctx.mip_rel_gap)
        if ctx.start is not None:
            start = model.to_vector(ctx.problem, ctx.start)
            h.setSolution(model.n_cols, np.arange(model.n_cols, dtype=np.int32), start)
        status, has_solution = run_highs(h, ctx)
        remaining = ctx.time_limit_s - (time.perf_counter() - started)
        if ctx.start is not None and has_solution and not _consistent(h, model):
            # HiGHS 1.16 can report a better objective than the columns it hands back (seen
            # with a MIP start on small models: "optimal" 874.47, columns worth the start's
            # 897.28, true optimum 882.43). Neither claim is then trusted: solve again cold.
            if remaining <= 0.05:
                return untrusted_answer(h, model)
            h = new_highs(model, True, remaining, ctx.params.seed)
            h.setOptionValue("mip_rel_gap", ctx.mip_rel_gap)
            status, has_solution = run_highs(h, ctx)
        if status == highspy.HighsModelStatus.kInfeasible:
            return BackendAnswer(status="infeasible", arc_units=None, bound=None)
        bound = float(h.getInfo().mip_dual_bound)
        if not model.integrality.any():  # no arc at all: HiGHS solves an LP, leaves this at 0
            bound = float(h.getInfo().objective_function_value)
        bound_or_none = bound if np.isfinite(bound) else None
        if not has_solution:
            return BackendAnswer(
                status="time_limit",
                arc_units=None,
                bound=bound_or_none,
                message=h.modelStatusToString(status),
            )
        units = model.arc_units_of(column_values(h))
        if status == highspy.HighsModelStatus.kOptimal:
            return BackendAnswer(status="optimal", arc_units=units, bound=bound_or_none)
        label: Status = "time_limit" if status in _STOPPED else "feasible"
        return BackendAnswer(
            status=label,
            arc_units=units,
            bound=bound_or_none,
            message=h.modelStatusToString(status),
        )
