"""Operations: escalations, customer notifications, SLA checks, pipelines."""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.auth import Operator, OrderReader
from api.deps import ContainerDep, Cursor, Limit, decode_cursor, encode_cursor, run
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.fulfillments import (
    EscalationOut,
    NotificationOut,
    ResolveIn,
    SlaCheckIn,
    SlaCheckOut,
)
from lifecycle import escalations, pipelines, timers

router = APIRouter(tags=["operations"], responses=PROBLEM_RESPONSES)


@router.get("/v1/escalations", response_model=Page[EscalationOut])
def list_escalations(_: Operator, container: ContainerDep,
                     status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
                     order_id: Annotated[str | None, Query(max_length=40)] = None,
                     limit: Limit = 50, cursor: Cursor = None) -> Page[EscalationOut]:
    """The escalation queue, filtered by status and order."""
    with container.uow(write=False) as uow:
        found = uow.escalations.page(status=status, order_id=order_id,
                                     after=decode_cursor(cursor), limit=limit + 1)
    items = found[:limit]
    return Page(items=[EscalationOut.of(e) for e in items],
                next_cursor=encode_cursor(items[-1].id) if len(found) > limit else None)


@router.post("/v1/escalations/{escalation_id}/resolve", response_model=EscalationOut)
def resolve_escalation(escalation_id: Annotated[str, Path(max_length=40)], principal: Operator,
                       container: ContainerDep, body: ResolveIn | None = None) -> EscalationOut:
    """Close an escalation with who resolved it and how."""
    by = (body.by if body and body.by else None) or principal.role
    resolution = body.resolution if body else None
    return EscalationOut.of(run(lambda: escalations.resolve(container.uow(), escalation_id,
                                                            by, resolution)))


@router.get("/v1/notifications", response_model=Page[NotificationOut])
def list_notifications(_: Operator, container: ContainerDep,
                       order_id: Annotated[str | None, Query(max_length=40)] = None,
                       limit: Limit = 50, cursor: Cursor = None) -> Page[NotificationOut]:
    """What was sent to customers, and on which channel."""
    with container.uow(write=False) as uow:
        found = uow.notifications.page(order_id=order_id, after=decode_cursor(cursor),
                                       limit=limit + 1)
    items = found[:limit]
    return Page(items=[NotificationOut.of(n) for n in items],
                next_cursor=encode_cursor(items[-1].id) if len(found) > limit else None)


@router.post("/v1/sla/check", response_model=SlaCheckOut)
def sla_check(_: Operator, container: ContainerDep, body: SlaCheckIn | None = None
              ) -> SlaCheckOut:
    """Evaluate every timer as of ``now``: due releases, missed ship-by dates."""
    outcome = timers.check(container.uow_factory, body.now if body else None)
    return SlaCheckOut(checked=outcome.checked, delays_raised=outcome.delays_raised,
                       released=outcome.released, pickups_expired=outcome.pickups_expired)


@router.get("/v1/pipelines")
def list_pipelines(_: OrderReader) -> dict[str, Any]:
    """The pipelines and rules in force, with their version (orders keep the one they began)."""
    config = pipelines.current()
    # the file's name, not its path on the server (channels and planners read this)
    return {"version": config.version, "source": os.path.basename(config.source),
            "review_hold_above": config.review_hold_above,
            "pipelines": {name: {"steps": list(steps)}
                          for name, steps in config.pipelines.items()},
            "rules": [{"name": r.name, "event": r.on,
                       "do": [{kind: arg} for kind, arg in r.actions]} for r in config.rules]}
