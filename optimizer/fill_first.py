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

The ``time`` objective has the same flaw one level down: a day weighs more than the dearest
single order's cost, so a joint answer could trade one order's day for a larger cost elsewhere.
Under ``time`` the days are held the same way (:func:`hold_days`): the fewest order-days with
the fill kept, then the cheapest answer with both kept; skipped when every order already gets
its fastest eligible location's days.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from optimizer.backends.base import Backend, BackendAnswer, SolveContext
from optimizer.model import MipModel
from optimizer.objective import Score, Weights, evaluate, same
from optimizer.problem import IntArray, Problem
from optimizer.result import Status

MIP_BACKENDS = frozenset({"highs", "cpsat", "scip", "cbc"})
# why an answer within the gap of the weighted objective's bound is not called optimal
UNVERIFIED = ("within the gap of the weighted objective's bound, but units or days are left "
              "that a fuller or faster answer might take: fill across orders not verified")


def _score(ctx: SolveContext, arc_units: IntArray) -> Score:
    return evaluate(ctx.problem, ctx.weights, arc_units)


def settles(problem: Problem, weights: Weights, arc_units: IntArray) -> bool:
    """Whether an optimum of the weighted objective is also the optimum of the ranking above
    it, so a bound on the weighted objective may call ``arc_units`` optimal: one order alone
    (its penalties and days dominate its own cost exactly), or an answer that fills every unit
    some location could serve and, under ``time``, gives each order its fastest days. Any
    other answer a bound cannot prove: a fuller one may cost more in the weighted objective
    (see the module). The MIP backends check the ranking themselves (:func:`hold_fill`); the
    heuristics that claim optimality from a bound (lp_fix, split) ask this first."""
    if problem.n_orders <= 1:
        return True
    if weights.days_first:  # (fill first too: as fast as can be needs nothing short)
        return _as_fast_as_can_be(problem, weights, arc_units)
    return not weights.fill_first or same(_reachable_shortfall(problem, weights, arc_units), 0.0)


def fill_applies(name: str, ctx: SolveContext, answer: BackendAnswer) -> bool:
    return (
        name in MIP_BACKENDS
        and ctx.weights.fill_first
        and ctx.problem.n_orders > 1
        and answer.arc_units is not None
        and not same(_reachable_shortfall(ctx.problem, ctx.weights, answer.arc_units), 0.0)
    )


def _reachable_shortfall(problem: Problem, weights: Weights, arc_units: IntArray) -> float:
    """The shortfall of lines some location could serve (a line nobody stocks is short in
    every answer: no reason to look for a fuller one)."""
    reachable = np.bincount(problem.arc_line, minlength=problem.n_lines) > 0
    filled = np.bincount(problem.arc_line, arc_units, minlength=problem.n_lines)
    short = (problem.line_qty - filled) * reachable
    return float(short @ weights.line_penalty)


def _as_fast_as_can_be(problem: Problem, weights: Weights, arc_units: IntArray) -> bool:
    """Whether no answer with this fill has fewer order-days: it fills every line some
    location could serve (so does any answer as full: every order with stock somewhere ships)
    and each such order gets the days of its fastest location with stock. With units short,
    another answer as full may ship a different set of orders, so no floor is cheap."""
    if not same(_reachable_shortfall(problem, weights, arc_units), 0.0):
        return False
    fastest = np.full(problem.n_orders, np.inf)
    np.minimum.at(fastest, problem.pair_order[problem.arc_pair],
                  problem.pair_days[problem.arc_pair].astype(float))
    floor = float(fastest[np.isfinite(fastest)].sum())
    return same(evaluate(problem, weights, arc_units).order_days, floor)


def solve_ranked(name: str, backend: Backend, ctx: SolveContext) -> BackendAnswer:
    """``backend``'s answer to ``ctx``, then the fullest such answer and, under ``time``, the
    fastest of those (each only where it applies), all within ``ctx.time_limit_s``: how a
    batch is solved whole (``solve``) or by independent parts (``split``)."""
    deadline = time.perf_counter() + ctx.time_limit_s
    answer = backend.solve(ctx)
    if fill_applies(name, ctx, answer):
        answer = hold_fill(backend, ctx, answer, deadline)
    if days_apply(name, ctx, answer):
        answer = hold_days(backend, ctx, answer, deadline)
    return answer


def days_apply(name: str, ctx: SolveContext, answer: BackendAnswer) -> bool:
    return (
        name in MIP_BACKENDS
        and ctx.weights.days_first
        and ctx.model.n_time > 0
        and ctx.problem.n_orders > 1
        and answer.arc_units is not None
        and not _as_fast_as_can_be(ctx.problem, ctx.weights, answer.arc_units)
    )


def _priced_only(model: MipModel, columns: slice) -> MipModel:
    """``model`` with every cost but those of ``columns`` zeroed (one level of the order)."""
    cost = np.zeros(model.n_cols)
    cost[columns] = model.col_cost[columns]
    return replace(model, col_cost=cost)


