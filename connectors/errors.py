"""The one error connectors raise for a payload they cannot turn into an order."""

from __future__ import annotations


class ConnectorError(ValueError):
    """A channel payload that is malformed or describes an order dom must not take.

    ``path`` names the offending field the way the channel spells it
    (``"OrderItems[1].SellerSKU"``) so the API can report it as the error's location; it is
    ``None`` when the whole order is refused (cancelled, fulfilled by Amazon).
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
