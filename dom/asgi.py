"""ASGI entry for uvicorn workers: each worker process builds its own app and engine."""

from __future__ import annotations

from fastapi import FastAPI


def app() -> FastAPI:
    from api import create_app
    from dom.logs import configure_logging
    from dom.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level)  # a spawned worker inherits none from `dom serve`
    return create_app(settings=settings)
