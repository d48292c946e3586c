"""Lookahead's stored prices, on SQLite and PostgreSQL: forgetting some keys in one statement
leaves the others as they were."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from storage import SqlUnitOfWork, make_engine
from tests.integration.storage.helpers import seed


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    seed(built, ["WH-A", "WH-B"], ["LAPTOP", "PHONE"])
    yield built
    built.dispose()


def test_forgetting_prices_drops_exactly_the_keys_named(engine: Engine) -> None:
    prices = {("WH-A", "LAPTOP"): 12.0, ("WH-A", "PHONE"): 3.5, ("WH-B", "LAPTOP"): 7.25}
    with SqlUnitOfWork(engine) as uow:
        uow.policy.replace_opportunity_costs(prices)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        # a key twice and one that has no price are fine; an empty list changes nothing
        uow.policy.forget_opportunity_costs([("WH-A", "LAPTOP"), ("WH-B", "LAPTOP"),
                                             ("WH-A", "LAPTOP"), ("WH-B", "PHONE")])
        uow.policy.forget_opportunity_costs([])
        uow.commit()
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.policy.opportunity_costs() == {("WH-A", "PHONE"): 3.5}


def test_keys_beyond_one_statement_s_chunk_are_all_forgotten(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import can name more keys than one statement may bind (SQLite's cap): they go in
    chunks, here of one key, and every chunk is deleted."""
    monkeypatch.setattr("storage.repositories.policy.IN_CHUNK", 1)
    prices = {("WH-A", "LAPTOP"): 12.0, ("WH-A", "PHONE"): 3.5, ("WH-B", "LAPTOP"): 7.25}
    with SqlUnitOfWork(engine) as uow:
        uow.policy.replace_opportunity_costs(prices)
        uow.policy.forget_opportunity_costs([("WH-A", "LAPTOP"), ("WH-B", "LAPTOP")])
        uow.commit()
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.policy.opportunity_costs() == {("WH-A", "PHONE"): 3.5}
