"""Allocation: source one order (quote or commit), run the joint model, read and set policy."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.auth import Allocator, PolicyWriter
from api.deps import ContainerDep, run, run_async
from api.idempotency import idempotent, json_response
from api.observability import note_order
from api.schemas.allocation import AllocateIn, AllocationOut, PolicyIn, PolicyOut, RunIn, RunOut
from api.schemas.common import PROBLEM_RESPONSES
from dom.bootstrap import Container
from lifecycle import batch, sourcing
from models import Forbidden, InvalidInput

router = APIRouter(tags=["allocation"], responses=PROBLEM_RESPONSES)


def _allocate(container: Container, body: AllocateIn) -> sourcing.Allocation:
    """Reads go through the container's reader, so a quote never takes the write lock."""
    if body.order_id is not None:
        return sourcing.allocate_existing(container.uow_factory, body.order_id,
                                          commit_it=body.commit, objective=body.objective,
                                          reader=container.reader)
    assert body.order is not None
    try:
        return sourcing.allocate_new(container.uow_factory, body.order.to_command(),
                                     commit_it=body.commit, objective=body.objective,
                                     reader=container.reader)
    except InvalidInput as error:
        # intake names fields of an order body; here that body sits under "order"
        if error.loc and error.loc[0] == "body":
            error.loc = ("body", "order", *error.loc[1:])
        raise


@router.post("/v1/allocate", response_model=AllocationOut,
             responses={201: {"model": AllocationOut,
                              "description": "A committed body created its order (a quote, or "
                                             "a stored order's commitment, is 200)"}})
async def allocate(request: Request, body: AllocateIn, principal: Allocator,
                   container: ContainerDep) -> Response:
    """Source one order: a quote (commit false, nothing reserved) or a commitment."""
    if body.commit and body.order is not None and principal.role == "planner":
        # committing a body creates the order, which only order writers do; a planner commits
        # stored orders (one here, or every waiting one with POST /v1/allocations/run)
        raise Forbidden("a planner does not create orders: quote the body (commit: false), or "
                        "commit a stored order by its order_id")

    async def produce() -> Response:
        allocation = await run_async(lambda: _allocate(container, body))
        if allocation.order_id is not None and (allocation.committed or body.order_id):
            note_order(request, allocation.order_id)  # a quote's new order is never stored
        created = bool(allocation.extra.get("created"))
        return json_response(201 if created else 200, AllocationOut.of(allocation)
                             .model_dump(mode="json"))

    return await idempotent(request, principal, container, produce)


@router.post("/v1/allocations/run", response_model=RunOut)
def run_joint(principal: PolicyWriter, container: ContainerDep,
              body: RunIn | None = None) -> RunOut:
    """Source every order waiting for stock in one joint optimization."""
    reoptimize = body.reoptimize if body else False
    return RunOut.of(run(lambda: batch.run_allocations(container.uow_factory,
                                                       reoptimize=reoptimize)))


@router.get("/v1/policy", response_model=PolicyOut)
def get_policy(_: Allocator, container: ContainerDep) -> PolicyOut:
    """The sourcing policy in force."""
    with container.uow(write=False) as uow:
        return PolicyOut.of(uow.policy.get())


@router.put("/v1/policy", response_model=PolicyOut)
def put_policy(body: PolicyIn, _: PolicyWriter, container: ContainerDep) -> PolicyOut:
    """Replace the sourcing policy; fields left out take their defaults."""
    policy = body.to_policy()

    def write() -> None:
        with container.uow() as uow:
            uow.policy.put(policy)
            uow.commit()

    run(write)
    return PolicyOut.of(policy)
