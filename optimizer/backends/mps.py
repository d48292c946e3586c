"""Write the matrix model as free-format MPS, straight from the arrays.

CBC runs as a subprocess on this file: building the same model through PuLP's Python objects
took 30 times longer (pitfalls.md), and a subprocess we started ourselves is one we can kill
when the deadline passes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from optimizer.model import MipModel


def col_name(j: int) -> str:
    return f"c{j}"


def write_mps(model: MipModel, path: Path) -> None:
    """Rows are ``E`` (lower == upper) or ``L`` (no lower bound), as the model builds them."""
    n_rows, n_cols = model.n_rows, model.n_cols
    row_of = np.repeat(np.arange(n_rows), np.diff(model.row_start))
    order = np.argsort(model.col_index, kind="stable")
    cols, rows, vals = model.col_index[order], row_of[order], model.value[order]
    col_start = np.searchsorted(cols, np.arange(n_cols + 1))
    equal = model.row_lower == model.row_upper
    out = ["NAME dom", "ROWS", " N obj"]
    out += [f" {'E' if eq else 'L'} r{i}" for i, eq in enumerate(equal.tolist())]
    out.append("COLUMNS")
    integer = model.integrality.astype(bool).tolist()
    cost = model.col_cost.tolist()
    rows_l, vals_l, starts = rows.tolist(), vals.tolist(), col_start.tolist()
    in_int = False
    for j in range(n_cols):
        if integer[j] != in_int:
            marker = "INTORG" if integer[j] else "INTEND"
            out.append(f" M{j} 'MARKER' '{marker}'")
            in_int = integer[j]
        name = col_name(j)
        out.append(f" {name} obj {cost[j]!r}")
        out += [f" {name} r{rows_l[k]} {vals_l[k]!r}" for k in range(starts[j], starts[j + 1])]
    if in_int:
        out.append(" Mend 'MARKER' 'INTEND'")
    out.append("RHS")
    out += [f" rhs r{i} {v!r}" for i, v in enumerate(model.row_upper.tolist()) if v != 0.0]
    out.append("BOUNDS")
    out += [f" UP bnd {col_name(j)} {ub!r}" for j, ub in enumerate(model.col_upper.tolist())]
    out.append("ENDATA")
    path.write_text("\n".join(out) + "\n")
