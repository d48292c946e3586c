"""Split a batch into parts that can be solved separately (pure numpy, no solver).

Two kinds of split, and only the first is exact:

* **Components.** Orders interact only through a constraint that can bind: a (location, SKU)
  whose eligible demand exceeds its stock, or a location whose eligible demand exceeds its
  capacity. Orders linked by no such constraint can be solved separately and the optimum of the
  whole is the sum of the parts' optima (the objective is a sum over orders).
* **Regions.** A component that is still too big is cut into compact regions of the
  customers' coordinates (recursive median bisection). Regions share stock, so each gets a
  share (:func:`apportion`); that is a restriction of the joint problem, hence heuristic: its
  answer is feasible but may cost more than the joint optimum (measured in
  benchmarks/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.problem import FloatArray, IntArray, Problem


@dataclass(frozen=True)
class Split:
    """Parts as arrays of order indices; ``exact`` when no binding constraint crosses parts."""

    parts: list[IntArray]
    exact: bool

    def part_of(self, n_orders: int) -> IntArray:
        """Part index of every order (-1 if none: never, by construction)."""
        owner = np.full(n_orders, -1, dtype=np.int64)
        for k, orders in enumerate(self.parts):
            owner[orders] = k
        return owner


def _arc_reach(problem: Problem, allow_split: bool) -> IntArray:
    """Units each arc could carry (0 for an arc that cannot carry a whole unsplit line)."""
    reach = problem.arc_stock
    if not allow_split:
        reach = np.where(reach >= problem.line_qty[problem.arc_line], reach, 0)
    return reach


def binding_links(problem: Problem, allow_split: bool = True) -> tuple[IntArray, IntArray]:
    """(order, node) edges: node = a (location, SKU) or location constraint that can bind."""
    reach = _arc_reach(problem, allow_split)
    n_skus = max(len(problem.skus), 1)
    key = problem.arc_loc * n_skus + problem.arc_sku
    keys, group = np.unique(key, return_inverse=True)
    demand = np.bincount(group, reach, minlength=keys.size)
    supply = problem.stock[keys // n_skus, keys % n_skus]
    arc_node = np.where(demand[group] > supply[group], group, -1)
    loc_demand = np.bincount(problem.arc_loc, reach, minlength=problem.n_locations)
    tight = loc_demand > problem.loc_capacity
    cap_node = np.where(tight[problem.arc_loc], keys.size + problem.arc_loc, -1)
    live = reach > 0
    orders = problem.arc_order
    stock_edge, cap_edge = live & (arc_node >= 0), live & (cap_node >= 0)
    n_nodes = keys.size + problem.n_locations
    # one integer per (order, node): a 1-D unique sorts 10x faster than rows of two
    codes = np.unique(np.concatenate([orders[stock_edge] * n_nodes + arc_node[stock_edge],
                                      orders[cap_edge] * n_nodes + cap_node[cap_edge]]))
    return (codes // n_nodes).astype(np.int64), (codes % n_nodes).astype(np.int64)


def components(problem: Problem, allow_split: bool = True) -> list[IntArray]:
    """Orders grouped so that no binding stock or capacity constraint links two groups, in
    the order of each group's first order, each group's orders ascending."""
    if not problem.n_orders:
        return []
    order, node = binding_links(problem, allow_split)
    labels = connected_labels(problem.n_orders + int(node.max(initial=-1)) + 1,
                              order, problem.n_orders + node)[: problem.n_orders]
    ranked = np.argsort(labels, kind="stable")
    _, sizes = np.unique(labels[ranked], return_counts=True)
    return [group.astype(np.int64) for group in np.split(ranked, np.cumsum(sizes)[:-1])]


def connected_labels(n: int, u: IntArray, v: IntArray) -> IntArray:
    """Each vertex's component, named by its smallest vertex, for the edges (u[i], v[i]).

    Arrays throughout (a Python union-find took 2 s at 10,000 orders, before the time limit
    was looked at): every round hooks each edge's larger root under the smaller one, then
    jumps pointers until every vertex points at its root. Labels only decrease and a vertex
    never points above itself, so no cycle forms; each round merges every edge still across
    two components, so rounds stay few (about log n on these graphs)."""
    labels = np.arange(n, dtype=np.int64)
    while True:
        lu, lv = labels[u], labels[v]
        across = lu != lv
        if not across.any():
            return labels
        low, high = np.minimum(lu[across], lv[across]), np.maximum(lu[across], lv[across])
        np.minimum.at(labels, high, low)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped


def _unit_vectors(problem: Problem, orders: IntArray) -> FloatArray:
    lat = np.radians([problem.orders[o].lat for o in orders.tolist()])
    lon = np.radians([problem.orders[o].lon for o in orders.tolist()])
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


def regions(
    problem: Problem, orders: IntArray, n_regions: int, rotation: int = 0
) -> list[IntArray]:
    """Balanced regions by recursive bisection of the customers' positions on the sphere.

    Each cut is at the median along the widest axis, so regions are compact and their sizes
    differ by at most one order: parts finish at about the same time on equal workers.
    ``rotation`` starts with a narrower axis, so a later round draws other borders.
    """
    n_regions = max(1, min(n_regions, orders.size))
    if n_regions == 1:
        return [orders]
    points = _unit_vectors(problem, orders)
    spread = points.max(axis=0) - points.min(axis=0)
    axis = int(np.argsort(-spread, kind="stable")[rotation % 2])
    ranked = orders[np.argsort(points[:, axis], kind="stable")]
    left = n_regions // 2
    cut = round(orders.size * left / n_regions)
    return regions(problem, ranked[:cut], left, rotation) + regions(
        problem, ranked[cut:], n_regions - left, rotation
    )


def split_orders(
    problem: Problem,
    max_part_orders: int,
    allow_split: bool = True,
    multiple_of: int = 1,
    rotation: int = 0,
) -> Split:
    """Components, with those above ``max_part_orders`` cut into regions; small ones merged.

    Merging independent components into parts of up to ``max_part_orders`` keeps the number of
    tasks (and their overhead) low without changing the optimum.
    """
    parts: list[IntArray] = []
    exact = True
    small: list[IntArray] = []
    for comp in components(problem, allow_split):
        if comp.size > max_part_orders:
            exact = False
            n = int(np.ceil(comp.size / (max_part_orders * multiple_of))) * multiple_of
            parts.extend(np.sort(r) for r in regions(problem, comp, n, rotation))
        else:
            small.append(comp)
    bucket: list[IntArray] = []
    size = 0
    for comp in sorted(small, key=lambda c: -c.size):
        if size + comp.size > max_part_orders and bucket:
            parts.append(np.sort(np.concatenate(bucket)))
            bucket, size = [], 0
        bucket.append(comp)
        size += comp.size
    if bucket and not exact:  # independent leftovers ride along with the smallest region
        smallest = min(range(len(parts)), key=lambda k: parts[k].size)
        parts[smallest] = np.sort(np.concatenate([parts[smallest], *bucket]))
    elif bucket:
        parts.append(np.sort(np.concatenate(bucket)))
    return Split(parts, exact)


def _largest_remainder(total: IntArray, weight: FloatArray) -> IntArray:
    """Integer shares (rows: parts) of each column's ``total``, proportional to ``weight``."""
    column = weight.sum(axis=0)
    even = np.full_like(weight, 1.0 / weight.shape[0])
    frac = np.where(column > 0, weight / np.where(column > 0, column, 1.0), even)
    exact_share = frac * total[None, :]
    share = np.floor(exact_share + 1e-9).astype(np.int64)
    left = total - share.sum(axis=0)
    rank = np.argsort(-(exact_share - share), axis=0, kind="stable")
    for k in range(int(left.max()) if left.size else 0):
        cols = np.nonzero(left > k)[0]
        share[rank[k, cols], cols] += 1
    return np.asarray(share, dtype=np.int64)


