"""The server's own clock: the timer loop runs while the app lives and stops with it."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from api import background
from dom.bootstrap import Container


def test_the_timer_loop_ticks_while_the_app_lives_and_stops_after(
        default_container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    ticks: list[Container] = []
    monkeypatch.setattr(background, "tick", ticks.append)
    fast = dataclasses.replace(default_container, settings=default_container.settings.model_copy(
        update={"timer_interval_s": 0.01}))

    async def live_for_a_while() -> int:
        async with background.timer_loop(fast):
            for _ in range(200):
                if len(ticks) >= 3:
                    break
                await asyncio.sleep(0.01)
        seen = len(ticks)
        await asyncio.sleep(0.05)
        assert len(ticks) == seen, "the loop kept running after the app stopped"
        return seen

    assert asyncio.run(live_for_a_while()) >= 3


def test_a_tick_evaluates_timers_and_purges_expired_keys(default_container: Container) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, select

    from storage.tables import idempotency_keys

    past = datetime.now(UTC) - timedelta(days=2)
    with default_container.engine.begin() as connection:
        connection.execute(insert(idempotency_keys).values(
            scope="s", key="old", request_hash="h", state="completed", status_code=201,
            response_body="{}", response_headers={}, created_at=past, expires_at=past))
    background.tick(default_container)
    with default_container.engine.connect() as connection:
        assert connection.execute(select(idempotency_keys)).all() == []
