"""How each kind of fulfillment moves, as tables.

Each type has a forward sequence of statuses. A reported event names a target status; it is
allowed when the target lies ahead of the current status in that sequence (real systems skip
steps: released -> shipped, shipped -> delivered), never behind it, and never from a final
status. ``rejected`` and ``short_picked`` are allowed only before the goods leave; ``delayed``
changes no status at all.
"""

from __future__ import annotations

from models.errors import TransitionNotAllowed
from models.fulfillments import FulfillmentStatus as S
from models.fulfillments import FulfillmentType as T

FLOWS: dict[T, tuple[S, ...]] = {
    T.SHIP: (S.RELEASED, S.ACCEPTED, S.PICKED, S.PACKED, S.SHIPPED, S.OUT_FOR_DELIVERY,
             S.DELIVERED),
    T.DROPSHIP: (S.RELEASED, S.ACCEPTED, S.PICKED, S.PACKED, S.SHIPPED, S.OUT_FOR_DELIVERY,
                 S.DELIVERED),
    T.PICKUP: (S.RELEASED, S.ACCEPTED, S.PICKED, S.PACKED, S.READY_FOR_PICKUP, S.PICKED_UP),
    T.SERVICE: (S.PENDING, S.REGISTERED),
}

# The event a location reports -> the status it moves the fulfillment to.
EVENT_TARGETS: dict[str, S] = {
    "accepted": S.ACCEPTED,
    "picked": S.PICKED,
    "packed": S.PACKED,
    "shipped": S.SHIPPED,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "delivered": S.DELIVERED,
    "ready_for_pickup": S.READY_FOR_PICKUP,
    "picked_up": S.PICKED_UP,
}
NO_MOVE_EVENTS = frozenset({"delayed"})
BEFORE_DEPARTURE_EVENTS = frozenset({"rejected", "short_picked"})
EVENT_TYPES = frozenset(EVENT_TARGETS) | NO_MOVE_EVENTS | BEFORE_DEPARTURE_EVENTS

FINAL = frozenset({S.DELIVERED, S.PICKED_UP, S.CANCELLED, S.REJECTED, S.REGISTERED})
# Once a fulfillment reaches one of these, its units have left the location.
DEPARTED = frozenset({S.SHIPPED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.PICKED_UP})


def _says(status: S) -> str:
    return status.value.replace("_", " ")


def target_of(kind: T, current: S, event: str) -> S | None:
    """The status ``event`` moves a fulfillment to, or None for events that move nothing.

    Raises ``TransitionNotAllowed`` (with the reason) for anything the tables do not allow.
    """
    if event not in EVENT_TYPES:
        raise TransitionNotAllowed(f"unknown fulfillment event {event!r}; one of "
                                   f"{', '.join(sorted(EVENT_TYPES))}")
    if kind is T.SERVICE:
        raise TransitionNotAllowed("a service is registered by dom when what it covers arrives; "
                                   "it takes no reported events")
    if current is S.ALLOCATED:
        raise TransitionNotAllowed("the fulfillment is not released to its location yet")
    if current in FINAL:
        raise TransitionNotAllowed(f"the fulfillment is already {_says(current)}")
    if event in NO_MOVE_EVENTS:
        return None
    if event in BEFORE_DEPARTURE_EVENTS:
        if current in DEPARTED or current is S.READY_FOR_PICKUP:
            raise TransitionNotAllowed(f"cannot report {event.replace('_', ' ')}: the "
                                       f"fulfillment is already {_says(current)}")
        return S.REJECTED if event == "rejected" else None
    flow = FLOWS[kind]
    target = EVENT_TARGETS[event]
    if current not in flow:
        raise TransitionNotAllowed(f"a {kind.value} fulfillment cannot be {_says(current)}")
    if target not in flow:
        raise TransitionNotAllowed(f"a {kind.value} fulfillment has no {_says(target)} step")
    if flow.index(target) <= flow.index(current):
        raise TransitionNotAllowed(f"the fulfillment is already {_says(current)}; it cannot "
                                   f"go back to {_says(target)}")
    return target
