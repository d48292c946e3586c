"""Events: facts the domain records as it changes; storage writes them in the same transaction.

Aggregates append events instead of calling outward, so the outbox, the timeline, webhooks and
rules all read one truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# An event's ``seq`` (its position in its order's timeline) is stored as a 32-bit integer: a
# cursor or Last-Event-ID past this names no event.
MAX_SEQ = 2**31 - 1

# The data key listing the drop-ship suppliers' names an event's message mentions, as they were
# when it was recorded: the customer's view hides them (blind drop-ship) even after a rename.
PARTNER_NAMES = "partner_names"


@dataclass
class Event:
    """One fact about an order. ``seq`` and ``id`` are assigned when the event is stored."""

    type: str
    order_id: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    fulfillment_id: str | None = None
    location_id: str | None = None
    at: datetime | None = None
    seq: int | None = None
    id: str | None = None

    def as_payload(self) -> dict[str, Any]:
        """The JSON shape of the contract: id, seq, at, type, order_id, message, data."""
        return {
            "id": self.id,
            "seq": self.seq,
            "at": self.at.isoformat().replace("+00:00", "Z") if self.at else None,
            "type": self.type,
            "order_id": self.order_id,
            "message": self.message,
            "fulfillment_id": self.fulfillment_id,
            "location_id": self.location_id,
            "data": self.data,
        }
