"""The server's own clock: the timer loop runs while the app lives and stops with it, and at
startup it does at once what fell due while the server was down."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from api import background, create_app
from dom.bootstrap import Container
from storage.tables import events, fulfillments, idempotency_keys, leases
from tests.api.conftest import CHANNEL, OPS, PLANNER, order_body, seed


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


def test_stopping_the_app_waits_for_the_tick_under_way(
        default_container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tick runs in a worker thread: shutdown lets it finish rather than leave it writing
    through a container that is being closed."""
    import threading

    started, finished = threading.Event(), threading.Event()

    def slow_tick(_: Container) -> None:
        started.set()
        time.sleep(0.3)
        finished.set()

    monkeypatch.setattr(background, "tick", slow_tick)
    fast = dataclasses.replace(default_container, settings=default_container.settings.model_copy(
        update={"timer_interval_s": 0.01}))

    async def stop_during_a_tick() -> bool:
        async with background.timer_loop(fast):
            for _ in range(500):
                if started.is_set():
                    break
                await asyncio.sleep(0.01)
            assert started.is_set(), "no tick started"
        return finished.is_set()

    assert asyncio.run(stop_during_a_tick()), "the loop returned before its tick finished"


def test_a_tick_evaluates_timers_and_purges_expired_keys(default_container: Container) -> None:
    now = datetime.now(UTC)
    past = now - timedelta(days=2)
    with default_container.engine.begin() as connection:
        for key, expires_at in (("old", past), ("fresh", now + timedelta(hours=1))):
            connection.execute(insert(idempotency_keys).values(
                scope="s", key=key, request_hash="h", state="completed", status_code=201,
                response_body="{}", response_headers={}, created_at=past,
                expires_at=expires_at))
    background.tick(default_container)
    with default_container.engine.connect() as connection:
        assert connection.execute(select(idempotency_keys.c.key)).scalars().all() == ["fresh"]


def _every(container: Container, interval_s: float) -> Container:
    return dataclasses.replace(container, settings=container.settings.model_copy(
        update={"timer_interval_s": interval_s, "webhook_poll_interval_s": 0}))


