"""The one place where concrete parts are wired together: settings, engine, schema, keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from dom.settings import ApiKey, Settings
from lifecycle import pipelines
from lifecycle.backorders import BackorderSweep
from lifecycle.uow import UnitOfWork
from storage import SqlUnitOfWork, make_engine, upgrade


@dataclass
class Container:
    settings: Settings
    engine: Engine
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    # this process's backorder sweeper (it remembers a fruitless run between timer ticks)
    sweep_backorders: BackorderSweep = field(default_factory=BackorderSweep)

    def uow(self, *, write: bool = True) -> UnitOfWork:
        return SqlUnitOfWork(self.engine, write=write)

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return self.uow

    @property
    def reader(self) -> Callable[[], UnitOfWork]:
        return lambda: self.uow(write=False)

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings | None = None, *, migrate: bool = True) -> Container:
    """Build the container; by default bring the schema up to date first."""
    settings = settings or Settings()
    keys = settings.api_key_map()
    pipelines.current()  # a broken DOM_PIPELINES_FILE stops the start, with its reason
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return Container(settings=settings, engine=engine, api_keys=keys)
