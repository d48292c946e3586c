"""Small builders for storage tests: a network and catalog written straight through the repos."""

from __future__ import annotations

from sqlalchemy import Engine

from models import Capability, Location, LocationType, Product, ProductKind
from storage import SqlUnitOfWork


def location(location_id: str, *, capabilities: tuple[str, ...] = ("ship",),
             type_: LocationType = LocationType.WAREHOUSE) -> Location:
    return Location(id=location_id, name=f"Location {location_id}", type=type_, lat=40.0,
                    lon=-74.0, capabilities=frozenset(Capability(c) for c in capabilities))


def seed(engine: Engine, locations: list[str], skus: list[str],
         stock: dict[tuple[str, str], int] | None = None) -> None:
    with SqlUnitOfWork(engine) as uow:
        for location_id in locations:
            uow.locations.upsert(location(location_id))
        for sku in skus:
            uow.products.upsert(Product(sku=sku, name=sku, kind=ProductKind.PRODUCT))
        for (location_id, sku), on_hand in (stock or {}).items():
            uow.ledger.set_position(location_id, sku, on_hand)
        uow.commit()


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    """Alembic up (or down) to ``revision`` on ``engine``, in one transaction."""
    from alembic import command

    from storage.migrate import alembic_config

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
