"""Scenarios stored on both backends (migration 0005, the repository), run from live data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dom.bootstrap import Container
from lifecycle.uow import ScenarioRecord
from planner import service
from tests.unit.planner.network import definition


def test_a_scenario_is_stored_done_listed_newest_first_and_finished_once(
        container: Container) -> None:
    done = service.run(definition(name="first"), writer=container.uow_factory,
                       reader=container.reader)
    assert done.status == "done" and done.kpis is not None and done.kpis["orders"] == 6
    running = ScenarioRecord(id="scn_zzzz", name="later", status="running",
                             request={"name": "later"}, created_at=datetime.now(UTC))
    with container.uow() as uow:
        uow.scenarios.add(running)
        uow.commit()
    with container.uow() as uow:
        assert [r.id for r in uow.scenarios.page(limit=5)] == ["scn_zzzz", done.id]
        assert uow.scenarios.finish("scn_zzzz", status="done", kpis={"orders": 1}, solver={},
                                    error=None, finished_at=datetime.now(UTC))
        assert not uow.scenarios.finish("scn_zzzz", status="failed", kpis=None, solver=None,
                                        error="late", finished_at=datetime.now(UTC))
        uow.commit()
    stored = service.get(container.reader, done.id)
    assert stored.kpis == done.kpis and stored.request["changes"]["demand_multiplier"] == 1.0
    assert service.get(container.reader, "scn_zzzz").kpis == {"orders": 1}


def test_a_run_left_running_by_a_dead_process_is_marked_failed_once(
        container: Container) -> None:
    now = datetime.now(UTC)
    ages = {"scn_old": service.ORPHANED_AFTER + timedelta(minutes=1),
            "scn_recent": service.ORPHANED_AFTER - timedelta(minutes=1)}
    with container.uow() as uow:
        for scenario_id, age in ages.items():
            uow.scenarios.add(ScenarioRecord(id=scenario_id, name=scenario_id, status="running",
                                             request={}, created_at=now - age))
        uow.commit()

    assert service.fail_orphaned(container.uow_factory, now) == ["scn_old"]
    assert service.fail_orphaned(container.uow_factory, now) == []

    old = service.get(container.reader, "scn_old")
    assert (old.status, old.error) == ("failed", service.INTERRUPTED)
    assert service.get(container.reader, "scn_recent").status == "running"
