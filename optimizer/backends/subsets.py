"""Branch-and-bound over one order's location subsets: the exact enumerator's search.

Why it is fast: an unfilled unit costs more than any whole order (objective.py), so a set of
locations can beat the incumbent only if it leaves at most as many *reachable* units unfilled.
With a finite ``unfilled_cost_factor`` the bound below still holds (its slope may drop to 0 and
prune less) provided no usable cell is dearer than its line's penalty: callers zero ``avail``
where ``unit > penalty`` (exact.order_data, the Lagrangian's ``useful``), since :func:`score` and
:func:`fill` send every usable unit. The search covers non-empty sets only; "send nothing" is
the caller's to compare (exact.best_subset, the Lagrangian's ``none``).
Good sets are rare (at 20 lines x 200 locations 70-1,300 of 1.3M triples fill every line), so
the search finds a strong incumbent first (a small beam), then extends each frontier set only by
locations whose lower bound can still win. When the incumbent fills every reachable unit, "this
set + k fills every line" is an AND of per-line bitsets over k, 64 locations per machine word.

The lower bound of a set T (costs are >= 0, which the specs enforce; deficits count reachable
units only, u_min(l) is line l's cheapest unit anywhere):

    value(T) >= fixed + Σ_l P·deficit_l(T) + Σ_l u_min(l)·filled_l(T) + packages(T) + tw·days(T)
             >= fixed + u0 + (P_min - max_l u_min(l))·deficit(T) + packages(T) + tw·days(T)

where ``fixed`` prices the units nobody can supply and ``u0`` fills every reachable unit at its
cheapest location. Everything that passes the bound is scored exactly, so the answer is the
optimum of the same objective :func:`score` computes; the bound only decides what is skipped.
The search gives up (returns None, and solve() hands the order to HiGHS) past a number of sets
or a deadline, never returns a guess.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np
import numpy.typing as npt

from optimizer.problem import FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]
U64Array = npt.NDArray[np.uint64]

BEAM_WIDTH = 4  # sets kept per level when looking for the first incumbent
CHUNK_CELLS = 1_000_000  # frontier sets x locations x lines per numpy step (memory bound)
DENSE_CELLS = 1_000_000  # below this, exact deficits for every child beat bitsets


class OrderView(Protocol):
    """What the search reads of one order (exact.py's dense line x candidate arrays)."""

    @property
    def unit(self) -> FloatArray: ...  # objective per unit (L, J)
    @property
    def avail(self) -> FloatArray: ...  # usable units (L, J); 0 = cannot serve
    @property
    def qty(self) -> FloatArray: ...
    @property
    def penalty(self) -> FloatArray: ...  # per unfilled unit of each line
    @property
    def package(self) -> FloatArray: ...  # (J,)
    @property
    def days(self) -> FloatArray: ...  # (J,)


@dataclass(frozen=True, eq=False)
class View:
    """An :class:`OrderView` without exact.py's arc map (the Lagrangian search's, tests')."""

    unit: FloatArray
    avail: FloatArray
    qty: FloatArray
    penalty: FloatArray
    package: FloatArray
    days: FloatArray


def fill(d: OrderView, combo: IntArray, split: bool) -> FloatArray:
    """Units (L, J) the locations in ``combo`` send: each line from its cheapest members first,
    whole or not at all without ``split`` (the rule :func:`score` prices)."""
    units = np.zeros(d.unit.shape)
    for line in range(d.qty.shape[0]):
        need = float(d.qty[line])
        for j in sorted(combo.tolist(), key=lambda j: d.unit[line, j]):
            take = min(need, float(d.avail[line, j]))
            if take <= 0 or (not split and take < need):
                continue
            units[line, j] = take
            need -= take
    return units


def unit_rank(d: OrderView) -> IntArray:
    """Position of each candidate in its line's cheapest-first order (ties by index)."""
    order = np.argsort(d.unit, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
    return rank.astype(np.int64)


def score(
    d: OrderView, combos: IntArray, rank: IntArray, time_weight: float, split: bool
) -> FloatArray:
    """Objective of each subset (rows of ``combos``), assuming all its members send a package.

    With splits a line takes units from its members cheapest first; instead of sorting every
    (line, subset) the units before member m are summed over the members that rank before it,
    which is k^2 array operations and no per-row sort.
    """
    total = d.package[combos].sum(axis=1) + time_weight * d.days[combos].max(axis=1)
    avail = d.avail[:, combos]  # (L, C, k)
    unit = d.unit[:, combos]
    qty = d.qty[:, None]
    if split and combos.shape[1] == 1:
        take = np.minimum(qty[:, :, None], avail)[:, :, 0]
        lines = take * unit[:, :, 0] + (qty - take) * d.penalty[:, None]
    elif split:
        rk = rank[:, combos]
        k = combos.shape[1]
        filled = np.zeros(avail.shape[:2])
        lines = np.zeros(avail.shape[:2])
        for m in range(k):
            before = np.zeros(avail.shape[:2])
            for other in range(k):
                if other != m:
                    before += np.where(rk[:, :, other] < rk[:, :, m], avail[:, :, other], 0.0)
            take = np.clip(qty - before, 0.0, avail[:, :, m])
            lines += take * unit[:, :, m]
            filled += take
        lines += (qty - filled) * d.penalty[:, None]
    else:
        whole = np.where(avail > 0, qty[:, :, None] * unit, np.inf).min(axis=2)
        lines = np.minimum(whole, qty * d.penalty[:, None])
    return np.asarray(total + lines.sum(axis=0), dtype=float)


@dataclass(frozen=True, eq=False)
class _Bound:
    """Integer units and the constants of the lower bound (module docstring)."""

    avail: IntArray  # (L, J) usable units
    need: IntArray  # (L,) reachable units: what the best set could fill at most
    base: float  # fixed + u0
    slope: float  # what one more unfilled reachable unit adds at least


@dataclass(frozen=True, eq=False)
class _Bitsets:
    """Per line, which locations hold at least t units, 64 locations per word."""

    rows: U64Array  # bitsets {k: avail[l, k] >= t} for each line's distinct t (0: all)
    start: IntArray  # where each line's deficits start in row_of
    row_of: IntArray  # (line start + deficit) -> the row that covers it
    after: U64Array  # (J, W) bitset {k: k > j}


def _bitsets(mask: BoolArray) -> U64Array:
    """Rows of booleans -> rows of 64-bit words (bit k of the row = column k)."""
    n, j = mask.shape
    width = max(1, -(-j // 64))
    packed = np.zeros((n, width * 8), dtype=np.uint8)
    packed[:, : -(-j // 8)] = np.packbits(mask, axis=1, bitorder="little")
    return packed.view("<u8").astype(np.uint64)


def _columns(bits: U64Array, n: int) -> BoolArray:
    return np.unpackbits(bits.astype("<u8").view(np.uint8), axis=1, bitorder="little")[:, :n] > 0


def _bound(d: OrderView) -> _Bound:
    avail = np.rint(d.avail).astype(np.int64)
    qty = np.rint(d.qty).astype(np.int64)
    need = np.minimum(qty, avail.sum(axis=1))
    serves = avail > 0
    u_min = np.where(serves, d.unit, np.inf).min(axis=1, initial=np.inf)
    u_min = np.where(need > 0, u_min, 0.0)
    fixed = float(((qty - need) * d.penalty).sum())
    reachable = need > 0
    p_min = float(d.penalty[reachable].min()) if reachable.any() else 0.0
    u_top = float(u_min[reachable].max()) if reachable.any() else 0.0
    return _Bound(
        avail=avail,
        need=need,
        base=fixed + float((u_min * need).sum()),
        slope=max(p_min - u_top, 0.0),
    )


def _line_bitsets(b: _Bound) -> _Bitsets:
    avail, need = b.avail, b.need
    rows: list[BoolArray] = []
    starts: list[int] = []
    row_of: list[IntArray] = []
    count = 0
    for line in range(avail.shape[0]):
        t = np.unique(np.concatenate([[0], avail[line][avail[line] > 0]]))
        rows.append(avail[line][None, :] >= t[:, None])
        rows.append(np.zeros((1, avail.shape[1]), dtype=bool))  # more than anyone holds
        # deficit 0..need -> first row whose threshold covers it
        starts.append(sum(r.size for r in row_of))
        row_of.append(count + np.searchsorted(t, np.arange(need[line] + 1), side="left"))
        count += t.size + 1
    n = avail.shape[1]
    return _Bitsets(
        rows=_bitsets(np.concatenate(rows)) if rows else np.zeros((0, 1), np.uint64),
        start=np.asarray(starts, dtype=np.int64),
        row_of=np.concatenate(row_of) if row_of else np.zeros(0, np.int64),
        after=_bitsets(np.arange(n)[None, :] > np.arange(n)[:, None]),
    )


@dataclass(eq=False)
class _Frontier:
    """Sets still worth extending: members, per-line deficit, packages, slowest days."""

    combos: IntArray
    deficit: IntArray  # (nS, L) reachable units still missing
    package: FloatArray
    days: FloatArray

    def take(self, rows: IntArray, child: IntArray, d: OrderView, b: _Bound) -> _Frontier:
        return _Frontier(
            np.concatenate([self.combos[rows], child[:, None]], axis=1),
            np.maximum(self.deficit[rows] - b.avail[:, child].T, 0),
            self.package[rows] + d.package[child],
            np.maximum(self.days[rows], d.days[child]),
        )


class _Search:
    """State of one search: the incumbent and the order's constants."""

    def __init__(
        self, d: OrderView, time_weight: float, split: bool, limit: int, deadline: float
    ) -> None:
        self.d, self.tw, self.split, self.limit = d, time_weight, split, limit
        self.deadline = deadline
        self.b = _bound(d)
        self.best_value = np.inf
        self.best_combo = np.zeros(0, dtype=np.int64)
        self.scored = 0

    @cached_property
    def bits(self) -> _Bitsets:
        return _line_bitsets(self.b)

    @cached_property
    def rank(self) -> IntArray:
        return unit_rank(self.d)

    def offer(self, combos: IntArray) -> FloatArray:
        """Score ``combos`` exactly and keep the best as the incumbent."""
        size = combos.shape[1]
        if combos.shape[0] == 0:
            return np.zeros(0)
        rank = self.rank if self.split and size > 1 else np.zeros((0, 0), np.int64)
        step = max(1, CHUNK_CELLS // (max(self.d.qty.size, 1) * size))
        parts = []
        for lo in range(0, combos.shape[0], step):
            part = combos[lo : lo + step]
            v = score(self.d, part, rank, self.tw, self.split)
            i = int(np.argmin(v))
            if v[i] < self.best_value - 1e-12:
                self.best_value, self.best_combo = float(v[i]), part[i].copy()
            parts.append(v)
        self.scored += combos.shape[0]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def tol(self) -> float:
        return 1e-9 * max(1.0, abs(self.best_value))

    def max_deficit(self) -> int:
        """Most reachable units a set may leave unfilled and still beat the incumbent."""
        room = self.best_value - self.tol() - self.b.base
        if room <= 0:
            return -1
        if self.b.slope <= 0:
            return int(self.b.need.sum())
        return int(np.ceil(room / self.b.slope)) - 1

    def beam(self, singles: FloatArray, top: int) -> None:
        """A few greedy-best sets of every size: the incumbent the bound prunes against."""
        n = singles.shape[0]
        level = np.argsort(singles, kind="stable")[:BEAM_WIDTH, None]
        for _ in range(1, top):
            rows = np.repeat(level, n, axis=0)
            child = np.tile(np.arange(n), level.shape[0])
            keep = ~(rows == child[:, None]).any(axis=1)
            combos = np.sort(np.concatenate([rows[keep], child[keep, None]], axis=1), axis=1)
            key = combos @ (n ** np.arange(combos.shape[1], dtype=np.int64))
            combos = combos[np.unique(key, return_index=True)[1]]
            if combos.shape[0] == 0:
                return
            values = self.offer(combos)
            level = combos[np.argsort(values, kind="stable")[:BEAM_WIDTH]]

    def children(self, f: _Frontier, top: int) -> _Frontier | None:
        """Score every child of ``f`` that can win; return the children worth extending."""
        d = self.d
        n_loc, n_lines = d.package.shape[0], max(d.qty.size, 1)
        size = f.combos.shape[1]
        more = top - size - 1  # members a child could still add
        step = max(1, CHUNK_CELLS // n_loc)
        nxt: list[_Frontier] = []
        count = 0
        for lo in range(0, f.combos.shape[0], step):
            part = _Frontier(
                f.combos[lo : lo + step],
                f.deficit[lo : lo + step],
                f.package[lo : lo + step],
                f.days[lo : lo + step],
            )
            grown = self._chunk(part, more)
            if grown is not None:
                count += grown.combos.shape[0]
                nxt.append(grown)
                if count > self.limit:
                    return None
            if self.scored > self.limit or time.perf_counter() > self.deadline:
                return None
        if not nxt:
            return _Frontier(
                np.zeros((0, size + 1), np.int64),
                np.zeros((0, n_lines), np.int64),
                np.zeros(0),
                np.zeros(0),
            )
        return _Frontier(
            np.concatenate([g.combos for g in nxt]),
            np.concatenate([g.deficit for g in nxt]),
            np.concatenate([g.package for g in nxt]),
            np.concatenate([g.days for g in nxt]),
        )

    def _chunk(self, f: _Frontier, more: int) -> _Frontier | None:
        d, b = self.d, self.b
        limit = self.max_deficit()
        if limit < 0:
            return None
        if limit == 0 and f.combos.shape[0] * d.package.shape[0] * d.qty.size > DENSE_CELLS:
            rows, child = self._fills_all(f)
            cost = self._fixed_cost(f, rows, child)
            keep = cost < self.best_value - self.tol()
            if keep.any():
                self.offer(np.concatenate([f.combos[rows[keep]], child[keep, None]], axis=1))
            if more <= 0:
                return None
            reach = self._fixed_cost(f) + _suffix_min_after(d.package)[None, :]
            rows, child = np.nonzero(self._later(f) & (reach < self.best_value - self.tol()))
            return f.take(rows, child, d, b)
        later = self._later(f)
        missing = np.zeros(later.shape, dtype=np.int64)
        for line in range(d.qty.size):
            missing += np.maximum(f.deficit[:, line, None] - b.avail[line][None, :], 0)
        fixed_cost = self._fixed_cost(f)
        bound = fixed_cost + b.slope * missing
        rows, child = np.nonzero(later & (bound < self.best_value - self.tol()))
        if rows.size:
            self.offer(np.concatenate([f.combos[rows], child[:, None]], axis=1))
        if more <= 0:
            return None
        cover = np.where(later, f.deficit.sum(axis=1)[:, None] - missing, 0)
        left = np.maximum(missing - more * _suffix_max_after(cover), 0)
        reach = fixed_cost + b.slope * left + _suffix_min_after(d.package)[None, :]
        rows, child = np.nonzero(later & (reach < self.best_value - self.tol()))
        return f.take(rows, child, d, b)

    def _later(self, f: _Frontier) -> BoolArray:
        """Children extend in index order, so every subset is met once."""
        return np.asarray(np.arange(self.d.package.shape[0])[None, :] > f.combos[:, -1:])

    def _fixed_cost(
        self, f: _Frontier, rows: IntArray | None = None, child: IntArray | None = None
    ) -> FloatArray:
        """Bound of each child with no unfilled reachable unit (all pairs, or the listed ones)."""
        d, b = self.d, self.b
        if rows is None or child is None:
            return np.asarray(
                b.base
                + f.package[:, None]
                + d.package[None, :]
                + self.tw * np.maximum(f.days[:, None], d.days[None, :])
            )
        return np.asarray(
            b.base
            + f.package[rows]
            + d.package[child]
            + self.tw * np.maximum(f.days[rows], d.days[child])
        )

    def _fills_all(self, f: _Frontier) -> tuple[IntArray, IntArray]:
        """(set, k) pairs, k after the set's last member, where adding k fills every line.

        Lines with the most missing units go first and sets whose candidates ran out are
        dropped as we go: after a few lines only a few percent of the sets remain.
        """
        b = self.bits
        alive = np.arange(f.combos.shape[0])
        acc = np.take(b.after, f.combos[:, -1], axis=0)  # np.take: 10x fancy indexing here
        rows = np.take(b.row_of, b.start[:, None] + f.deficit.T)  # (L, nS) bitset rows
        for line in np.argsort(-f.deficit.sum(axis=0), kind="stable").tolist():
            acc &= np.take(b.rows, rows[line], axis=0)
            nonzero = acc[:, 0] != 0
            for word in range(1, acc.shape[1]):
                nonzero |= acc[:, word] != 0
            if nonzero.sum() < 0.8 * alive.size:
                alive, acc, rows = alive[nonzero], acc[nonzero], rows[:, nonzero]
        hit, child = np.nonzero(_columns(acc, self.d.package.shape[0]))
        return alive[hit], child


def _suffix_min_after(values: FloatArray) -> FloatArray:
    """out[k] = min(values[k+1:]) (inf for the last)."""
    out = np.full(values.shape[0], np.inf)
    if values.shape[0] > 1:
        out[:-1] = np.minimum.accumulate(values[::-1])[::-1][1:]
    return out


def _suffix_max_after(values: IntArray) -> IntArray:
    """out[:, k] = max(values[:, k+1:]) (0 for the last column)."""
    out = np.zeros_like(values)
    if values.shape[1] > 1:
        out[:, :-1] = np.maximum.accumulate(values[:, ::-1], axis=1)[:, ::-1][:, 1:]
    return out


def best_subset(
    d: OrderView,
    time_weight: float,
    max_shipments: int,
    split: bool,
    incumbent: IntArray | None = None,
    limit: int = 2_000_000,
    deadline: float = np.inf,
) -> IntArray | None:
    """The optimal candidate columns for one order, or None past ``limit`` sets or ``deadline``.

    ``incumbent`` (candidate columns of a known answer, e.g. greedy's) only speeds it up;
    ``deadline`` is a ``time.perf_counter()`` value. Costs < 0 (which specs reject) give None.
    """
    n_loc = d.package.shape[0]
    if n_loc == 0:
        return np.zeros(0, dtype=np.int64)
    if min(float(d.package.min()), float(d.unit.min()), time_weight) < 0:
        return None  # the bound assumes non-negative costs
    top = min(max_shipments, n_loc)
    s = _Search(d, time_weight, split, limit, deadline)
    singles = np.arange(n_loc, dtype=np.int64)[:, None]
    values = s.offer(singles)
    if top == 1:
        return np.sort(s.best_combo)
    if incumbent is not None and 0 < incumbent.size <= top:
        s.offer(np.sort(incumbent)[None, :])
    if s.max_deficit() > 0:  # the incumbent leaves units unfilled: look for one that does not
        s.beam(values, top)
    frontier: _Frontier | None = _Frontier(
        singles,
        np.maximum(s.b.need[None, :] - s.b.avail.T, 0),
        d.package.copy(),
        d.days.copy(),
    )
    for _ in range(1, top):
        if frontier is None or frontier.combos.shape[0] == 0:
            break
        frontier = s.children(frontier, top)
        if frontier is None:
            return None  # too many sets: a MIP is the better tool
    return np.sort(s.best_combo)
