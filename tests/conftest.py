"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable or required), the
container, the HTTP app.

PostgreSQL tests skip with a visible reason when the server is unreachable, unless
``DOM_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which turns that into a failure. Each test run
creates its own database on the server and drops it at the end, so suites never share state.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from dom.bootstrap import Container
from dom.settings import Settings
from storage import make_engine, upgrade
from storage.tables import metadata

hypothesis_settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

POSTGRES_URL = os.environ.get("DOM_TEST_POSTGRES_URL",
                              "postgresql+psycopg://root@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("DOM_REQUIRE_POSTGRES") == "1"

TEST_KEYS = ("admin-key:admin,ops-key:ops,channel-key:channel,planner-key:planner,"
             "supplier-key:supplier:SUP-1,other-supplier-key:supplier:SUP-2,"
             "store-key:location:ST-1")


def _admin_engine() -> Engine:
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run (and this xdist worker), migrated once."""
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        admin.dispose()
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {error.__class__.__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (DOM_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    name = f"dom_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """A migrated, empty database on each backend (the test id names it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/dom.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    url = str(request.getfixturevalue("postgres_url"))
    engine = make_engine(url)
    _truncate(engine)
    engine.dispose()
    return url


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    url = f"sqlite:///{tmp_path}/dom.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def make_container(url: str) -> Container:
    settings = Settings(database_url=url, api_keys=TEST_KEYS, timer_interval_s=0)
    return Container(settings=settings, engine=make_engine(url), api_keys=settings.api_key_map())


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    """The wired service on both backends."""
    built = make_container(database_url)
    yield built
    built.close()


@pytest.fixture
def sqlite_container(sqlite_url: str) -> Iterator[Container]:
    """The wired service on SQLite only (for tests whose subject is not the database)."""
    built = make_container(sqlite_url)
    yield built
    built.close()
