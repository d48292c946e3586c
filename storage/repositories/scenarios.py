"""Planners' scenarios: the request, the KPIs and the solver's answer of each what-if run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from lifecycle.uow import ScenarioRecord
from storage.tables import scenarios


def _record(row: RowMapping) -> ScenarioRecord:
    return ScenarioRecord(
        id=row["id"], name=row["name"], status=row["status"], request=row["request"],
        created_at=row["created_at"], kpis=row["kpis"], solver=row["solver"],
        error=row["error"], finished_at=row["finished_at"])


class SqlScenarioRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, record: ScenarioRecord) -> None:
        self._c.execute(insert(scenarios).values(
            id=record.id, name=record.name, status=record.status, request=record.request,
            kpis=record.kpis, solver=record.solver, error=record.error,
            created_at=record.created_at, finished_at=record.finished_at))

    def get(self, scenario_id: str) -> ScenarioRecord | None:
        row = self._c.execute(select(scenarios).where(scenarios.c.id == scenario_id)
                              ).mappings().first()
        return _record(row) if row else None

    def page(self, *, after: str | None = None, limit: int = 50) -> list[ScenarioRecord]:
        """Newest first; ``after`` is the last id of the previous page."""
        query = select(scenarios).order_by(scenarios.c.id.desc()).limit(limit)
        if after:
            query = query.where(scenarios.c.id < after)
        return [_record(r) for r in self._c.execute(query).mappings()]

    def running_since_before(self, cutoff: datetime) -> list[str]:
        """Ids of runs still ``running`` that started before ``cutoff``."""
        query = select(scenarios.c.id).where(scenarios.c.status == "running",
                                             scenarios.c.created_at < cutoff)
        return list(self._c.execute(query).scalars())

    def finish(self, scenario_id: str, *, status: str, kpis: dict[str, Any] | None,
               solver: dict[str, Any] | None, error: str | None,
               finished_at: datetime) -> bool:
        """Record the outcome of a running scenario; False when it is not running."""
        result = self._c.execute(
            update(scenarios)
            .where(scenarios.c.id == scenario_id, scenarios.c.status == "running")
            .values(status=status, kpis=kpis, solver=solver, error=error,
                    finished_at=finished_at))
        return result.rowcount == 1
