"""The cyclic collector is held off while an answer is decoded, and always given back."""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import Iterator

import pytest
from opt_cases import seed_example

from optimizer import Params, solve_orders
from optimizer.collector import collector_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_decoding_runs_without_the_collector_and_gives_it_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the module, not the function optimizer/__init__ exports under the same name
    solve_module = importlib.import_module("optimizer.solve")
    seen: list[bool] = []
    decode = solve_module.assignments_from_units

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return decode(*args, **kwargs)

    monkeypatch.setattr(solve_module, "assignments_from_units", watched)
    orders, locations, stock = seed_example()
    result = solve_orders(orders, locations, stock, Params(objective="cost"))
    assert result.assignments[0].shipments[0].location_id == "WH-B"
    assert seen == [False] and gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_inside_still_gives_the_collector_back() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("decode failed")
    assert gc.isenabled()


def test_overlapping_calls_leave_it_off_until_the_last_one_is_out() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        assert inside.wait(5)
    # this call is out, the other thread's is not: still off
    assert not gc.isenabled()
    release.set()
    thread.join(5)
    assert gc.isenabled()