def apportion(
    problem: Problem, split: Split, usage: list[FloatArray]
) -> tuple[list[IntArray], list[FloatArray]]:
    """Each part's share of stock (location x SKU) and capacity, from its planned usage.

    ``usage[k]`` is part k's units per arc of the original problem. When the plans fit together
    (a feasible joint answer, or the joint LP) every part first gets the whole units its plan
    uses, so its plan stays feasible on its share; what no plan uses is then shared in
    proportion to the plans' fractions and, a little, to every part that could use it, so an
    unplanned unit is not stranded. Plans that do not fit together are scaled down. The shares
    always add up to the original.
    """
    n_locs, n_skus = problem.stock.shape
    owner = split.part_of(problem.n_orders)[problem.arc_order]
    key = problem.arc_loc * max(n_skus, 1) + problem.arc_sku
    reach = problem.arc_stock.astype(float)
    n_parts, n_keys = len(split.parts), n_locs * n_skus
    planned = np.zeros((n_parts, n_keys))
    could = np.zeros((n_parts, n_keys))
    cap_planned = np.zeros((n_parts, n_locs))
    cap_could = np.zeros((n_parts, n_locs))
    for k in range(n_parts):
        mine = owner == k
        planned[k] = np.bincount(key[mine], usage[k][mine], minlength=n_keys)
        could[k] = np.bincount(key[mine], reach[mine], minlength=n_keys)
        cap_planned[k] = np.bincount(problem.arc_loc[mine], usage[k][mine], minlength=n_locs)
        cap_could[k] = np.bincount(problem.arc_loc[mine], reach[mine], minlength=n_locs)
    stock = _shares(problem.stock.reshape(-1), planned, could)
    finite = np.isfinite(problem.loc_capacity)
    cap_total = np.floor(np.where(finite, problem.loc_capacity, 0.0)).astype(np.int64)
    cap = _shares(cap_total, cap_planned, cap_could).astype(float)
    cap[:, ~finite] = np.inf
    return [stock[k].reshape(n_locs, n_skus) for k in range(n_parts)], list(cap)


def _shares(total: IntArray, planned: FloatArray, could: FloatArray) -> IntArray:
    """Whole planned units first where they fit, the rest by weight (largest remainder)."""
    base = np.floor(planned + 1e-9).astype(np.int64)
    fits = base.sum(axis=0) <= total
    base = np.where(fits[None, :], base, 0)
    weight = np.where(fits[None, :], planned - base, planned) + 1e-3 * could
    return base + _largest_remainder(total - base.sum(axis=0), weight)
