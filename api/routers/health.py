"""Liveness: no key needed."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import ContainerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(container: ContainerDep) -> dict[str, str]:
    """The process is up and its database answers."""
    with container.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok", "database": container.engine.dialect.name}
