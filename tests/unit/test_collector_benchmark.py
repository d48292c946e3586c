"""The collector A/B (benchmarks/collector_ab.py) times both modes and puts solve() back."""

from __future__ import annotations

import gc
import importlib
import sys

import pytest

from benchmarks import collector_ab


def test_both_modes_get_a_row_and_the_collector_is_held_off_only_in_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    solve_module = importlib.import_module("optimizer.solve")
    original = solve_module.collector_paused
    seen: list[bool] = []
    decode = solve_module.assignments_from_units

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return decode(*args, **kwargs)

    monkeypatch.setattr(solve_module, "assignments_from_units", watched)
    monkeypatch.setattr(sys, "argv", ["collector_ab", "--instance", "batch_200x20",
                                      "--limit", "300", "--repeat", "2"])
    collector_ab.main()
    out = capsys.readouterr().out
    assert "| left on |" in out and "| held off |" in out and "of 2 |" in out
    assert seen == [True, False, True, False]  # alternating, on first
    assert solve_module.collector_paused is original


def test_a_limit_below_one_millisecond_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["collector_ab", "--limit", "0"])
    with pytest.raises(SystemExit) as exit_:
        collector_ab.main()
    assert exit_.value.code == 2
    assert "--limit and --repeat need to be at least 1" in capsys.readouterr().err
