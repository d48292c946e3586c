"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable or required), the
container, the HTTP app.

PostgreSQL tests skip with a visible reason when the server is unreachable, unless
``DOM_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which turns that into a failure. Each test run
creates its own database on the server and drops it at the end, so suites never share state.

Tests about one backend in particular ask for ``database_url`` (both) or ``sqlite_url``. Every
other test asks for ``default_url`` / ``default_container``: SQLite, or PostgreSQL when
``DOM_DATABASE_URL`` points at a PostgreSQL server, so the whole suite can run on either.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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

_SERVICE_URL = os.environ.get("DOM_DATABASE_URL", "")
DEFAULT_BACKEND = "postgres" if _SERVICE_URL.startswith("postgresql") else "sqlite"
POSTGRES_URL = os.environ.get("DOM_TEST_POSTGRES_URL") or (
    _SERVICE_URL if DEFAULT_BACKEND == "postgres"
    else "postgresql+psycopg://root@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("DOM_REQUIRE_POSTGRES") == "1"

TEST_KEYS = ("admin-key:admin,ops-key:ops,channel-key:channel,planner-key:planner,"
             "supplier-key:supplier:SUP-1,other-supplier-key:supplier:SUP-2,"
             "store-key:location:ST-1")


def _admin_engine() -> Engine:
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


class PostgresDatabases:
    """Creates empty databases on the test server and drops them all at the end of the run."""

    def __init__(self) -> None:
        self._admin = _admin_engine()
        self._names: list[str] = []

    def check_reachable(self) -> None:
        """Skip (or fail, when PostgreSQL is required) if the server does not answer."""
        try:
            with self._admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:
            message = f"PostgreSQL not reachable at {POSTGRES_URL}: {error.__class__.__name__}"
            if REQUIRE_POSTGRES:
                pytest.fail(message + " (DOM_REQUIRE_POSTGRES=1)")
            pytest.skip(message)

    def create(self, *, migrated: bool = True) -> str:
        name = f"dom_test_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self._names.append(name)
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        if migrated:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
        return url

    def drop_all(self) -> None:
        with self._admin.connect() as connection:
            for name in self._names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    try:
        databases.check_reachable()
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def postgres_url(postgres_databases: PostgresDatabases) -> str:
    """A fresh PostgreSQL database for this run (and this xdist worker), migrated once."""
    return postgres_databases.create()


@pytest.fixture(scope="session")
def fresh_database(request: pytest.FixtureRequest) -> Callable[[Path], str]:
    """A factory for a new, empty database on the default backend (for a server's own data):
    a SQLite file in the given folder, or a new database on the PostgreSQL server."""

    def make(folder: Path) -> str:
        if DEFAULT_BACKEND == "postgres":
            databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
            return databases.create(migrated=False)
        return f"sqlite:///{folder}/dom.db"

    return make


def delete_all_rows(engine: Engine) -> None:
    """Empty every table, on either backend (a property test's examples share one database)."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(text(f"DELETE FROM {table.name}"))


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


@pytest.fixture
def default_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database on the default backend (see the module docstring)."""
    name = "postgres_default_url" if DEFAULT_BACKEND == "postgres" else "sqlite_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def postgres_default_url(postgres_url: str,
                         record_property: Callable[[str, object], None]) -> str:
    # The JUnit report names each test that ran on PostgreSQL this way (CI counts them).
    record_property("default_database", "postgres")
    engine = make_engine(postgres_url)
    _truncate(engine)
    engine.dispose()
    return postgres_url


def make_container(url: str, **overrides: Any) -> Container:
    """The wired service on ``url`` with the test keys, timers off, and any other settings."""
    settings = Settings(**{"database_url": url, "api_keys": TEST_KEYS, "timer_interval_s": 0,
                           **overrides})
    return Container(settings=settings, engine=make_engine(url), api_keys=settings.api_key_map())


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    """The wired service on both backends."""
    built = make_container(database_url)
    yield built
    built.close()


@pytest.fixture
def default_container(default_url: str) -> Iterator[Container]:
    """The wired service on the default backend (for tests whose subject is not the database)."""
    built = make_container(default_url)
    yield built
    built.close()


def pytest_report_header() -> str:
    """Say which database the single-backend tests use, so a run on PostgreSQL is visible."""
    where = POSTGRES_URL if DEFAULT_BACKEND == "postgres" else "a SQLite file per test"
    return f"dom default test database: {DEFAULT_BACKEND} ({where})"

