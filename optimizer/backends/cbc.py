"""CBC (the binary PuLP bundles), with its real status and bound.

PuLP reports "Optimal" when CBC stopped at its time limit with an incumbent, so this backend
reads CBC's own words: the solution file's first line (``Optimal`` or ``Stopped on time``) and
the log's ``Lower bound``. It runs the binary on an MPS written from the arrays and kills it if
the watchdog says so.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from optimizer.backends.base import BackendAnswer, SolveContext
from optimizer.backends.mps import write_mps
from optimizer.problem import FloatArray

_BOUND = re.compile(r"Lower bound:\s+(-?[0-9.eE+-]+)")


@functools.cache
def cbc_path() -> str:
    """The CBC binary PuLP bundles (a ``cbc`` on PATH if PuLP ships none)."""
    from pulp.apis import coin_api

    bundled = os.path.realpath(str(coin_api.pulp_cbc_path))
    if os.access(bundled, os.X_OK):
        return bundled
    return str(shutil.which("cbc") or bundled)


def read_solution(path: Path, n_cols: int) -> tuple[str, FloatArray | None]:
    """(first status word(s), column values or None) from CBC's ``-solution`` file."""
    if not path.exists():
        return "missing", None
    lines = path.read_text().splitlines()
    head = lines[0] if lines else ""
    if head.startswith("Infeasible") or "no integer solution" in head:
        return head, None
    values = np.zeros(n_cols)
    for line in lines[1:]:
        parts = line.replace("**", " ").split()
        if len(parts) >= 3 and parts[1].startswith("c"):
            values[int(parts[1][1:])] = float(parts[2])
    return head, values


class CbcBackend:
    """Branch-and-cut in COIN-OR CBC, one subprocess per solve."""

    name = "cbc"

    def solve(self, ctx: SolveContext) -> BackendAnswer:
        m = ctx.model
        with tempfile.TemporaryDirectory(prefix="dom-cbc-") as tmp:
            mps, sol = Path(tmp) / "model.mps", Path(tmp) / "model.sol"
            write_mps(m, mps)
            seconds = max(ctx.time_limit_s, 0.01)
            args = [
                cbc_path(),
                str(mps),
                "-sec",
                f"{seconds:.3f}",
                "-ratioGap",
                f"{ctx.mip_rel_gap:g}",
                "-randomSeed",
                str(ctx.params.seed + 1),
                "-solve",
                "-solution",
                str(sol),
                "-quit",
            ]
            # No "-threads": with "-threads 1" PuLP's bundled CBC deadlocked at start in ~0.6%
            # of runs (futex wait, no output, killed at the limit: "cbc: missing"; 17 of 2,648
            # solves of a two-order model) and 0 of 2,963 without it; CBC's default is serial.
            # stdin closed and -quit, as PuLP runs it: CBC never reads the caller's stdin.
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            ctx.token.on_cancel(proc.kill)
            log, _ = proc.communicate()
            head, values = read_solution(sol, m.n_cols)
        if head.startswith("Infeasible"):
            return BackendAnswer(status="infeasible", arc_units=None, bound=None)
        found = _BOUND.search(log)
        bound = float(found.group(1)) if found else None
        if values is None:
            return BackendAnswer(
                status="time_limit", arc_units=None, bound=bound, message=f"cbc: {head or 'killed'}"
            )
        units = m.arc_units_of(values)
        if head.startswith("Optimal"):
            return BackendAnswer(status="optimal", arc_units=units, bound=bound)
        return BackendAnswer(
            status="time_limit", arc_units=units, bound=bound, message=f"cbc: {head}"
        )