def _held(level: _Level, model: MipModel, cap: float) -> MipModel:
    """``model`` with one more row: ``level`` at most ``cap`` (with the room of
    :meth:`_Level.room`)."""
    cols = np.arange(model.n_cols, dtype=np.int64)[level.columns(model)]
    weights = np.ones(cols.size) if level.counted else model.col_cost[cols]
    return replace(
        model,
        row_lower=np.append(model.row_lower, -np.inf),
        row_upper=np.append(model.row_upper, level.room(cap)),
        row_start=np.append(model.row_start, model.row_start[-1] + cols.size),
        col_index=np.concatenate([model.col_index, cols]),
        value=np.concatenate([model.value, weights]),
    )


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


@dataclass(frozen=True)
class _Level:
    """One level of the order answers are ranked in, above the weighted objective."""

    name: str  # in messages: "fill", "days"
    done: str  # the message when the level was held
    columns: Callable[[MipModel], slice]  # the model columns that measure it
    measure: Callable[[Score], float]  # an answer's value (lower is better)
    counted: bool  # whole units, one per column (days); else priced by the columns' costs

    def room(self, cap: float) -> float:
        """A held level's row bound: ``cap`` and room for the solvers' tolerances, below any
        real change of the level. Days are whole: half a day. A shortfall of priced units
        moves by less than a penalty between fills (priority ranks), so relative room, which
        also covers CP-SAT rounding the prices it scales (cpsat.py)."""
        return cap + (0.5 if self.counted else 1e-4 * max(1.0, abs(cap)))


FILL = _Level("fill", "filled first across orders (the most units stock allows, then the "
              "cheapest)", lambda m: slice(m.u_offset, m.t_offset), lambda s: s.shortfall,
              counted=False)
DAYS = _Level("days", "fastest across orders (the fewest order-days, then the cheapest)",
              lambda m: slice(m.t_offset, m.n_cols), lambda s: s.order_days, counted=True)


def hold_fill(backend: Backend, ctx: SolveContext, answer: BackendAnswer,
              deadline: float) -> BackendAnswer:
    """``answer`` or, when a fuller one exists, the cheapest of the fullest (see module)."""
    return _hold(FILL, ctx.model, backend, ctx, answer, deadline)


def hold_days(backend: Backend, ctx: SolveContext, answer: BackendAnswer,
              deadline: float) -> BackendAnswer:
    """Under ``time``: the fewest order-days with the answer's fill kept, then the cheapest
    answer with both kept (``answer`` when it is already as fast)."""
    assert answer.arc_units is not None
    kept = _held(FILL, ctx.model, _score(ctx, answer.arc_units).shortfall)
    return _hold(DAYS, kept, backend, ctx, answer, deadline)


def _hold(level: _Level, model: MipModel, backend: Backend, ctx: SolveContext,
          answer: BackendAnswer, deadline: float) -> BackendAnswer:
    """The best ``level`` on ``model`` (1.), then the cheapest answer holding it (2.)."""
    assert answer.arc_units is not None
    left = deadline - time.perf_counter()
    if left <= 0.05:
        return _note(answer, f"{level.name} across orders not verified (no time left)")
    # 1. the level alone; it moves in steps of at least 1, so the gap must stay below that
    first = backend.solve(_phase(ctx, _priced_only(model, level.columns(model)), answer.arc_units,
                                 left * 0.5, 1e-9))
    if first.arc_units is None:
        return _note(answer, f"{level.name} across orders not verified (the check found no "
                             f"answer: {first.status})")
    best = level.measure(_score(ctx, first.arc_units))
    proven = first.status == "optimal"
    now = level.measure(_score(ctx, answer.arc_units))
    if best >= now or same(best, now):
        return answer if proven else _note(answer, f"{level.name} across orders not proven")
    # 2. the cheapest answer that holds it
    left = deadline - time.perf_counter()
    held = (
        backend.solve(_phase(ctx, _held(level, model, best), first.arc_units, left,
                             ctx.mip_rel_gap))
        if left > 0.05
        else BackendAnswer("time_limit", None, None)
    )
    message = "; ".join(m for m in (answer.message, level.done) if m)
    units = held.arc_units
    reached = None if units is None else level.measure(_score(ctx, units))
    if reached is None or not (reached <= best or same(reached, best)):
        return BackendAnswer("feasible", first.arc_units, None, message,
                             answer.opportunity_costs)
    # optimal only if step 1 proved the level: the row's cap is then the true best
    status = held.status if proven or held.status != "optimal" else "feasible"
    return BackendAnswer(status, units, held.bound if proven else None, message,
                         answer.opportunity_costs)


def _note(answer: BackendAnswer, text: str) -> BackendAnswer:
    """``answer`` kept, its level across orders unproven: not "optimal" any more (its bound, one
    of the weighted objective, stays valid: the fullest answer's objective is no lower)."""
    status: Status = "feasible" if answer.status == "optimal" else answer.status
    return BackendAnswer(status, answer.arc_units, answer.bound,
                         "; ".join(m for m in (answer.message, text) if m),
                         answer.opportunity_costs)
