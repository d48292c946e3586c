"""The ``dom`` command: serve, migrate, load demo data."""

from __future__ import annotations

import logging
import os

import typer
from rich.console import Console

from dom.settings import ConfigError, Settings

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
    logging.basicConfig(level=settings.log_level)
    os.environ.setdefault("DOM_DATABASE_URL", settings.database_url)
    uvicorn.run("dom.asgi:app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level.lower())


def main() -> None:
    app()
