"""Fill first across a batch, exactly: the most units (weighted by order priority), then cost.

The fill-first penalty of an unfilled unit (``objective.build_weights``) exceeds the dearest
single order's whole cost. That makes one order fill every unit it can, but in a batch filling
one order's unit can push other orders onto dearer sources by more than that together, and the
weighted objective then prefers the unit unfilled (two orders, one contested unit: 102.08 with
one unit short against 200 with both filled). A penalty big enough for any batch drowns cost in
the objective (benchmarks/README.md, "A fill-first penalty large enough for any batch"), so a
joint MIP answer that leaves units short is checked lexicographically instead:

1. the same model with only the penalties priced: the least weighted shortfall P* stock, room,
   shipment limits and the split rule allow;
2. when the answer falls short of P*, the model again with the row "penalties <= P*", started
   from step 1's answer: the cheapest answer among those that fill the most.

Only when the first answer left units short (most batches fill everything: nothing to do) and
only for the exact MIP backends; a single order is exact already.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from optimizer.backends.base import Backend, BackendAnswer, SolveContext
from optimizer.model import MipModel
from optimizer.problem import FloatArray, IntArray
from optimizer.result import Status

MIP_BACKENDS = frozenset({"highs", "cpsat", "scip", "cbc"})
# Weighted shortfalls differ by at least 1 (penalties are base * (1 + rank) + 1): an answer
# within this of the best is as full as it
SAME_FILL = 0.5


def shortfall(ctx: SolveContext, arc_units: IntArray) -> float:
    """The penalty part of an answer's objective: its unfilled units at their lines' prices."""
    problem = ctx.problem
    filled = np.bincount(problem.arc_line, arc_units, minlength=problem.n_lines)
    return float((problem.line_qty - filled) @ ctx.weights.line_penalty)


def applies(name: str, ctx: SolveContext, answer: BackendAnswer) -> bool:
    return (
        name in MIP_BACKENDS
        and ctx.weights.fill_first
        and ctx.problem.n_orders > 1
        and answer.arc_units is not None
        and shortfall(ctx, answer.arc_units) > SAME_FILL
    )


def _priced_only_shortfall(model: MipModel) -> MipModel:
    cost = np.zeros(model.n_cols)
    u = slice(model.u_offset, model.t_offset)
    cost[u] = model.col_cost[u]
    return _with(model, col_cost=cost)


def _fill_held(model: MipModel, cap: float) -> MipModel:
    """``model`` with one more row: the weighted shortfall at most ``cap``."""
    u_cols = np.arange(model.u_offset, model.t_offset, dtype=np.int64)
    return _with(
        model,
        row_lower=np.append(model.row_lower, -np.inf),
        row_upper=np.append(model.row_upper, cap + SAME_FILL),
        row_start=np.append(model.row_start, model.row_start[-1] + u_cols.size),
        col_index=np.concatenate([model.col_index, u_cols]),
        value=np.concatenate([model.value, model.col_cost[u_cols]]),
    )


def _with(model: MipModel, **changes: FloatArray | IntArray) -> MipModel:
    fields = {name: getattr(model, name) for name in model.__dataclass_fields__}
    fields.update(changes)
    return MipModel(**fields)


@dataclass(eq=False)
class _PhaseContext(SolveContext):
    """A phase's own model and gap; everything else is the caller's."""

    phase_gap: float = 1e-9

    @property
    def mip_rel_gap(self) -> float:
        return self.phase_gap


def _phase(ctx: SolveContext, model: MipModel, start: IntArray, seconds: float,
           gap: float) -> _PhaseContext:
    phase = _PhaseContext(ctx.problem, ctx.params, ctx.weights, seconds, ctx.token, start,
                          phase_gap=gap)
    phase.__dict__["model"] = model  # the cached_property's slot: never rebuilt
    return phase


def hold_fill(backend: Backend, ctx: SolveContext, answer: BackendAnswer,
              deadline: float) -> BackendAnswer:
    """``answer`` or, when a fuller one exists, the cheapest of the fullest (see module)."""
    assert answer.arc_units is not None
    solve = backend.solve
    left = deadline - time.perf_counter()
    if left <= 0.05:
        return _note(answer, "fill across orders not verified (no time left)")
    # 1. the least weighted shortfall; a shortfall is a count of units: the gap must be < 1
    fullest = solve(_phase(ctx, _priced_only_shortfall(ctx.model), answer.arc_units,
                           left * 0.5, 1e-9))
    if fullest.arc_units is None:
        return _note(answer, "fill across orders not verified (no answer in time)")
    best = shortfall(ctx, fullest.arc_units)
    proven = fullest.status == "optimal"
    if best >= shortfall(ctx, answer.arc_units) - SAME_FILL:
        return answer if proven else _note(answer, "fill across orders not proven")
    # 2. the cheapest answer that fills as much
    left = deadline - time.perf_counter()
    held = (
        solve(_phase(ctx, _fill_held(ctx.model, best), fullest.arc_units, left,
                     ctx.mip_rel_gap))
        if left > 0.05
        else BackendAnswer("time_limit", None, None)
    )
    message = "; ".join(m for m in (answer.message, "filled first across orders (the most "
                                    "units stock allows, then the cheapest)") if m)
    units = held.arc_units
    if units is None or shortfall(ctx, units) > best + SAME_FILL:
        return BackendAnswer("feasible", fullest.arc_units, None, message,
                             answer.opportunity_costs)
    # optimal only if step 1 proved the fill: the row's cap is then the true best
    status = held.status if proven or held.status != "optimal" else "feasible"
    return BackendAnswer(status, units, held.bound if proven else None, message,
                         answer.opportunity_costs)


def _note(answer: BackendAnswer, text: str) -> BackendAnswer:
    """``answer`` kept, its fill across orders unproven: not "optimal" any more (its bound, one
    of the weighted objective, stays valid: the fullest answer's objective is no lower)."""
    status: Status = "feasible" if answer.status == "optimal" else answer.status
    return BackendAnswer(status, answer.arc_units, answer.bound,
                         "; ".join(m for m in (answer.message, text) if m),
                         answer.opportunity_costs)
