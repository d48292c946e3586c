"""The sourcing MIP in matrix form (CSR), built with array operations.

One formulation feeds every MIP backend, so HiGHS, CP-SAT, SCIP and CBC solve the same model and
their answers are comparable. Columns are laid out in blocks:

    [ x: one per arc | y: one per pair | u: one per line | T: one per order (time/balanced) ]

With line splits off an arc column is binary z and carries the whole line (``arc_units`` = q).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.objective import Weights
from optimizer.problem import FloatArray, IntArray, Problem, shipment_limits

Uint8Array = npt.NDArray[np.uint8]


@dataclass(frozen=True, eq=False)
class MipModel:
    """min c'v  s.t.  row_lower <= A v <= row_upper,  col_lower <= v <= col_upper."""

    col_cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integrality: Uint8Array  # 1 = integer
    row_lower: FloatArray
    row_upper: FloatArray
    row_start: IntArray  # CSR
    col_index: IntArray
    value: FloatArray
    arc_units: IntArray  # units carried by one unit of each arc column
    n_arcs: int
    n_pairs: int
    n_lines: int
    n_time: int
    stock_rows: IntArray  # row index of each binding (location, sku) stock row
    stock_keys: IntArray  # (location, sku) of those rows, shape (k, 2)

    @property
    def n_cols(self) -> int:
        return int(self.col_cost.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.row_lower.shape[0])

    @property
    def y_offset(self) -> int:
        return self.n_arcs

    @property
    def u_offset(self) -> int:
        return self.n_arcs + self.n_pairs

    @property
    def t_offset(self) -> int:
        return self.n_arcs + self.n_pairs + self.n_lines

    def row(self, r: int) -> tuple[IntArray, FloatArray]:
        lo, hi = self.row_start[r], self.row_start[r + 1]
        return self.col_index[lo:hi], self.value[lo:hi]

    def to_vector(self, problem: Problem, arc_units: IntArray) -> FloatArray:
        """A full column vector for units-per-arc (used as a MIP start)."""
        v = np.zeros(self.n_cols)
        v[: self.n_arcs] = arc_units / np.maximum(self.arc_units, 1)
        used = np.bincount(problem.arc_pair, arc_units > 0, minlength=self.n_pairs) > 0
        v[self.y_offset : self.u_offset] = used
        filled = np.bincount(problem.arc_line, arc_units, minlength=self.n_lines)
        v[self.u_offset : self.t_offset] = problem.line_qty - filled
        if self.n_time:
            slowest = np.zeros(problem.n_orders)
            np.maximum.at(slowest, problem.pair_order[used], problem.pair_days[used])
            v[self.t_offset :] = slowest
        return v

    def arc_units_of(self, values: FloatArray) -> IntArray:
        """Units per arc from a solver's column values (rounded: integer columns)."""
        return np.rint(values[: self.n_arcs]).astype(np.int64) * self.arc_units


class _Rows:
    """Accumulates COO blocks and row bounds, then emits CSR in one sort."""

    def __init__(self) -> None:
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.vals: list[FloatArray] = []
        self.lower: list[FloatArray] = []
        self.upper: list[FloatArray] = []
        self.count = 0

    def add(
        self,
        n: int,
        rows: IntArray,
        cols: IntArray,
        vals: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
    ) -> int:
        """Add ``n`` rows whose entries use local row numbers 0..n-1; return the first index."""
        first = self.count
        self.rows.append(rows + first)
        self.cols.append(cols.astype(np.int64))
        self.vals.append(vals.astype(float))
        self.lower.append(np.broadcast_to(lower, (n,)).astype(float))
        self.upper.append(np.broadcast_to(upper, (n,)).astype(float))
        self.count += n
        return first

    def csr(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, np.int64)
        cols = np.concatenate(self.cols) if self.cols else np.zeros(0, np.int64)
        vals = np.concatenate(self.vals) if self.vals else np.zeros(0)
        order = np.argsort(rows, kind="stable")
        start = np.zeros(self.count + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.count), out=start[1:])
        lower = np.concatenate(self.lower) if self.lower else np.zeros(0)
        upper = np.concatenate(self.upper) if self.upper else np.zeros(0)
        return start, cols[order], vals[order], lower, upper


