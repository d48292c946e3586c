"""What a Result counts: the benchmark table reads these, so they must mean what they say."""

from __future__ import annotations

from optimizer import LineSpec, LocationSpec, OrderSpec, Params, solve_orders


def test_unfilled_lines_count_each_short_line_once_and_units_count_every_unit() -> None:
    warehouse = LocationSpec("A", "warehouse", 40.8, -74.0)
    order = OrderSpec(
        "o", 40.7, -74.0,
        (LineSpec("1", "SHORT", 3), LineSpec("2", "NONE", 2), LineSpec("3", "PLENTY", 1)),
    )
    result = solve_orders([order], [warehouse], {("A", "SHORT"): 1, ("A", "PLENTY"): 5},
                          Params())
    assert result.unfilled_lines() == 2  # lines 1 and 2
    assert result.unfilled_units() == 2 + 2
    assert result.shipments() == 1
