"""The time-limit benchmark (benchmarks/time_limit.py) prints what a caller waited, per limit."""

from __future__ import annotations

import sys

import pytest

from benchmarks import time_limit


def test_each_limit_gets_a_row_with_the_wall_clock_against_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["time_limit", "--instance", "batch_200x20",
                                      "--limits", "300,600", "--solver", "greedy"])
    time_limit.main()
    rows = [r for r in capsys.readouterr().out.splitlines() if r.startswith("| 300 |")
            or r.startswith("| 600 |")]
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        limit, solver, wall, ratio = int(cells[0]), cells[1], float(cells[3].replace(",", "")), \
            float(cells[4])
        assert solver == "greedy" and wall > 0
        assert ratio == pytest.approx(wall / limit, abs=0.01)
        assert cells[5].endswith("of 200")


@pytest.mark.parametrize("limits", ["0", ",", "100,-5"])
def test_a_limit_below_one_millisecond_is_refused(
    limits: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["time_limit", "--limits", limits])
    with pytest.raises(SystemExit) as exit_:
        time_limit.main()
    assert exit_.value.code == 2
    assert "--limits needs one or more limits of at least 1 ms" in capsys.readouterr().err
