"""The joint-run benchmark (benchmarks/joint_run.py) measures both lookups and puts them back."""

from __future__ import annotations

import pytest

import lifecycle.batch as batch
from benchmarks import joint_run
from optimizer.result import Result


def test_each_mode_and_run_kind_gets_its_samples_and_the_patches_are_undone(
        capsys: pytest.CaptureFixture[str]) -> None:
    lookup, solve = Result.assignment, batch.solve  # type: ignore[attr-defined]
    samples = joint_run.main(["--orders", "12", "--repeat", "1", "--scan"])
    assert set(samples) == {"indexed/run", "indexed/reoptimize", "scan/run", "scan/reoptimize"}
    for kind in ("indexed/run", "scan/run"):
        ((wall, solves_ms, solves, orders),) = samples[kind]
        assert orders == 12 and solves >= 1 and 0 < solves_ms <= wall
    assert Result.assignment is lookup and batch.solve is solve  # type: ignore[attr-defined]
    table = capsys.readouterr().out
    assert "| scan | reoptimize |" in table and "| indexed | run | 12 |" in table
    assert "orders answered" in table


def test_nonsense_sizes_are_refused() -> None:
    with pytest.raises(SystemExit):
        joint_run.main(["--orders", "0"])
