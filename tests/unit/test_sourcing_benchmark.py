"""The sourcing benchmark's own arithmetic (benchmarks/sourcing.py, benchmarks/instances.py)."""

from __future__ import annotations

import pytest

from benchmarks.instances import JASIN_SINHA, NAMED, make_instance
from benchmarks.sourcing import percent, plain_objective
from optimizer import Params, build_problem, solve


def test_the_plain_objective_of_an_answer_is_its_money_plus_its_own_shortfall() -> None:
    """The lookahead row was scored with the plain order-by-order run's shortfall penalty: a
    wrong 'gap to LP' whenever the two leave different units short."""
    inst = make_instance("scarce", 60, 6, 20, 0, cover=0.6)
    problem = build_problem(inst.orders, inst.locations, inst.stock)
    plain = solve(problem, Params(solver="sequential"))
    assert plain.unfilled_units() > 0
    # the same objective the solver reports, but for the location priority tie-break
    assert plain_objective(problem, plain) == pytest.approx(plain.objective, abs=0.06)
    prices = {(loc.id, sku): 50.0 for loc in inst.locations[:2] for sku in problem.skus}
    priced = solve(problem, Params(solver="sequential", opportunity_costs=prices))
    assert priced.objective > plain_objective(problem, priced) + 1.0  # prices left out
    assert plain_objective(problem, priced) >= plain_objective(problem, plain) - 1e-6


def test_jasin_sinha_prices_every_location_and_order_alike() -> None:
    inst = NAMED["jasin_sinha_1000x25"](0)
    assert {loc.unit_cost for loc in inst.locations} == {JASIN_SINHA.unit}
    assert {loc.shipment_cost for loc in inst.locations} == {JASIN_SINHA.warehouse_package}
    assert {o.priority for o in inst.orders} == {0}
    # the default instances keep their store markup and urgent orders
    batch = NAMED["batch_1000x25"](0)
    assert len({loc.unit_cost for loc in batch.locations}) == 2
    assert {o.priority for o in batch.orders} == {0, 1}


def test_extra_locations_are_jittered_in_both_directions() -> None:
    inst = make_instance("wide", 1, 80, 5, 0)
    base = {(round(loc.lat, 6), round(loc.lon, 6)) for loc in inst.locations[:56]}
    extra = inst.locations[56:]
    offsets = [(loc.lat - first.lat, loc.lon - first.lon)
               for loc, first in zip(extra, inst.locations, strict=False)]
    assert len(base) == 56
    assert any(abs(dlat - dlon) > 1e-6 for dlat, dlon in offsets)


def test_a_missing_share_prints_as_a_dash() -> None:
    assert (percent(None), percent(0.0123456)) == ("-", "1.235%")
