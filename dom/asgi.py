"""ASGI entry for uvicorn workers: each worker process builds its own app and engine."""

from __future__ import annotations

from fastapi import FastAPI


def app() -> FastAPI:
    from api import create_app

    return create_app()
