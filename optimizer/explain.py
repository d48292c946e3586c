"""Runner-up locations for each shipment and each short line, and the reason each one lost.

A person asks "why not the warehouse next door?". For every chosen package we price the same
lines at every other location and rank them by the objective's own measure; for every line left
short we price the missing units the same way. Each runner-up gets a reason code:
``ineligible:<rule>``, ``no_stock`` (none of the units these lines need is left there),
``insufficient_stock`` (some, not all: a package's lines need all their units at one place, and
so does a short line when lines may not split), ``over_capacity`` (judged on what the answer
leaves there), then ``slower`` / ``dearer`` against the chosen package,
``held_for_later_orders`` when it would have won (or tied) on money and days alone and only
lookahead opportunity costs beat it, ``already_allocated`` on an exact tie when re-optimization
found the order's units already allocated at the chosen location (it moves them only for a
saving), ``lower_priority`` on an exact tie with a location of higher priority, ``tied`` with
one of equal priority;
``joint_constraints`` when a better runner-up lost only to the batch as a whole (shipment
limits, the split rule, other orders), ``not_optimized`` when the answer was not proven optimal
and the runner-up is simply better. A short line's runner-up that had the stock and the room
gets ``dearer`` when its units cost more than leaving them short (a finite unfilled cost),
``max_shipments`` when it would have been one package too many for the order,
``held_for_later_orders`` when only its lookahead price made it dearer than leaving them short,
else ``joint_constraints`` / ``not_optimized``: judged per location, not from the line's one
reason. A pickup order's only runner-up is its store (see ``add_alternatives``).

Which locations make the short list (``TOP`` per package or short line), in this order:

1. the best *rival*: eligible, with the stock and the room, so it lost on the objective alone.
   It always gets a slot, because it is the answer to "what else could we have done?";
2. locations that would have been better (or, for a short line, any location) but lost on a
   rule, stock or capacity, those that hold the SKU first: they answer "why not the obvious
   one?" (the near store out of stock, the warehouse at capacity, the one beyond the distance);
3. the remaining rivals, then holders that lost on a rule and were no better anyway.

A location holding none of the package's SKUs is listed only when its landed cost is a real
price (above zero) and it would have been better. The caller's stock carries only positive
availability, so "sold out" and "never stocks it" look alike here; an unpriced location (a
store or supplier with no shipping cost set) without the SKU would otherwise rank first under
``cost`` and crowd out the real competitors with ``cost 0.0, no_stock`` lines that tell a
planner nothing. Every cost shown is the location's own landed cost for these units (package
plus units, from the dense order x location matrices), never a placeholder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.objective import (
    Weights,
    build_weights,
    keep_held_per_unit,
    location_tie_per_unit,
    moves_off_held,
    opportunity_matrix,
)
from optimizer.params import Params
from optimizer.problem import REASONS, FloatArray, IntArray, Problem, shipment_limits
from optimizer.result import Alternative, OrderAssignment, Result
from optimizer.start import start_units

TOP = 3
EPS = 1e-6
EXPLAIN_UP_TO_ORDERS = 2_000  # explanations are per order; big batches skip them
NOT_ASKED = "not asked for"

BoolArray = npt.NDArray[np.bool_]


def explain_result(problem: Problem, params: Params, result: Result,
                   deadline: float | None = None) -> int:
    """Fill the runner-ups of ``result``, an answer to ``problem`` solved without them
    (``solve(explain=False)``), as the solve would have, its note on them replaced; returns
    how many orders were explained."""
    units = start_units(problem, result.placements())
    proven = result.status == "optimal"
    _, unasked = _left_out(problem, 0, NOT_ASKED)  # the note an unexplained solve wrote
    explained, note = add_alternatives(problem, params, units, result.assignments, proven,
                                       deadline=deadline)
    notes = [n for n in result.message.split("; ") if n and n != unasked]
    result.message = "; ".join(notes + ([note] if note else []))
    return explained


def add_alternatives(
    problem: Problem,
    params: Params,
    arc_units: IntArray,
    assignments: list[OrderAssignment],
    proven: bool,
    deadline: float | None = None,
    weights: Weights | None = None,
    asked: bool = True,
) -> tuple[int, str | None]:
    """Fill ``alternatives`` of each assignment in place: per shipment, then per short line;
    nothing when the batch is too big to explain (``EXPLAIN_UP_TO_ORDERS``) or they were not
    ``asked`` for.

    Orders are explained in turn until ``deadline`` (``time.perf_counter()``), the first one
    always: the time limit covers the whole call, and at ~0.2 ms an order a big batch's
    explanations would overrun a short limit by hundreds of milliseconds, while one order's
    cost nothing next to its solve. ``weights``: the objective the answer was solved under
    (built here if not given): a short line's runner-ups are judged against its unfilled
    price. Returns how many orders were explained, and the note saying how many were left
    out and why (None when none was): what ``solve`` adds to its message.
    """
    if problem.n_orders > EXPLAIN_UP_TO_ORDERS:
        return _left_out(problem, 0, f"batches over {EXPLAIN_UP_TO_ORDERS:,} orders are not "
                                     "explained")
    if not asked:
        return _left_out(problem, 0, NOT_ASKED)
    if problem.n_locations == 0:
        return len(assignments), None
    weights = weights or build_weights(problem, params)
    left = _Leftovers(problem, arc_units)
    opportunity = opportunity_matrix(problem, params)
    tie = location_tie_per_unit(problem)  # once: every package's runner-ups use it
    limits = shipment_limits(problem, params.max_shipments_per_order)
    keep_unit = keep_held_per_unit(problem)  # once, like ``tie``: it reads every line
    loc_index, sku_index = problem.location_index, problem.sku_index
    for o, assignment in enumerate(assignments):
        if o and deadline is not None and time.perf_counter() > deadline:
            return _left_out(problem, o, "the time limit ran out")
        spec = problem.orders[o]
        # what each location x SKU adds per unit for moving the order off what it holds
        keep = np.where(moves_off_held(problem, o), keep_unit, 0.0) if spec.held else None
        # a pickup order comes from its store or nowhere: any other location's "cost" would be
        # a made-up parcel at zero distance, and "not the pickup location" crowds out the one
        # location that explains the answer (the store sold out, full, closed)
        pickup = loc_index.get(spec.pickup_location_id or "", -1) if spec.method == "pickup" \
            else None
        # the order's own other packages that could not take these lines are part of the same
        # answer (a split line's other halves), not rivals that "had no stock"; one that could
        # (all from B instead of A and B) stays a rival, priced without the package it already
        # pays for
        own = np.zeros(problem.n_locations, dtype=bool)
        own[[loc_index[s.location_id] for s in assignment.shipments]] = True
        for shipment in assignment.shipments:
            skus = np.array([sku_index[sku] for _, sku, _ in shipment.lines], dtype=np.int64)
            qty = np.array([q for _, _, q in shipment.lines], dtype=np.int64)
            # the order arrives with its slowest package: a rival faster than the order's
            # other packages (these, and those made earlier: Problem.arrival_days) would not
            # bring it sooner, so it is judged by that day
            others = [s.delivery_days for s in assignment.shipments if s is not shipment]
            ctx = _Candidates(problem, params, o, skus, qty, opportunity, tie,
                              arrival_floor=max(others, default=0), keep=keep)
            ctx.chosen, ctx.pickup = loc_index[shipment.location_id], pickup
            ctx.join_own_packages(own)
            line_ids = [line_id for line_id, _, _ in shipment.lines]
            assignment.alternatives.extend(ctx.alternatives(line_ids, left, proven))
        line_of = {ln.line_id: (line, sku_index[ln.sku])
                   for ln, line in zip(spec.lines, problem.order_lines(o), strict=True)}
        arrival_floor = max((s.delivery_days for s in assignment.shipments), default=0)
        # the day the order arrives with the answer's packages, as the objective counts it
        # (Problem.arrival_days: no sooner than the packages made earlier); an order with none
        # arrives on no day: its first package adds all of its days
        arrives = max(arrival_floor, int(problem.order_days_made[o])) \
            if assignment.shipments else 0
        for short in assignment.unallocated:
            line, sku = line_of[short.line_id]
            qty = np.array([short.qty], dtype=np.int64)
            ctx = _Candidates(problem, params, o, np.array([sku], dtype=np.int64), qty,
                              opportunity, tie, arrival_floor=arrival_floor, keep=keep)
            # (the order's own locations that ran out stay listed: they say why it is short)
            ctx.pickup = pickup
            ctx.short = _ShortLine(
                own=own,
                full=len(assignment.shipments) >= int(limits[o]),
                unit_price=None if weights.fill_first else float(weights.line_penalty[line]),
                day_weight=weights.time_weight,
                arrives=arrives,
            )
            ctx.price_short_line(left)
            assignment.alternatives.extend(ctx.alternatives([short.line_id], left, proven))
    return len(assignments), None


def _left_out(problem: Problem, explained: int, why: str) -> tuple[int, str | None]:
    """``explained`` and, when that is not every order, the note saying so and ``why``."""
    if explained >= problem.n_orders:
        return explained, None
    return explained, f"runner-ups listed for {explained:,} of {problem.n_orders:,} orders: {why}"


@dataclass(frozen=True)
class _ShortLine:
    """What a short line's runner-ups are judged by: the order's own locations (a unit more
    from one of them needs no new package), whether the order has all the packages it may,
    and, when unfilled units have a finite price, what leaving one unit short costs in the
    objective (``day_weight`` per day of arrival, as the price counts them; ``arrives``: the
    day the order arrives with the answer's packages, so a package from elsewhere costs only
    the days it adds)."""

    own: BoolArray
    full: bool
    unit_price: float | None
    day_weight: float
    arrives: int


class _Leftovers:
    """Stock and capacity the answer leaves at each location: what a runner-up could still use."""

    def __init__(self, problem: Problem, arc_units: IntArray) -> None:
        used_stock = np.zeros(problem.stock.shape, dtype=np.int64)
        np.add.at(used_stock, (problem.arc_loc, problem.arc_sku), arc_units)
        self.stock: IntArray = problem.stock - used_stock
        self.capacity: FloatArray = problem.loc_capacity - np.bincount(
            problem.arc_loc, arc_units, minlength=problem.n_locations
        )


class _Candidates:
    """Every location priced for one package's lines (or one short line's missing units).

    ``chosen`` is the package's location; None for a short line, which has no winner to beat.
    """

    def __init__(
        self,
        problem: Problem,
        params: Params,
        o: int,
        skus: IntArray,
        qty: IntArray,
        opportunity: FloatArray,
        tie_per_unit: FloatArray,
        arrival_floor: int = 0,
        keep: FloatArray | None = None,
    ) -> None:
        self.problem, self.params, self.o = problem, params, o
        self.skus, self.qty = skus, qty
        # units per distinct SKU: two lines of one SKU need both their units at one location
        distinct, inverse = np.unique(skus, return_inverse=True)
        self.need_skus: IntArray = distinct
        self.need_qty: IntArray = np.bincount(inverse, weights=qty).astype(np.int64)
        self.chosen: int | None = None
        self.own: BoolArray | None = None  # a package's (see join_own_packages)
        self.short: _ShortLine | None = None  # a short line's (see why_not)
        # a pickup order's store (see add_alternatives); None for a shipped order
        self.pickup: int | None = None
        self.package: FloatArray = problem.package_cost[o]
        self._opportunity, self._tie_per_unit = opportunity, tie_per_unit
        # units each location would send: all of them (see price_short_line for a short line)
        self.units: IntArray = np.full(problem.n_locations, int(qty.sum()), dtype=np.int64)
        self.cost: FloatArray = self.package + self.units * problem.unit_cost[o]
        self.extra: FloatArray = opportunity[:, skus] @ qty
        self.days: IntArray = problem.days[o]
        # the day the order would arrive with this location (what time and balanced weigh)
        self.arrival: IntArray = np.maximum(problem.arrival_days[o], arrival_floor)
        self.tie: FloatArray = tie_per_unit * self.units
        # what the objective adds for moving the order off units it holds (location x SKU
        # per unit, None when it holds none): a tie-break above location priority
        self._keep = keep
        self.move: FloatArray = np.zeros(problem.n_locations) if keep is None \
            else keep[:, skus] @ qty
        self.score: FloatArray = self._score()

    def price_short_line(self, left: _Leftovers) -> None:
        """Price a short line's missing units as each location would have sent them (call
        after ``short`` is set). The order's own locations add the units to a package it
        pays for already: no package fee. When lines may split, a location sends what it
        could still send, the stock and room the answer leaves it, at most all of them: one
        with one unit left would have sent that one, not every missing unit (priced at all of
        them, a location whose one unit cost more than leaving it short looked cheap enough,
        and lost to "joint constraints"); one that could send none keeps the price of all of
        them, listed for why it could not."""
        assert self.short is not None
        sku = int(self.skus[0])  # a short line is one line: one SKU
        want = int(self.qty.sum())
        if self._split_short_line():
            could = np.minimum(left.stock[:, sku].astype(float), np.floor(left.capacity))
            self.units = np.where(could >= 1, np.minimum(could, want), want).astype(np.int64)
        package = np.where(self.short.own, 0.0, self.package)
        self.cost = package + self.units * self.problem.unit_cost[self.o]
        self.extra = self._opportunity[:, sku] * self.units
        self.tie = self._tie_per_unit * self.units
        if self._keep is not None:
            self.move = self._keep[:, sku] * self.units
        self.score = self._score()

    def join_own_packages(self, own: BoolArray) -> None:
        """The order's other packages (``own`` but not ``chosen``): sending these lines with
        one of them costs its units only, and the chosen package would not be needed at all.
        Call after ``chosen`` is set."""
        self.own = own
        others = own.copy()
        if self.chosen is not None:
            others[self.chosen] = False
        self.cost = np.where(others, self.cost - self.package, self.cost)
        self.score = self._score()

    def _score(self) -> FloatArray:
        """The objective's own measure per location, computed once: ranking and reasons share it."""
        total = self.cost + self.extra
        if self.params.objective == "time":
            return np.asarray(self.arrival * 1e9 + total, dtype=float)
        if self.params.objective == "balanced":
            return np.asarray(total + self.params.cost_per_day * self.arrival, dtype=float)
        return total

    def alternatives(
        self, line_ids: list[str], left: _Leftovers, proven: bool
    ) -> list[Alternative]:
        """The short list for these lines, each with its landed cost, days and reason."""
        return [
            Alternative(
                line_ids=list(line_ids),
                location_id=self.problem.locations[n].id,
                cost=float(self.cost[n]),
                delivery_days=int(self.days[n]),
                why_not=self.why_not(n, left, proven),
                instead_of=None if self.chosen is None else self.problem.locations[self.chosen].id,
            )
            for n in self.ranked(TOP, left)
        ]

    def _split_short_line(self) -> bool:
        """A short line whose missing units may come a few from here and a few from there."""
        return self.chosen is None and self.params.allow_line_split

    def _short_of_room(self, capacity: FloatArray) -> npt.NDArray[np.bool_]:
        """Whether each location's leftover ``capacity`` keeps it out: room for every unit, or
        for one when a short line's units may split (as :meth:`_short_of_stock` judges stock)."""
        need = 1 if self._split_short_line() else int(self.qty.sum())
        return np.asarray(capacity < need)

    def _short_of_stock(self, stock: IntArray) -> npt.NDArray[np.bool_]:
        """Whether each location's leftover ``stock`` (locations x needed SKUs) keeps it out.

        A package's lines need all their units at one place; a short line's missing units may
        come a few from here and a few from there when lines may split, so a location holding
        some of them could have sent those (it lost on something else, said after this).
        """
        if self._split_short_line():
            return np.asarray(np.all(stock <= 0, axis=-1))
        return np.asarray(np.any(stock < self.need_qty, axis=-1))

    def blocked(self, left: _Leftovers) -> BoolArray:
        """Locations a rule, missing stock or missing capacity kept out (whatever the price)."""
        ineligible = self.problem.reason[self.o] != 0
        no_stock = self._short_of_stock(left.stock[:, self.need_skus])
        return np.asarray(ineligible | no_stock | self._short_of_room(left.capacity), dtype=bool)

    def ranked(self, top: int, left: _Leftovers) -> list[int]:
        """The ``top`` runner-ups: best rival, better locations that lost on a rule, the rest.

        Vectorised over locations (a list comprehension over 200 of them costs more); see the
        module docstring for why unpriced locations without the SKU are left out.
        """
        score = self.score
        order = np.lexsort((-self.problem.loc_priority, self.problem.km[self.o], score))
        if self.pickup is not None:
            order = order[order == self.pickup]
        if self.chosen is not None:
            order = order[order != self.chosen]
        blocked_here = self.blocked(left)
        if self.own is not None:
            order = order[~(self.own[order] & blocked_here[order])]
        bar = np.inf if self.chosen is None else score[self.chosen] - EPS
        better = score[order] < bar
        holds = np.any(self.problem.stock[:, self.skus][order] > 0, axis=1)
        # the pickup store is the one place a pickup order can come from: always shown
        shown = holds | (better & (self.cost[order] > EPS)) | (order == self.pickup)
        blocked = blocked_here[order]
        rivals = order[shown & ~blocked]
        lost = shown & blocked & better
        picks = np.concatenate(
            (
                rivals[:1],
                order[lost & holds],
                order[lost & ~holds],
                rivals[1:],
                order[shown & blocked & ~better],
            )
        )
        return picks[:top].tolist()  # type: ignore[no-any-return]

    def why_not(self, n: int, left: _Leftovers, proven: bool) -> str:
        code = int(self.problem.reason[self.o, n])
        if code:
            return f"ineligible:{REASONS[code]}"
        stock = left.stock[n, self.need_skus]
        if self._short_of_stock(stock):
            # some of what these lines need is there, not all of it: "no stock" would be false
            return "insufficient_stock" if stock.clip(min=0).sum() > 0 else "no_stock"
        if self._short_of_room(left.capacity[n]):
            return "over_capacity"
        if self.chosen is None:
            return self._passed_over(n, proven)
        return self._lost_to_chosen(n, self.chosen, proven)

    def _passed_over(self, n: int, proven: bool) -> str:
        """Why a location with the stock and the room did not send a short line's units.

        Judged for this location, not from the line's one reason (a line short because stock
        ran out elsewhere may still have been passed over here on price): ``dearer`` when the
        units it could send cost more than leaving them short (a finite unfilled price; its
        package counted only when it would be a new one), then ``max_shipments`` when it
        would be a package too many, ``held_for_later_orders`` when only lookahead prices
        tipped it over.
        """
        short = self.short
        assert short is not None
        new_package = not short.own[n]
        # its package fee is in ``cost`` only when it would be a new one (price_short_line);
        # days count as the objective counts them: those it adds to the order's arrival
        cost = float(self.cost[n])
        cost += short.day_weight * max(0.0, float(self.arrival[n]) - short.arrives)
        price = None if short.unit_price is None else short.unit_price * float(self.units[n])
        if price is not None and cost > price + EPS:
            return "dearer"
        if new_package and short.full:
            return "max_shipments"
        if price is not None and cost + float(self.extra[n]) > price + EPS:
            return "held_for_later_orders"
        return "joint_constraints" if proven else "not_optimized"

    def _lost_to_chosen(self, n: int, c: int, proven: bool) -> str:
        """Why a location with the stock and the room lost to the chosen package ``c``.

        Money and days decide first (``slower`` / ``dearer``: it loses without lookahead too),
        then lookahead (``held_for_later_orders``: it would have won, or tied, on money and
        days alone), then on an exact tie the order's own allocation (``already_allocated``:
        re-optimization found these units allocated at ``c``), then location priority
        (``lower_priority``; ``tied`` when the priorities are equal too and the answer simply
        took the other one).
        """
        score = self.score
        priority = self.problem.loc_priority
        # what keeping the order's units and location priority add to each location's score
        tie, move = self.tie, self.move
        if score[n] < score[c] - EPS \
                and score[n] + tie[n] + move[n] >= score[c] + tie[c] + move[c] - EPS:
            # cheaper only by less than the tie-breaks the objective adds
            if move[n] > move[c]:
                return "already_allocated"
            if priority[c] > priority[n]:
                return "lower_priority"
        tied_but_preferred = score[n] <= score[c] + EPS and (
            move[n] < move[c] or (move[n] == move[c] and priority[n] > priority[c]))
        if score[n] < score[c] - EPS or tied_but_preferred:  # the objective prefers n
            return "joint_constraints" if proven else "not_optimized"
        d_days = int(self.arrival[n] - self.arrival[c])
        d_plain = float(self.cost[n] - self.cost[c])
        d_extra = float(self.extra[n] - self.extra[c])
        objective = self.params.objective
        if objective == "time" and d_days > 0:
            return "slower"
        day_weight = self.params.cost_per_day if objective == "balanced" else 0.0
        d_score = d_plain + day_weight * d_days  # the objective's measure without lookahead
        if d_score > EPS:
            return "slower" if d_days > 0 and day_weight * d_days >= d_plain else "dearer"
        if d_score < -EPS or d_extra > EPS:
            return "held_for_later_orders"
        if move[n] > move[c]:
            return "already_allocated"
        return "lower_priority" if priority[n] < priority[c] else "tied"
