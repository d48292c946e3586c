"""How far other systems' clocks may drift from dom's.

Channels, locations and carriers send times of their own (when an order was placed, when a
parcel shipped); a time a little ahead of dom's clock is drift, not a mistake.
"""

from __future__ import annotations

from datetime import timedelta

CLOCK_SKEW = timedelta(minutes=5)
