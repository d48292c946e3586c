"""The ``dom`` command: serve, migrate, load demo data, relay events, run planners' scenarios."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from dom.logs import configure_logging
from dom.settings import ConfigError, Settings

if TYPE_CHECKING:
    from dom.bootstrap import Container

app = typer.Typer(help="dom: Distributed Order Management.", no_args_is_help=True,
                  add_completion=False)
console = Console(stderr=True)


def _settings() -> Settings:
    from lifecycle.pipelines import current

    try:
        settings = Settings()
        settings.api_key_map()
        current()
    except (ConfigError, ValueError) as error:
        console.print(f"[red]configuration error:[/red] {error}")
        raise typer.Exit(2) from error
    return settings


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (DOM_DATABASE_URL)."""
    from storage import make_engine, upgrade

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    console.print(f"schema is current on {engine.url.render_as_string(hide_password=True)}")


@app.command()
def demo() -> None:
    """Load the demo network, catalog, stock and a few orders from every channel."""
    from dom.bootstrap import bootstrap
    from dom.demo import load_demo

    container = bootstrap(_settings())
    try:
        with console.status("loading demo data...") as status:
            summary = load_demo(container, progress=lambda msg: status.update(f"loaded {msg}"))
    finally:
        container.close()
    console.print(f"demo loaded: {summary.locations} locations, {summary.products} products, "
                  f"{summary.positions} new stock positions, {summary.orders_created} new orders")


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
          port: int = typer.Option(8000, help="TCP port."),
          workers: int = typer.Option(1, min=1, help="Worker processes.")) -> None:
    """Run the HTTP API; the schema is created or migrated first."""
    import uvicorn

    from storage import make_engine, upgrade

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    if settings.api_keys.strip() == "":
        console.print("[yellow]DOM_API_KEYS is not set: using the public demo keys "
                      "(demo-admin, demo-channel, ...). Never do this with real data.[/yellow]")
    configure_logging(settings.log_level)
    os.environ.setdefault("DOM_DATABASE_URL", settings.database_url)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here so /metrics can add them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="dom-metrics-")
    # uvicorn's own loggers go through the JSON root handler (log_config=None); the API logs
    # each request itself with its request and order ids, so uvicorn's access log is off
    uvicorn.run("dom.asgi:app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level.lower(), log_config=None, access_log=False)


@app.command()
def relay(once: bool = typer.Option(False, "--once", help="Publish what is waiting, then exit "
                                    "(non-zero if NATS did not acknowledge everything).")
          ) -> None:
    """Publish the event outbox to NATS JetStream (DOM_NATS_URL), until stopped.

    The API workers already do this when DOM_NATS_URL is set; run it on its own to keep the
    relay out of the API processes. Any number may run: one publishes at a time (a lease).
    """
    import signal
    import threading

    from broker.jetstream import JetStreamPublisher
    from broker.running import config_of, relay_for
    from dom.bootstrap import bootstrap
    from lifecycle.event_relay import run_until

    settings = _settings()
    config = config_of(settings)
    if config is None:
        console.print("[red]configuration error:[/red] set DOM_NATS_URL "
                      "(e.g. nats://127.0.0.1:4222) to relay events")
        raise typer.Exit(2)
    configure_logging(settings.log_level)
    container = bootstrap(settings)
    publisher = JetStreamPublisher(config)
    try:
        relayer = relay_for(container, publisher)
        if once:
            while (outcome := relayer.run_once()).busy:
                pass
            if outcome.error:
                console.print(f"[red]relay stopped:[/red] {outcome.error}")
                raise typer.Exit(1)
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        console.print(f"relaying events to {config.url}, stream {config.stream}, subjects "
                      f"{config.subject_prefix}.<type> (Ctrl-C stops)")
        run_until(relayer, stop, interval_s=settings.nats_poll_interval_s)
    finally:
        publisher.close()
        container.close()


# --- dom scenario: what-if runs, comparisons and sweeps (planner/) ---------------------------

scenario_app = typer.Typer(help="What-if sourcing scenarios: run, compare, sweep.",
                           no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
stdout = Console()


@contextmanager
def _planner_errors() -> Iterator[None]:
    from models import DomainError

    try:
        yield
    except DomainError as error:
        console.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(2) from error


def _open_database(settings: Settings) -> tuple[Container | None, str | None]:
    """The configured database, or why there is none: a SQLite file that does not exist
    (opening it would create one), one that will not open, or one without dom's current
    schema. Never migrated here: a scenario reads, it does not create or upgrade schemas."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from dom.bootstrap import bootstrap
    from storage import schema_is_current

    url = make_url(settings.database_url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(str(url.database)).is_file():
        return None, f"no database file {url.database!r}"
    container = bootstrap(settings, migrate=False)
    try:
        if schema_is_current(container.engine):
            return container, None
        problem = (f"the database at {shown} does not hold dom's current schema "
                   "(empty, another application's, or older)")
    except DBAPIError as error:
        problem = f"the database at {shown} cannot be opened: {error.orig or error}"
    container.close()
    return None, problem


@contextmanager
def _database(needed: bool) -> Iterator[Container | None]:
    """The configured database: required when the command reads or stores live data (a clear
    error, exit 2, when it is not there), else used when it is there (a scenario on base
    empty still takes the live policy and catalog) and skipped with a note when it is not.
    A database that is not there is never created by a planner's command."""
    container, problem = _open_database(_settings())
    if container is None:
        if needed:
            console.print(f"[red]error:[/red] {problem} (DOM_DATABASE_URL); this scenario "
                          "reads or stores live data: run `dom migrate` (and `dom demo`) "
                          "first, or point DOM_DATABASE_URL at the database")
            raise typer.Exit(2)
        console.print(f"[yellow]{problem}: the default policy and no catalog[/yellow]")
        yield None
        return
    try:
        yield container
    finally:
        container.close()


@scenario_app.command("run")
def scenario_run(
        file: Path = typer.Argument(..., help="Scenario definition (YAML)."),
        report: Path | None = typer.Option(None, "--report", help="Write an HTML + PNG report "
                                           "into this folder."),
        store: bool | None = typer.Option(None, "--store/--no-store", help="Keep the run in "
                                          "the database (default: when it reads live data)."),
) -> None:
    """Run one scenario on the live data (or the files it names) and print its KPIs."""
    from planner import commands

    with _planner_errors():
        definition = commands.load_definition(file)
        reads = commands.needs_database(definition)
        keep = reads if store is None else store
        with _database(reads or keep) as container:
            commands.run_file(file, stdout, reader=container.reader if container else None,
                              writer=container.uow_factory if container and keep else None,
                              report=report)


@scenario_app.command("compare")
def scenario_compare(
        a: str = typer.Argument(..., help="A stored scenario id, or a YAML file."),
        b: str = typer.Argument(..., help="A stored scenario id, or a YAML file."),
        report: Path | None = typer.Option(None, "--report", help="Write an HTML + PNG report "
                                           "into this folder."),
) -> None:
    """Compare two scenarios (stored ids or YAML files): KPIs side by side and B - A."""
    from planner import commands, scenario, service
    from planner.report import check_report_folder

    def is_file(arg: str) -> bool:
        return arg.endswith((".yaml", ".yml", ".json")) or Path(arg).is_file()

    with _planner_errors():
        if report is not None:
            check_report_folder(report)
        definitions = {arg: commands.load_definition(Path(arg)) for arg in (a, b)
                       if is_file(arg)}
        reads = any(commands.needs_database(d) for d in definitions.values()) or \
            len(definitions) < 2
        with _database(reads) as container:
            reader = container.reader if container else None
            runs = []
            for arg in (a, b):
                if arg in definitions:
                    prepared = service.prepare(definitions[arg], reader,
                                               base_dir=Path(arg).parent)
                    runs.append(scenario.evaluate(prepared.input))
                else:
                    assert reader is not None
                    record = service.get(reader, arg)
                    if record.status != "done":
                        console.print(f"[red]error:[/red] scenario {arg} is {record.status}")
                        raise typer.Exit(2)
                    runs.append(service.as_dict(record))
            commands.compare_runs(runs[0], runs[1], stdout, report)


@scenario_app.command("sweep")
def scenario_sweep(
        file: Path = typer.Argument(..., help="Scenario definition with a sweep (YAML)."),
        report: Path | None = typer.Option(None, "--report", help="Write an HTML + PNG report "
                                           "into this folder."),
) -> None:
    """Run a scenario for each sweep value in parallel and print the cost/time frontier.

    Local processes (two) by default; the Dask cluster at DOM_DASK_SCHEDULER when it is set.
    """
    from planner import commands

    with _planner_errors():
        definition = commands.load_definition(file)
        reads = commands.needs_database(definition)
        scheduler = Settings().dask_scheduler
        with _database(reads) as container:
            commands.sweep_file(file, stdout, reader=container.reader if container else None,
                                report=report, scheduler=scheduler)


def main() -> None:
    app()
