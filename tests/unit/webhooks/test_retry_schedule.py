"""Retries: within 5 s, then doubling delays up to 10 minutes, for 3 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lifecycle.webhooks import GIVE_UP_AFTER, next_attempt, retry_delay


def test_the_first_retry_comes_after_5_seconds_then_the_delay_doubles_up_to_10_minutes(
) -> None:
    delays = [retry_delay(n).total_seconds() for n in range(1, 12)]
    assert delays == [5, 10, 20, 40, 80, 160, 320, 600, 600, 600, 600]
    assert retry_delay(10_000) == timedelta(minutes=10)


def test_a_delay_needs_at_least_one_failure() -> None:
    with pytest.raises(ValueError, match="failures >= 1"):
        retry_delay(0)


def test_retries_stop_after_three_days() -> None:
    created = datetime(2026, 11, 28, tzinfo=UTC)
    now, failures, attempts = created, 0, [created]
    while True:
        failures += 1
        at = next_attempt(created, failures, now)
        if at is None:
            break
        attempts.append(at)
        now = at
    assert attempts[-1] <= created + GIVE_UP_AFTER
    assert attempts[-1] + timedelta(minutes=10) > created + GIVE_UP_AFTER
    # 7 growing delays (635 s in all), then every 10 minutes until the 3 days are used up.
    assert len(attempts) - 1 == 7 + (3 * 86_400 - 635) // 600
