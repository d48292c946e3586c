"""HiGHS's claim about its incumbent can be wrong (a MIP start it completed its own way); when
there is no time to solve again, dom keeps its columns and its bound, never the claim."""

from __future__ import annotations

import highspy
import numpy as np
from opt_cases import random_batch

from optimizer import Params, build_problem
from optimizer.backends.highs import new_highs, untrusted_answer
from optimizer.model import build_model
from optimizer.objective import build_weights


def test_an_untrusted_highs_answer_keeps_its_columns_and_bound_but_is_never_called_optimal() -> (
    None
):
    problem = build_problem(*random_batch(30, 6, 8, seed=3))
    model = build_model(problem, build_weights(problem, Params()))
    h = new_highs(model, True, 30.0, 0)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    answer = untrusted_answer(h, model)

    columns = np.asarray(h.getSolution().col_value)
    assert answer.status == "feasible"  # HiGHS said optimal; that claim is what is in doubt
    assert answer.arc_units is not None
    assert np.array_equal(answer.arc_units, model.arc_units_of(columns))
    assert answer.bound == float(h.getInfo().mip_dual_bound)
    assert answer.bound <= float(columns @ model.col_cost) + 1e-6
    assert "kept the columns" in (answer.message or "")
