"""Pure sourcing optimizer: problem in, assignment out.

    from optimizer import Params, build_problem, solve
    result = solve(build_problem(orders, locations, stock, params), params)

Nothing here imports the web, the database or another package of ours.
"""

from optimizer.builder import build_problem
from optimizer.geo import haversine_km
from optimizer.lookahead import joint_opportunity_costs
from optimizer.params import Params
from optimizer.problem import Problem
from optimizer.result import (
    Alternative,
    OrderAssignment,
    Result,
    Shipment,
    Unallocated,
)
from optimizer.solve import choose_backend, solve, solve_orders
from optimizer.specs import LineSpec, LocationSpec, OrderSpec

__all__ = [
    "Alternative",
    "LineSpec",
    "LocationSpec",
    "OrderAssignment",
    "OrderSpec",
    "Params",
    "Problem",
    "Result",
    "Shipment",
    "Unallocated",
    "build_problem",
    "choose_backend",
    "haversine_km",
    "joint_opportunity_costs",
    "solve",
    "solve_orders",
]
