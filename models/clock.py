"""How far other systems' clocks may drift from dom's.

Channels, locations and carriers send times of their own (when an order was placed, when a
parcel shipped); a time a little ahead of dom's clock is drift, not a mistake.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

CLOCK_SKEW = timedelta(minutes=5)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a time sent without a zone is taken as UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
