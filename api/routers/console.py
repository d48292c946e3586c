"""The operations console: one static page and its assets, served at /console without a key.

The page asks the person for an API key once, keeps it in the browser's localStorage and calls
the /v1 API with ``Authorization: Bearer <key>``; the files themselves hold nothing secret.
Everything ships in the ``api.console`` package (no build step, no CDN, no external fonts).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import RedirectResponse, Response

from models import NotFound

router = APIRouter(tags=["console"], include_in_schema=False)

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

# Only the package's own files, same-origin calls, no inline script: a pasted key stays put.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

AssetName = Annotated[str, Path(max_length=64, pattern=r"^[a-z][a-z0-9_-]*\.(js|css|svg)$")]


@cache
def _read(name: str) -> bytes | None:
    """The bytes of a file shipped in ``api.console`` (None when there is no such file)."""
    entry = resources.files("api.console").joinpath(name)
    return entry.read_bytes() if entry.is_file() else None


def _serve(name: str) -> Response:
    suffix = name[name.rfind("."):]
    body = _read(name)
    if body is None or suffix not in MEDIA_TYPES:
        raise NotFound(f"the console has no file {name!r}")
    return Response(body, media_type=MEDIA_TYPES[suffix], headers=SECURITY_HEADERS)


@router.get("/console")
def console() -> Response:
    """The console's single page (orders, escalations, stock, planner)."""
    return _serve("index.html")


@router.get("/")
def root() -> RedirectResponse:
    """A person who opens the service's address lands on the console (machines use /v1)."""
    return RedirectResponse("/console", status_code=307)


@router.get("/console/")
def console_slash() -> RedirectResponse:
    """The same page without the trailing slash (relative asset paths stay right)."""
    return RedirectResponse("/console", status_code=308)


@router.get("/console/{name}")
def console_asset(name: AssetName) -> Response:
    """A script, stylesheet or icon of the console."""
    return _serve(name)
