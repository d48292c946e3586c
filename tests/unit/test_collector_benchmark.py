"""The collector A/B (benchmarks/collector_ab.py) times both modes and puts solve() back."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from benchmarks import collector_ab


def test_both_modes_get_a_row_and_only_one_holds_the_collector_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    solve_module = importlib.import_module("optimizer.solve")
    held_off = 0

    @contextmanager
    def counted() -> Iterator[None]:
        nonlocal held_off
        held_off += 1
        yield

    monkeypatch.setattr(solve_module, "collector_paused", counted)
    monkeypatch.setattr(sys, "argv", ["collector_ab", "--instance", "batch_200x20",
                                      "--limit", "300", "--repeat", "2"])
    collector_ab.main()
    out = capsys.readouterr().out
    assert "| left on |" in out and "| held off |" in out and "of 2 |" in out
    assert held_off == 2  # one call in two: the other mode runs without it
    assert solve_module.collector_paused is counted  # put back as it found it


def test_a_limit_below_one_millisecond_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["collector_ab", "--limit", "0"])
    with pytest.raises(SystemExit) as exit_:
        collector_ab.main()
    assert exit_.value.code == 2
    assert "--limit and --repeat need to be at least 1" in capsys.readouterr().err
