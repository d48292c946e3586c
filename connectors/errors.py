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


class NewsOnChannel(ConnectorError):
    """News about an order the channel may have sent before: a new order is refused like any
    order dom must not take; one already imported takes the news (see the subclasses)."""

    def __init__(self, message: str, *, channel: str, channel_order_id: str,
                 path: str | None = None) -> None:
        super().__init__(message, path=path)
        self.channel = channel
        self.channel_order_id = channel_order_id


class CancelledOnChannel(NewsOnChannel):
    """The channel says the order was cancelled there: one already imported is cancelled
    (what has not shipped stops)."""


class PaymentVoidedOnChannel(NewsOnChannel):
    """The channel says the order's payment authorization was voided: one already imported
    has its payment failed (its goods that have not left are held, as for a declined
    payment)."""
