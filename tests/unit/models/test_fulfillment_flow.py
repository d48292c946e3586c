"""The fulfillment state tables: forward skips allowed, never backwards, nothing after the end."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import TransitionNotAllowed
from models.fulfillment_flow import EVENT_TARGETS, EVENT_TYPES, FINAL, FLOWS, target_of
from models.fulfillments import FulfillmentStatus as S
from models.fulfillments import FulfillmentType as T


@pytest.mark.parametrize(("kind", "current", "event", "target"), [
    (T.SHIP, S.RELEASED, "shipped", S.SHIPPED),
    (T.SHIP, S.SHIPPED, "delivered", S.DELIVERED),
    (T.DROPSHIP, S.RELEASED, "accepted", S.ACCEPTED),
    (T.DROPSHIP, S.ACCEPTED, "rejected", S.REJECTED),
    (T.PICKUP, S.RELEASED, "ready_for_pickup", S.READY_FOR_PICKUP),
    (T.PICKUP, S.READY_FOR_PICKUP, "picked_up", S.PICKED_UP),
])
def test_real_systems_may_skip_steps_forward(kind: T, current: S, event: str, target: S) -> None:
    assert target_of(kind, current, event) is target


@pytest.mark.parametrize(("kind", "current", "event"), [
    (T.SHIP, S.SHIPPED, "picked"),
    (T.SHIP, S.DELIVERED, "delayed"),
    (T.SHIP, S.SHIPPED, "rejected"),
    (T.SHIP, S.RELEASED, "ready_for_pickup"),
    (T.PICKUP, S.RELEASED, "shipped"),
    (T.PICKUP, S.READY_FOR_PICKUP, "short_picked"),
    (T.SHIP, S.ALLOCATED, "accepted"),
    (T.SHIP, S.RELEASED, "teleported"),
])
def test_backwards_sideways_and_after_the_end_are_refused(kind: T, current: S,
                                                           event: str) -> None:
    with pytest.raises(TransitionNotAllowed):
        target_of(kind, current, event)


def test_delays_and_short_picks_move_nothing() -> None:
    assert target_of(T.SHIP, S.PACKED, "delayed") is None
    assert target_of(T.SHIP, S.PICKED, "short_picked") is None


@given(kind=st.sampled_from(list(T)),
       current=st.sampled_from(list(S)), event=st.sampled_from(sorted(EVENT_TYPES)))
def test_an_allowed_move_always_goes_forward_in_its_flow(kind: T, current: S, event: str) -> None:
    try:
        target = target_of(kind, current, event)
    except TransitionNotAllowed:
        return
    assert current not in FINAL and current is not S.ALLOCATED
    if target is not None and event in EVENT_TARGETS:
        flow = FLOWS[kind]
        assert flow.index(target) > flow.index(current)
