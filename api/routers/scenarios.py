"""Scenarios: what-if sourcing on the live network (or data sent along); never writes live data."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from api.auth import PolicyWriter
from api.deps import ContainerDep, Cursor, Limit, decode_cursor, encode_cursor, run, run_async
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.scenarios import CompareOut, ScenarioIn, ScenarioOut, ScenarioPage
from models import InvalidInput
from planner import service

router = APIRouter(tags=["scenarios"], responses=PROBLEM_RESPONSES)


@router.post("/v1/scenarios", response_model=ScenarioOut, status_code=201,
             responses={202: {"model": ScenarioOut, "description": "A large run, still running; "
                              "poll the Location."}})
async def create_scenario(body: ScenarioIn, _: PolicyWriter,
                          container: ContainerDep) -> Response:
    """Run a what-if scenario (joint sourcing of its orders) and keep its KPIs."""
    record = await run_async(lambda: service.run(
        body.definition(), writer=container.uow_factory, reader=container.reader,
        large_from=container.settings.scenario_async_orders))
    out = ScenarioOut.of(record).model_dump(mode="json")
    if record.status == "running":
        return JSONResponse(out, status_code=202,
                            headers={"Location": f"/v1/scenarios/{record.id}"})
    return JSONResponse(out, status_code=201, headers={"Location": f"/v1/scenarios/{record.id}"})


@router.get("/v1/scenarios", response_model=ScenarioPage)
def list_scenarios(_: PolicyWriter, container: ContainerDep, limit: Limit = 50,
                   cursor: Cursor = None) -> ScenarioPage:
    """Scenarios, newest first."""
    after = decode_cursor(cursor)

    def read() -> ScenarioPage:
        with container.uow(write=False) as uow:
            records = uow.scenarios.page(after=after, limit=limit + 1)
        more = len(records) > limit
        records = records[:limit]
        return ScenarioPage(items=[ScenarioOut.of(r) for r in records],
                            next_cursor=encode_cursor(records[-1].id) if more else None)

    return run(read)


@router.get("/v1/scenarios/compare", response_model=CompareOut)
def compare_scenarios(_: PolicyWriter, container: ContainerDep,
                      ids: str = Query(max_length=200, description="Two scenario ids: a,b")
                      ) -> CompareOut:
    """Two scenarios' KPIs side by side, and the differences b - a."""
    parts = [p.strip() for p in ids.split(",") if p.strip()]
    if len(parts) != 2:
        raise InvalidInput("ids takes exactly two scenario ids separated by a comma: ids=a,b",
                           loc=("query", "ids"))
    return CompareOut.model_validate(service.compare_stored(container.reader, *parts))


@router.get("/v1/scenarios/{scenario_id}", response_model=ScenarioOut)
def get_scenario(scenario_id: str, _: PolicyWriter, container: ContainerDep) -> ScenarioOut:
    """One scenario: running, done (with KPIs and the solver's answer) or failed."""
    return ScenarioOut.of(service.get(container.reader, scenario_id))
