"""Domain errors. Each carries a message a person can act on; the API maps the class to a status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose (never for a bug)."""

    title = "Request cannot be processed"

    def __init__(self, detail: str, *, loc: tuple[str | int, ...] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.loc = loc


class InvalidInput(DomainError):
    """Input that is well-formed but impossible: unknown SKU, pickup where there is no pickup."""

    title = "Invalid input"


class NotFound(DomainError):
    """An id that names nothing (or nothing the caller may see)."""

    title = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a request still running)."""

    title = "Conflict"


class TransitionNotAllowed(Conflict):
    """A lifecycle move the state table does not allow."""

    title = "Transition not allowed"


class Forbidden(DomainError):
    """The caller's role may not do this."""

    title = "Forbidden"


class InsufficientStock(Conflict):
    """A reservation asked for more units than a position has available.

    Raised inside the transaction that tried it, so the whole plan rolls back.
    """

    title = "Insufficient stock"

    def __init__(self, location_id: str, sku: str, requested: int, available: int) -> None:
        super().__init__(
            f"location {location_id!r} has {available} unit(s) of {sku!r} available, "
            f"{requested} requested"
        )
        self.location_id = location_id
        self.sku = sku
        self.requested = requested
        self.available = available


class DuplicateChannelOrder(Conflict):
    """The (channel, channel_order_id) pair is already in the repository."""

    def __init__(self, channel: str, channel_order_id: str) -> None:
        super().__init__(f"{channel} order {channel_order_id!r} already exists")
        self.channel = channel
        self.channel_order_id = channel_order_id


class ConcurrentUpdate(Conflict):
    """Another transaction changed the same object between our read and our write.

    Safe to retry from the start: the failed transaction wrote nothing.
    """
