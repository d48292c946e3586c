"""One module per strategy, all behind :class:`optimizer.backends.base.Backend`."""

from __future__ import annotations

from optimizer.backends.base import Backend, BackendAnswer, SolveContext


def get_backend(name: str) -> Backend:
    """The backend called ``name``; solver libraries are imported only when asked for."""
    if name == "highs":
        from optimizer.backends.highs import HighsBackend

        return HighsBackend()
    if name == "cpsat":
        from optimizer.backends.cpsat import CpSatBackend

        return CpSatBackend()
    if name == "scip":
        from optimizer.backends.scip import ScipBackend

        return ScipBackend()
    if name == "cbc":
        from optimizer.backends.cbc import CbcBackend

        return CbcBackend()
    if name == "lp_fix":
        from optimizer.backends.lp_fix import LpFixBackend

        return LpFixBackend()
    if name == "exact":
        from optimizer.backends.exact import ExactBackend

        return ExactBackend()
    if name == "greedy":
        from optimizer.backends.greedy import GreedyBackend

        return GreedyBackend()
    raise ValueError(f"Unknown backend {name!r}.")


def warm_up() -> None:
    """Import every backend's solver library now, so that no request pays for it.

    A first import costs far more than a small solve (CP-SAT's ~0.6 s against 10 ms); a
    service calls this once in the background at startup. Safe to call twice.
    """
    for name in ("highs", "cpsat", "scip", "cbc", "lp_fix", "exact", "greedy"):
        get_backend(name)


__all__ = ["Backend", "BackendAnswer", "SolveContext", "get_backend", "warm_up"]
