"""The joint-run benchmark (benchmarks/joint_run.py) measures each mode and puts the code back."""

from __future__ import annotations

import pytest

import lifecycle.batch as batch
from benchmarks import joint_run
from optimizer.result import Result


def test_each_mode_and_run_kind_gets_its_samples_and_the_patches_are_undone(
        capsys: pytest.CaptureFixture[str]) -> None:
    lookup, solve = Result.assignment, batch.solve  # type: ignore[attr-defined]
    limit = batch.Rounds.params
    samples = joint_run.main(["--orders", "12", "--repeat", "1", "--scan", "--apart"])
    assert set(samples) == {f"{mode}/{kind}" for mode in ("indexed", "scan", "apart")
                            for kind in ("run", "reoptimize")}
    for kind in ("indexed/run", "scan/run", "apart/run"):
        ((wall, solves_ms, solves, orders, cost, units),) = samples[kind]
        assert orders == 12 and solves >= 1 and 0 < solves_ms <= wall
        assert cost > 0 and units > 0
    assert Result.assignment is lookup and batch.solve is solve  # type: ignore[attr-defined]
    assert batch.Rounds.params is limit
    table = capsys.readouterr().out
    assert "| scan | reoptimize |" in table and "| indexed | run | 12 |" in table
    assert "| apart | reoptimize |" in table
    assert "orders answered" in table


def test_nonsense_sizes_are_refused() -> None:
    with pytest.raises(SystemExit):
        joint_run.main(["--orders", "0"])
