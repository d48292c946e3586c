"""Two scenarios side by side, and the differences b - a."""

from __future__ import annotations

from typing import Any

# The KPIs compared, in the order people read them.
KPI_ORDER = ("orders", "units_ordered", "units_filled", "total_cost", "cost_per_order",
             "mean_delivery_days", "p95_delivery_days", "fill_rate", "split_rate", "shipments")


def _diff(a: Any, b: Any) -> float | None:
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return round(float(b) - float(a), 6)
    return None


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``a`` and ``b`` are ``{"scenario_id"?, "name", "kpis", ...}``; differences are b - a.

    A KPI missing (or null) on either side has a null difference; utilization differs per
    location.
    """
    ka, kb = a.get("kpis") or {}, b.get("kpis") or {}
    keys = [k for k in KPI_ORDER if k in ka or k in kb]
    differences: dict[str, Any] = {k: _diff(ka.get(k), kb.get(k)) for k in keys}
    ua, ub = ka.get("utilization") or {}, kb.get("utilization") or {}
    differences["utilization"] = {loc: _diff(ua.get(loc), ub.get(loc))
                                  for loc in sorted(set(ua) | set(ub))}
    return {"scenarios": [a, b], "kpis": keys, "differences": differences}