def _exited_pid() -> int:
    """The pid of a process of ours that has finished (as a SIGKILLed worker's would be)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True, timeout=60)
    return int(done.stdout)


def _leave_lease(container: Container, owner: str) -> None:
    """A timers lease that will not expire for an hour, as its holder left it."""
    with container.engine.begin() as connection:
        connection.execute(insert(leases).values(
            name=background.LEASE, owner=owner,
            expires_at=datetime.now(UTC) + timedelta(hours=1)))


def _lease_owner(container: Container) -> str:
    with container.engine.connect() as connection:
        owner: str = connection.execute(
            select(leases.c.owner).where(leases.c.name == background.LEASE)).scalar_one()
    return owner


def test_the_loop_runs_a_pass_at_startup_without_waiting_an_interval(
        default_container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    ticks: list[Container] = []
    monkeypatch.setattr(background, "tick", ticks.append)

    async def start_and_wait() -> int:
        async with background.timer_loop(_every(default_container, 3600)):
            for _ in range(1000):  # bounded: up to 10 s on a slow machine
                if ticks:
                    break
                await asyncio.sleep(0.01)
        return len(ticks)

    assert asyncio.run(start_and_wait()) == 1


def test_a_lease_left_by_a_killed_process_on_this_host_is_taken_over_at_startup(
        default_container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    ticks: list[Container] = []
    monkeypatch.setattr(background, "tick", ticks.append)
    _leave_lease(default_container, f"{socket.gethostname()}:{_exited_pid()}:dead0000")
    assert background.recover(default_container) is True
    assert len(ticks) == 1
    assert _lease_owner(default_container) == background.OWNER


@pytest.mark.parametrize("holder", [
    f"{socket.gethostname()}:{os.getppid()}:alive000",  # a live process on this host
    "another-host:1:remote00",  # a process we cannot see: it may well be alive
])
def test_a_lease_whose_holder_may_be_alive_is_left_alone_at_startup(
        default_container: Container, monkeypatch: pytest.MonkeyPatch, holder: str) -> None:
    ticks: list[Container] = []
    monkeypatch.setattr(background, "tick", ticks.append)
    _leave_lease(default_container, holder)
    assert background.recover(default_container) is False
    assert ticks == []
    assert _lease_owner(default_container) == holder


def test_a_release_that_fell_due_while_the_server_was_down_happens_right_after_startup(
        seeded: TestClient, default_container: Container) -> None:
    seeded.put("/v1/policy", json={"release_delay_minutes": 30}, headers=PLANNER)
    placed = seeded.post("/v1/orders", json=order_body("W-DOWN"), headers=CHANNEL)
    assert placed.status_code == 201, placed.text
    (held,) = [f for f in placed.json()["fulfillments"] if f["location_id"] is not None]
    assert held["status"] == "allocated"
    # The server died (its timer lease still held) and came back after the release was due.
    with default_container.engine.begin() as connection:
        connection.execute(update(fulfillments)
                           .where(fulfillments.c.id == held["fulfillment_id"])
                           .values(release_at=datetime.now(UTC) - timedelta(minutes=1)))
    _leave_lease(default_container, f"{socket.gethostname()}:{_exited_pid()}:dead0000")

    with TestClient(create_app(_every(default_container, 3600))) as restarted:
        deadline = time.monotonic() + 30
        while True:
            order = restarted.get(f"/v1/orders/{placed.json()['order_id']}", headers=OPS).json()
            status = {f["fulfillment_id"]: f["status"] for f in order["fulfillments"]}
            if status[held["fulfillment_id"]] != "allocated" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert status[held["fulfillment_id"]] == "released"
    assert "fulfillment.released" in [e["type"] for e in order["timeline"]]


def test_an_order_a_crash_caught_between_intake_and_sourcing_is_sourced_at_startup(
        seeded: TestClient, default_container: Container) -> None:
    from api.schemas.orders import OrderIn
    from lifecycle import orders as order_service

    def intake_only(channel_order_id: str, payment: str) -> str:
        """What a server killed right after the intake transaction leaves behind."""
        command = OrderIn(**order_body(channel_order_id,
                                       payment={"status": payment})).to_command()
        return order_service.create_order(default_container.uow_factory, command).order.id

    stranded = intake_only("W-STRANDED", "authorized")
    unpaid = intake_only("W-UNPAID", "pending")
    assert seeded.get(f"/v1/orders/{stranded}", headers=OPS).json()["fulfillments"] == []

    assert background.recover(_every(default_container, 3600)) is True

    sourced = seeded.get(f"/v1/orders/{stranded}", headers=OPS).json()
    assert sourced["status"] == "allocated"
    assert "order.allocated" in [e["type"] for e in sourced["timeline"]]
    waiting = seeded.get(f"/v1/orders/{unpaid}", headers=OPS).json()
    assert (waiting["status"], waiting["fulfillments"]) == ("received", [])


def test_undelivered_outbox_rows_go_out_at_startup_when_the_dispatcher_holding_them_died(
        default_container: Container) -> None:
    # The app's own dispatcher stays off: running beside the test's two, it would claim and
    # try deliveries itself (refused: private address) and push them minutes out.
    quiet = _every(default_container, 0)
    with TestClient(create_app(quiet), raise_server_exceptions=False) as seeded:
        seed(seeded)
        _dead_dispatcher_leases_end(seeded, quiet)


def _dead_dispatcher_leases_end(seeded: TestClient, default_container: Container) -> None:
    from collections.abc import Mapping

    from lifecycle import webhooks
    from lifecycle.webhook_dispatch import SendResult, WebhookDispatcher

    sent: list[str] = []

    def receive(url: str, body: bytes, headers: Mapping[str, str]) -> SendResult:
        sent.append(headers["webhook-id"])
        return SendResult(200)

    def dispatcher(owner: str) -> WebhookDispatcher:
        return WebhookDispatcher(default_container.uow_factory, sender=receive,
                                 allow_private=True, owner=owner)

    webhooks.subscribe(default_container.uow_factory, "http://127.0.0.1:9/hook", ["*"],
                       "s" * 32, datetime.now(UTC))
    seeded.post("/v1/orders", json=order_body("W-HOOK-1"), headers=CHANNEL)
    # A dispatcher of the killed server fanned out, then died sending one event and reading
    # the outbox again: it holds that delivery and the outbox cursor for another minute.
    dead = f"{socket.gethostname()[:30]}:{_exited_pid()}:deadbeef"
    assert dispatcher(dead).fan_out() > 0
    now = datetime.now(UTC)
    with default_container.uow() as uow:
        due = uow.webhooks.due(now, 100)
        assert uow.webhooks.claim(due[0][0], dead, now, now + timedelta(seconds=60))
        assert uow.webhooks.claim_cursor(dead, now, now + timedelta(seconds=60)) is not None
        uow.commit()
    seeded.post("/v1/orders", json=order_body("W-HOOK-2"), headers=CHANNEL)
    with default_container.engine.connect() as connection:
        outbox = {row.id for row in connection.execute(select(events.c.id))}

    survivor = dispatcher("restarted:1:alive000")
    survivor.run_once()
    assert outbox - set(sent), "nothing should be held back before the dead leases end"

    assert background.expire_dead_leases(default_container) == 2  # the cursor, the delivery
    for _ in range(10):
        if not survivor.run_once().busy:
            break
    assert set(sent) == outbox  # the one cut off mid-send too, and W-HOOK-2's, never fanned out


def test_a_tick_fails_a_scenario_run_whose_process_died(default_container: Container) -> None:
    from lifecycle.uow import ScenarioRecord
    from planner import service

    started = datetime.now(UTC) - service.ORPHANED_AFTER - timedelta(minutes=1)
    with default_container.uow() as uow:
        uow.scenarios.add(ScenarioRecord(id="scn_lost", name="lost", status="running",
                                         request={}, created_at=started))
        uow.commit()
    background.tick(default_container)
    lost = service.get(default_container.reader, "scn_lost")
    assert (lost.status, lost.error) == ("failed", service.INTERRUPTED)