def build_model(problem: Problem, weights: Weights) -> MipModel:
    """Variables, constraints and objective of design.md's MIP, from arrays."""
    n_arcs, n_pairs, n_lines = problem.n_arcs, problem.n_pairs, problem.n_lines
    n_time = problem.n_orders if weights.time_weight > 0 else 0
    qty = problem.line_qty[problem.arc_line]
    cap_units = problem.arc_stock
    # x[a] integer units of a line from a location; z[a] in {0,1} (whole line) without splits
    units = np.ones(n_arcs, np.int64) if weights.allow_split else qty
    x_upper = cap_units.astype(float) if weights.allow_split else np.ones(n_arcs)
    if not weights.allow_split:
        x_upper = np.where(cap_units >= qty, 1.0, 0.0)
    y0, u0, t0 = n_arcs, n_arcs + n_pairs, n_arcs + n_pairs + n_lines
    arcs = np.arange(n_arcs)
    inf = np.inf
    rows = _Rows()

    # fill: sum_n units(x[l,n]) + u[l] = q(l)
    rows.add(
        n_lines,
        np.concatenate([problem.arc_line, np.arange(n_lines)]),
        np.concatenate([arcs, u0 + np.arange(n_lines)]),
        np.concatenate([units, np.ones(n_lines)]),
        problem.line_qty.astype(float),
        problem.line_qty.astype(float),
    )

    # stock: units of SKU s from n over all lines <= a(n,s) (only rows that can bind)
    key = problem.arc_loc * max(len(problem.skus), 1) + problem.arc_sku
    keys, group = np.unique(key, return_inverse=True)
    demand = np.bincount(group, units * x_upper, minlength=keys.size)
    key_loc, key_sku = keys // max(len(problem.skus), 1), keys % max(len(problem.skus), 1)
    supply = problem.stock[key_loc, key_sku].astype(float)
    binding = demand > supply
    row_of_key = np.cumsum(binding) - 1
    keep = binding[group]
    n_stock = int(binding.sum())
    first = rows.add(
        n_stock,
        row_of_key[group[keep]],
        arcs[keep],
        units[keep].astype(float),
        np.full(n_stock, -inf),
        supply[binding],
    )
    stock_rows = first + np.arange(n_stock)
    stock_keys = np.stack([key_loc[binding], key_sku[binding]], axis=1)

    # link: units(x[l,n]) <= ub * y[o,n]  (a unit leaves n only in a package)
    link_coef = x_upper * units if weights.allow_split else np.ones(n_arcs)
    lhs = units.astype(float) if weights.allow_split else np.ones(n_arcs)
    rows.add(
        n_arcs,
        np.concatenate([arcs, arcs]),
        np.concatenate([arcs, y0 + problem.arc_pair]),
        np.concatenate([lhs, -link_coef]),
        np.full(n_arcs, -inf),
        np.zeros(n_arcs),
    )

    # shipments: sum_n y[o,n] <= max shipments (only orders with more eligible locations)
    per_order = np.bincount(problem.pair_order, minlength=problem.n_orders)
    limit = shipment_limits(problem, weights.max_shipments)
    limited = per_order > limit
    pmask = limited[problem.pair_order]
    row_of_order = np.cumsum(limited) - 1
    n_ship = int(limited.sum())
    rows.add(
        n_ship,
        row_of_order[problem.pair_order[pmask]],
        y0 + np.nonzero(pmask)[0],
        np.ones(int(pmask.sum())),
        np.full(n_ship, -inf),
        limit[limited].astype(float),
    )

    # capacity: units shipped from n <= remaining capacity(n) (only where it can bind)
    loc_demand = np.bincount(problem.arc_loc, units * x_upper, minlength=problem.n_locations)
    tight = loc_demand > problem.loc_capacity
    amask = tight[problem.arc_loc]
    row_of_loc = np.cumsum(tight) - 1
    n_cap = int(tight.sum())
    rows.add(
        n_cap,
        row_of_loc[problem.arc_loc[amask]],
        arcs[amask],
        units[amask].astype(float),
        np.full(n_cap, -inf),
        problem.loc_capacity[tight],
    )

    # time: days(o,n) * y[o,n] <= T[o]  (an order arrives with its slowest package)
    if n_time:
        pairs = np.arange(n_pairs)
        rows.add(
            n_pairs,
            np.concatenate([pairs, pairs]),
            np.concatenate([y0 + pairs, t0 + problem.pair_order]),
            np.concatenate([problem.pair_days.astype(float), -np.ones(n_pairs)]),
            np.full(n_pairs, -inf),
            np.zeros(n_pairs),
        )

    start, cols, vals, lower, upper = rows.csr()
    max_days = float(problem.pair_days.max()) if n_pairs else 0.0
    col_cost = np.concatenate(
        [
            weights.arc_unit * units,
            weights.pair_cost,
            weights.line_penalty,
            np.full(n_time, weights.time_weight),
        ]
    )
    col_upper = np.concatenate(
        [
            x_upper,
            np.ones(n_pairs),
            problem.line_qty.astype(float),
            np.full(n_time, max_days),
        ]
    )
    integrality = np.concatenate(
        [
            np.ones(n_arcs + n_pairs, np.uint8),
            np.zeros(n_lines + n_time, np.uint8),
        ]
    )
    return MipModel(
        col_cost=col_cost,
        col_lower=np.zeros(col_cost.shape[0]),
        col_upper=col_upper,
        integrality=integrality,
        row_lower=lower,
        row_upper=upper,
        row_start=start,
        col_index=cols,
        value=vals,
        arc_units=units.astype(np.int64),
        n_arcs=n_arcs,
        n_pairs=n_pairs,
        n_lines=n_lines,
        n_time=n_time,
        stock_rows=stock_rows.astype(np.int64),
        stock_keys=stock_keys.astype(np.int64),
    )
